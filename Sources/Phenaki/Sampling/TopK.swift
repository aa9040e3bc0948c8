/// Top-k selection over one row of scores: the bookkeeping of each sampling step (≤ a few
/// thousand scores), done on raw buffers.
enum TopK {
    /// Sets `mask[i] = true` for the `k` largest `scores` (ties: lower index first) and false
    /// elsewhere. `order` is scratch space of `scores.count` entries.
    static func mark(largest k: Int, of scores: UnsafeBufferPointer<Float>, into mask: UnsafeMutableBufferPointer<Bool>,
                     order: inout [Int32]) {
        let n = scores.count
        for i in 0..<n { order[i] = Int32(i) }
        // Sort indices by score, largest first; index order breaks ties so the result is deterministic.
        order.sort { a, b in
            let (x, y) = (scores[Int(a)], scores[Int(b)])
            return x != y ? x > y : a < b
        }
        for i in 0..<n { mask[i] = false }
        for i in 0..<min(k, n) { mask[Int(order[i])] = true }
    }
}
