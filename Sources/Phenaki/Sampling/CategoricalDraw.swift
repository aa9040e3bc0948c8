import TensorGraph

/// One draw per row from `softmax(logits / temperature)` by inverting the cumulative
/// distribution with ONE uniform per row, in graph ops.
///
/// `gumbel_sample` (argmax of `logits / T + gumbel`) draws from the same distribution but needs
/// a uniform and two logarithms per logit: over [576, 65536] logits that is 38 M draws and 75 M
/// `log` calls a step, more than the rest of the sampling tail together. Here the work per logit
/// is one `exp` in two passes that only read the logits (the row max, then the block sums);
/// the search is two-level: the rows of V = k·w logits are cut into k blocks of w, the block is
/// found from the k block sums, the token from the w probabilities of that block, each by
/// counting how many prefix sums (a product with a triangular ones matrix) lie at or below
/// `u · total`.
///
/// The sampler uses it with its own RNG key (`SamplerDrawMode.rngKey`); replaying
/// phenaki-pytorch's draws (`.inputs`) keeps `gumbel_sample`, whose uniforms they are.
enum CategoricalDraw {
    /// (blocks k, width w) with k · w = n: the divisor of n nearest √n from below as w, so
    /// both searches scan few entries. (Wider blocks, w = 1024 for n = 65536, measured no
    /// faster: the block pass is bound by its two `exp` per logit, not by per-row overhead.)
    static func blocks(_ n: Int) -> (count: Int, width: Int) {
        var w = Int(Double(n).squareRoot())
        while w > 1, n % w != 0 { w -= 1 }
        return (n / w, w)
    }

    /// Token ids int32 [r] drawn from `softmax(logits / temperature)` for logits f32 [r, n],
    /// temperature f32 [] (> 0) and uniform f32 [r] in [0, 1), and `logsumexp(logits)` f32 [r]
    /// (for the confidence `softmax(logits)[id]`), both from the same pass over the logits.
    static func sample(logits: Tensor, temperature: Tensor, uniform: Tensor) -> (ids: Tensor, logSumExp: Tensor) {
        let t = logits.tracer
        let (r, n) = (logits.shape[0], logits.shape[1])
        let (k, w) = blocks(n)
        // exp((l − max) / T) ≤ 1: finite for any temperature; the max itself has weight 1. Taken
        // over blocks first, so the reduction does not fuse with `to_logits`' bias add, which then
        // runs as the GEMM's epilogue instead of a pass of its own over the logits.
        let top = logits.reshape([r * k, w]).max(axes: [1]).reshape([r, k]).max(axes: [1], keepDims: true)
        // The block sums are row reductions over rows of w logits, so the pass that computes them
        // reads the logits once and writes r·k sums, never a [r, n] tensor.
        let shifted = logits.reshape([r * k, w]) - top.reshape([r, 1, 1]).expand([r, k, 1]).reshape([r * k, 1])
        let blockSums = (shifted / temperature).exp().sum(axes: [1]).reshape([r, k])
        let logSumExp = top.reshape([r]) + shifted.exp().sum(axes: [1]).reshape([r, k]).sum(axes: [1]).log()
        let cdf = matmul(blockSums, upperOnes(t, k))
        let target = uniform.reshape([r, 1]) * cdf.slice(axis: 1, (k - 1)..<k)
        // Rounding may put the target at the total: clamp to the last block.
        let block = countAtOrBelow(cdf, target).minimum(Double(k - 1))
        let blockInt = block.cast(.int32)
        let before = (cdf - blockSums).takeAlongAxis(blockInt.reshape([r, 1]), axis: 1)
        let index = blockInt.reshape([r, 1, 1]).expand([r, 1, w])
        let chosenBlock = logits.reshape([r, k, w]).takeAlongAxis(index, axis: 1).reshape([r, w])
        let local = ((chosenBlock - top) / temperature).exp()
        let inner = countAtOrBelow(matmul(local, upperOnes(t, w)), target - before).minimum(Double(w - 1))
        return ((block * Double(w) + inner).cast(.int32), logSumExp)
    }

    /// How many entries of each row of `prefix` [r, m] are ≤ `target` [r, 1]: the index of the
    /// first prefix sum above it. f32 [r].
    private static func countAtOrBelow(_ prefix: Tensor, _ target: Tensor) -> Tensor {
        (prefix .<= target).cast(.float32).sum(axes: [1])
    }

    /// U [m, m] with U[i][j] = 1 for i ≤ j: `x · U` is the inclusive prefix sum of the rows of x.
    private static func upperOnes(_ t: Tracer, _ m: Int) -> Tensor {
        var values = [Double](repeating: 0, count: m * m)
        for i in 0..<m { for j in i..<m { values[i * m + j] = 1 } }
        return t.constant(values: values, [m, m])
    }
}
