import TensorGraph

/// phenaki-pytorch's `GEGLU`: `x, gate = x.chunk(2, dim: -1); gelu(gate) * x`.
public struct GEGLU: Layer {
    /// A parameter-free gated GELU.
    public init() {}

    /// Halves the last axis: the first half is the value, the second the gate.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let half = x.shape[x.rank - 1] / 2
        let value = x.slice(axis: -1, 0..<half)
        let gate = x.slice(axis: -1, half..<(2 * half))
        return gate.gelu() * value
    }
}

/// phenaki-pytorch's `FeedForward(dim, mult)`:
/// `Sequential(LayerNorm(dim), Linear(dim, inner * 2, bias: false), GEGLU(), Dropout,
/// Linear(inner, dim, bias: false))` with `inner = int(mult * 2/3 * dim)`.
///
/// Parameter names follow the `nn.Sequential` indices: `0.gamma`, `1.weight`, `4.weight`.
/// Slot 3 is PyTorch's `Dropout`; it holds an `Identity` (dropout 0, as the Transformer's
/// default `ff_dropout`) so that the last Linear keeps index 4.
public struct FeedForward: Layer {
    /// Model width (input and output features).
    public let dim: Int
    /// Width multiplier before the 2/3 GEGLU correction.
    public let mult: Double

    /// A feed-forward block of width `dim`, hidden width `int(mult * 2/3 * dim)`.
    public init(dim: Int, mult: Double = 4) {
        self.dim = dim
        self.mult = mult
    }

    /// The hidden width after GEGLU, computed as Python's `int(mult * (2 / 3) * dim)`.
    public var innerDim: Int { Int(mult * (2.0 / 3.0) * Double(dim)) }

    /// The block as a `Sequential`, numbered as phenaki-pytorch numbers it.
    public var body: Sequential {
        let inner = innerDim
        return Sequential {
            LayerNorm(dim)  // a plain nn.LayerNorm here (weight and bias), unlike the attention norms
            Linear(dim, inner * 2, bias: false)
            GEGLU()
            Identity()
            Linear(inner, dim, bias: false)
        }
    }

    /// Applies the block (without the residual add, which the Transformer does).
    public func callAsFunction(_ x: Tensor) -> Tensor { body(x) }
}
