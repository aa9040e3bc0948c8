import TensorGraph

/// `ContinuousPositionBias` (Swin v2): an MLP maps the log-scaled relative position of every
/// pair of grid cells to one bias per head. Parameters `net.0.0`, `net.1.0`, ..., `net.<layers>`.
public struct ContinuousPositionBias {
    public let dim: Int, heads: Int, numDims: Int, layers: Int, logDistance: Bool

    public init(dim: Int, heads: Int, numDims: Int = 2, layers: Int = 2, logDistance: Bool = true) {
        self.dim = dim
        self.heads = heads
        self.numDims = numDims
        self.layers = layers
        self.logDistance = logDistance
    }

    /// The bias [heads, N, N] over a grid of `dimensions` (N = their product), row-major cells.
    public func callAsFunction(_ t: Tracer, dimensions: [Int]) -> Tensor {
        precondition(dimensions.count == numDims, "ContinuousPositionBias: \(numDims) grid sizes expected")
        let n = dimensions.reduce(1, *)
        // Coordinate c of cell k: (k / stride_c) mod size_c, in int32, then [N, numDims] float.
        let cell = t.iota([n, 1], axis: 0)
        var columns: [Tensor] = []
        var stride = n
        for size in dimensions {
            stride /= size
            let quotient = cell / t.constant(Double(stride), [], .int32)
            let coordinate = quotient - (quotient / t.constant(Double(size), [], .int32)) * t.constant(Double(size), [], .int32)
            columns.append(coordinate)
        }
        let grid = concat(columns, axis: 1).cast(.float32)
        var rel = grid.reshape([n, 1, numDims]) - grid.reshape([1, n, numDims])
        if logDistance { rel = rel.sign() * (rel.abs() + 1.0).log() }
        var h = rel.reshape([n * n, numDims])
        t.scope("net") {
            for layer in 0..<layers {
                h = t.scope(String(layer)) {
                    Linear(layer == 0 ? numDims : dim, dim).named("0")(h).leakyRelu(0.1)
                }
            }
            h = Linear(dim, heads).named(String(layers))(h)
        }
        return h.reshape([n, n, heads]).permute([2, 0, 1])
    }
}
