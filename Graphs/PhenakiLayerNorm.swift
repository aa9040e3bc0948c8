import TensorGraph

/// phenaki-pytorch's bias-less `LayerNorm(dim)`: `F.layer_norm(x, gamma, beta)` with a learned
/// `gamma` (ones) and a `beta` that is a zero buffer, not a parameter.
///
/// Because `beta` is always zero it adds nothing, so the layer is `layerNorm(x) * gamma` and
/// declares a single parameter, `gamma` [dim].
public struct PhenakiLayerNorm: Layer {
    /// Size of the normalised last axis.
    public let dim: Int
    /// Added to the variance, as `F.layer_norm`'s default.
    public let epsilon: Double

    /// A LayerNorm over a last axis of `dim` elements.
    public init(_ dim: Int, epsilon: Double = 1e-5) {
        self.dim = dim
        self.epsilon = epsilon
    }

    /// Normalises `x` over its last axis and scales it by `gamma`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(epsilon: epsilon) * x.tracer.parameter("gamma", [dim], .ones)
    }
}
