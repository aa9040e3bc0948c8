import TensorGraph

/// A small `Linear → GELU → Linear` network for toy tasks.
///
/// Parameters follow `nn.Sequential` numbering: `0.weight`, `0.bias`, `2.weight`, `2.bias`.
public struct MLP: Layer {
    /// Input features.
    public let inFeatures: Int
    /// Hidden features.
    public let hidden: Int
    /// Output features.
    public let outFeatures: Int

    /// An MLP `inFeatures → hidden → outFeatures`.
    public init(_ inFeatures: Int, hidden: Int, _ outFeatures: Int) {
        self.inFeatures = inFeatures
        self.hidden = hidden
        self.outFeatures = outFeatures
    }

    /// The network as a `Sequential`.
    public var body: Sequential {
        Sequential {
            Linear(inFeatures, hidden)
            GELU()
            Linear(hidden, outFeatures)
        }
    }

    /// Maps `x` [..., inFeatures] to [..., outFeatures].
    public func callAsFunction(_ x: Tensor) -> Tensor { body(x) }
}
