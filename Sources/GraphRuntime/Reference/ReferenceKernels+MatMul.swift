import TensorGraph

extension ReferenceKernels {
    /// `op(a) · op(b)` for every pair of matrices in the broadcast batch, where `op`
    /// transposes the last two axes when its flag is set.
    static func matmul(_ a: HostTensor, _ b: HostTensor, transposeA: Bool, transposeB: Bool, out: TensorType) -> HostTensor {
        let ra = a.shape.count
        let (m, n) = (out.shape[out.rank - 2], out.shape[out.rank - 1])
        let k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
        // Element (i, j) of op(a) and op(b) within one matrix.
        let aStrides = transposeA ? (row: 1, col: m) : (row: k, col: 1)
        let bStrides = transposeB ? (row: 1, col: k) : (row: n, col: 1)
        let batch = Array(out.shape.dropLast(2))
        let aBatch = broadcastOffsets(from: Array(a.shape.dropLast(2)), to: batch)
        let bBatch = broadcastOffsets(from: Array(b.shape.dropLast(2)), to: batch)
        var result = [Double](repeating: 0, count: out.count)
        for p in aBatch.indices {
            let (aBase, bBase, cBase) = (aBatch[p] * m * k, bBatch[p] * k * n, p * m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var total = 0.0
                    for l in 0..<k {
                        total += a.scalars[aBase + i * aStrides.row + l * aStrides.col]
                            * b.scalars[bBase + l * bStrides.row + j * bStrides.col]
                    }
                    result[cBase + i * n + j] = total
                }
            }
        }
        return HostTensor(shape: out.shape, scalars: result)
    }
}
