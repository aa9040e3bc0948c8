import TensorGraph

/// Hugging Face's `T5LayerNorm`: root-mean-square normalisation without centring or bias,
/// `x · rsqrt(mean(x²) + ε) · weight`.
public struct T5LayerNorm: Layer {
    public let dim: Int
    public let epsilon: Double

    public init(_ dim: Int, epsilon: Double = 1e-6) {
        self.dim = dim
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let meanSquare = (x * x).mean(axes: [x.rank - 1], keepDims: true)
        return x * (meanSquare + epsilon).rsqrt() * x.tracer.parameter("weight", [dim], .ones)
    }
}
