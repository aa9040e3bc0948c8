import Foundation
import TensorGraph

/// T5's bidirectional relative position bias: each (query i, key j) pair falls in one of
/// `buckets` buckets by `j − i` (half the buckets per sign; exact distances below a quarter of
/// them, log-spaced up to `maxDistance` beyond), and `relative_attention_bias.weight`
/// [buckets, heads] holds one learned bias per bucket and head. Only the first encoder block
/// owns it; every block adds the same bias.
public struct T5RelativePositionBias {
    public let buckets: Int
    public let maxDistance: Int
    public let heads: Int

    public init(buckets: Int = 32, maxDistance: Int = 128, heads: Int) {
        self.buckets = buckets
        self.maxDistance = maxDistance
        self.heads = heads
    }

    /// The bucket of relative position `j − i`, as `T5Attention._relative_position_bucket`
    /// computes it with `bidirectional=True` (its float32 log included, so rounding matches).
    public func bucket(_ relative: Int) -> Int {
        let half = buckets / 2
        var bucket = relative > 0 ? half : 0
        let distance = abs(relative)
        let maxExact = half / 2
        if distance < maxExact { return bucket + distance }
        let scaled = Float(Foundation.log(Float(distance) / Float(maxExact)))
            / Float(Foundation.log(Double(maxDistance) / Double(maxExact))) * Float(half - maxExact)
        bucket += min(maxExact + Int(scaled), half - 1)
        return bucket
    }

    /// The bias [1, heads, queries, keys], declared as `weight` [buckets, heads] in the current scope.
    public func callAsFunction(_ t: Tracer, queries: Int, keys: Int) -> Tensor {
        var ids: [Double] = []
        ids.reserveCapacity(queries * keys)
        for i in 0..<queries { for j in 0..<keys { ids.append(Double(bucket(j - i))) } }
        let table = t.parameter("weight", [buckets, heads], .normal(mean: 0, std: 1))
        let picked = table.gather(t.constant(values: ids, [queries, keys], .int32), axis: 0)  // [q, k, heads]
        return picked.permute([2, 0, 1]).reshape([1, heads, queries, keys])
    }
}
