import TensorGraph

extension GraphSketch {
    /// `sum`, `mean`, `max` or `logsumexp` over random axes, with or without `keepDims`.
    func reductionStep() {
        guard let x = pickFloat(rank: 1...4) else { return }
        let axes = randomAxes(rank: x.rank, allowEmpty: true)
        let keep = random.chance(0.5)
        let n = Double(axes.map { x.shape[$0] }.reduce(1, *))
        let b = bound(x)
        switch random.int(0...3) {
        case 0: remember(x.sum(axes: axes, keepDims: keep), bound: b * n)
        case 1: remember(x.mean(axes: axes, keepDims: keep), bound: b)
        case 2: remember(x.max(axes: axes, keepDims: keep), bound: b)
        default: remember(x.logSumExp(axes: axes, keepDims: keep), bound: b + 6)
        }
    }

    /// `softmax` and `l2Normalize` on any axis; `layerNorm` on the last axis, or on another
    /// axis by permuting it last and back.
    func rowOpStep() {
        guard let x = pickFloat(rank: 1...4) else { return }
        let axis = random.int(0...(x.rank - 1))
        switch random.int(0...3) {
        case 0: remember(x.softmax(axis: random.chance(0.5) ? -1 : axis), bound: 1)
        case 1: remember(x.l2Normalize(axis: axis, epsilon: random.pick([1e-12, 1e-3])), bound: 1)
        case 2: remember(x.layerNorm(epsilon: 1e-5), bound: Double(x.shape.last!).squareRoot() + 1)
        default:
            var perm = Array(0..<x.rank)
            perm.swapAt(axis, x.rank - 1)
            let y = x.permute(perm).layerNorm().permute(perm)
            remember(y, bound: Double(x.shape[axis]).squareRoot() + 1)
        }
    }

    /// The unfused softmax `exp(x - max) / sum`, as attention code writes it (the max often
    /// detached).
    func softmaxPatternStep() {
        guard let x = pickFloat(rank: 1...4) else { return }
        let axis = random.chance(0.6) ? x.rank - 1 : random.int(0...(x.rank - 1))
        var m = x.max(axes: [axis], keepDims: true)
        if random.chance(0.5) { m = m.stopGradient() }
        let e = (x - m).exp()
        remember(e / e.sum(axes: [axis], keepDims: true), bound: 1)
    }

    /// A batched `matmul` with random transpose flags, broadcast batch axes, and sometimes
    /// explicit transposes of an operand or of the result.
    func matmulStep() {
        guard var a = pickFloat(rank: 1...4) else { return }
        if a.rank == 1 { a = random.chance(0.5) ? a.unsqueeze(0) : a.unsqueeze(1) }
        let explicitA = random.chance(0.2)
        if explicitA { a = a.transposed() }
        let ta = random.chance(0.3)
        let r = a.rank
        let k = ta ? a.shape[r - 2] : a.shape[r - 1]
        let m = ta ? a.shape[r - 1] : a.shape[r - 2]
        let n = random.int(1...7)
        var batch = partnerShape(of: Array(a.shape.dropLast(2)))
        if r == 2 && random.chance(0.2) { batch = [random.int(1...3)] }
        let tb = random.chance(0.3)
        let bMatrix = tb ? [n, k] : [k, n]
        guard fits(batch + bMatrix),
              let outBatch = broadcastShapes(Array(a.shape.dropLast(2)), batch), fits(outBatch + [m, n])
        else { return }
        let b: Tensor
        if random.chance(0.25) {
            b = input(batch + [bMatrix[1], bMatrix[0]]).transposed()
        } else if random.chance(0.15) {
            b = parameter(batch + bMatrix)
        } else {
            b = input(batch + bMatrix)
        }
        var y = matmul(a, b, transposeA: ta, transposeB: tb)
        if random.chance(0.2) { y = y.transposed() }
        remember(y, bound: bound(a) * 2 * Double(k))
    }
}
