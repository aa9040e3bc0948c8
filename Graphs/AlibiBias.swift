import Foundation
import TensorGraph

/// ALiBi for causal attention (`AlibiPositionalBias` in phenaki-pytorch): head h adds
/// `-|j - (J - I + i)| · slope[h]` to the score of query i and key j.
public struct AlibiBias {
    public let heads: Int

    public init(heads: Int) { self.heads = heads }

    /// Geometric slopes starting at 2^(-8/n) for a power of two n; otherwise the slopes of the
    /// power of two below, then every other slope of the next power of two.
    public var slopes: [Double] {
        func powerOfTwo(_ n: Int) -> [Double] {
            let start = Foundation.pow(2, -Foundation.pow(2, -(log2(Double(n)) - 3)))
            return (0..<n).map { start * Foundation.pow(start, Double($0)) }
        }
        let exponent = log2(Double(heads))
        if exponent == exponent.rounded() { return powerOfTwo(heads) }
        let closest = 1 << Int(exponent.rounded(.down))
        let extra = powerOfTwo(2 * closest).enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        return powerOfTwo(closest) + extra.prefix(heads - closest)
    }

    /// The bias [heads, queries, keys], built from index arithmetic (no large constants).
    public func bias(_ t: Tracer, queries i: Int, keys j: Int) -> Tensor {
        let rows = t.iota([i, j], axis: 0).cast(.float32) + Double(j - i)
        let cols = t.iota([i, j], axis: 1).cast(.float32)
        let distance = (cols - rows).abs().reshape([1, i, j])
        return -(distance * t.constant(values: slopes, [heads, 1, 1]))
    }

    /// Whether key j is visible from query i: j <= i + (J - I) (`triu(j - i + 1)` masked).
    public static func causalMask(_ t: Tracer, queries i: Int, keys j: Int) -> Tensor {
        t.iota([i, j], axis: 1) .<= (t.iota([i, j], axis: 0) + t.constant(Double(j - i), [], .int32))
    }
}
