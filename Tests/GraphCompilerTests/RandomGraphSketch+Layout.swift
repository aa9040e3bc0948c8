import TensorGraph

extension GraphSketch {
    /// `reshape`, `permute`, `slice`, `concat`, `pad` or `expand`.
    func layoutStep() {
        guard let x = pickFloat() else { return }
        let b = bound(x)
        switch random.int(0...7) {
        case 0:
            var y = x.reshape(factorShape(x.type.count))
            if random.chance(0.3) { y = y.reshape(factorShape(x.type.count)) }
            remember(y, bound: b)
        case 1:
            guard x.rank >= 2 else { return }
            var y = x.permute(random.shuffled(Array(0..<x.rank)))
            if random.chance(0.3) { y = y.permute(random.shuffled(Array(0..<x.rank))) }
            remember(y, bound: b)
        case 2:
            var starts = [Int](repeating: 0, count: x.rank)
            var ends = x.shape
            for axis in 0..<x.rank where random.chance(0.5) {
                starts[axis] = random.int(0...(x.shape[axis] - 1))
                ends[axis] = random.int((starts[axis] + 1)...x.shape[axis])
            }
            remember(tracer.record(.slice(starts: starts, ends: ends), [x]), bound: b)
        case 3:
            guard x.rank > 0 else { return }
            let axis = random.int(0...(x.rank - 1))
            var parts = [x]
            for _ in 0..<random.int(1...2) {
                var shape = x.shape
                shape[axis] = random.int(1...3)
                switch random.int(0...2) {
                case 0: parts.append(x.tanh())
                case 1: parts.append(x.slice(axis: axis, 0..<min(shape[axis], x.shape[axis])))
                default: parts.append(input(shape))
                }
            }
            let total = parts.map { $0.shape[axis] }.reduce(0, +)
            var shape = x.shape
            shape[axis] = total
            guard fits(shape) else { return }
            remember(concat(random.shuffled(parts), axis: axis), bound: b + 2)
        case 4:
            let before = x.shape.map { _ in random.chance(0.4) ? random.int(0...2) : 0 }
            let after = x.shape.map { _ in random.chance(0.4) ? random.int(0...2) : 0 }
            let value = random.chance(0.5) ? 0 : random.value(-1, 1)
            let shape = (0..<x.rank).map { x.shape[$0] + before[$0] + after[$0] }
            guard fits(shape) else { return }
            remember(tracer.record(.pad(before: before, after: after, value: value), [x]), bound: b + 1)
        case 5:
            var shape = x.shape.map { $0 == 1 && random.chance(0.6) ? random.int(2...4) : $0 }
            if random.chance(0.4) { shape.insert(random.int(1...3), at: 0) }
            guard fits(shape) else { return }
            remember(x.expand(shape), bound: b)
        case 6:
            guard x.rank >= 2 else { return }
            remember(x.transposed(), bound: b)
        default:
            chunkStep(x)
        }
    }

    /// Splits `x` into 2–3 chunks along an axis, treats them differently and joins them again
    /// (GEGLU's `a * gelu(b)`, or a concat, sometimes nested): autodiff turns the slices into
    /// zero-pads that are summed.
    private func chunkStep(_ x: Tensor) {
        guard x.rank > 0, let axis = (0..<x.rank).filter({ x.shape[$0] >= 2 }).randomElement(using: &random)
        else { return }
        let n = x.shape[axis]
        let cut = random.int(1...(n - 1))
        let b = bound(x)
        if random.chance(0.4) && n % 2 == 0 {
            let half = n / 2
            let gate = x.slice(axis: axis, 0..<half)
            let value = x.slice(axis: axis, half..<n)
            remember(value * gate.gelu(), bound: b * b)
            return
        }
        var parts = [x.slice(axis: axis, 0..<cut).tanh(), x.slice(axis: axis, cut..<n) * 2.0]
        if cut >= 2 && random.chance(0.4) {
            let inner = random.int(1...(cut - 1))
            parts = [x.slice(axis: axis, 0..<inner).sin(), x.slice(axis: axis, inner..<cut)] + [parts[1]]
        }
        if random.chance(0.4) {
            remember(concat([concat(Array(parts.dropLast()), axis: axis), parts.last!], axis: axis), bound: 2 * b + 1)
        } else {
            remember(concat(parts, axis: axis), bound: 2 * b + 1)
        }
    }
}
