import TensorGraph

extension GraphSketch {
    /// One unary op; `log`, `sqrt`, `rsqrt` and `exp` get operands that keep them finite.
    func unaryStep() {
        guard let x = pickFloat() else { return }
        let b = bound(x)
        switch random.int(0...15) {
        case 0: remember(-x, bound: b)
        case 1: remember(x.abs(), bound: b)
        case 2: remember(allowDiscontinuities ? x.sign() : x.abs(), bound: max(1, b))
        case 3: remember(x.tanh(), bound: 1)
        case 4: remember(x.erf(), bound: 1)
        case 5: remember(x.sigmoid(), bound: 1)
        case 6: remember(x.relu(), bound: b)
        case 7: remember(x.gelu(), bound: b)
        case 8: remember(x.sin(), bound: 1)
        case 9: remember(x.cos(), bound: 1)
        case 10: remember(x.leakyRelu(random.pick([0.01, 0.2])), bound: b)
        case 11: remember(x.clamp(min: -3, max: 3).exp(), bound: 20.1)
        case 12: remember((x.abs() + 0.5).log(), bound: b + 1)
        case 13: remember((x.abs() + 0.5).sqrt(), bound: (b + 0.5).squareRoot())
        case 14: remember((x.abs() + 0.5).rsqrt(), bound: 1.5)
        default:
            // A long elementwise chain: a fusion opportunity.
            var y = x
            for _ in 0..<random.int(3...6) {
                y = random.pick([{ $0.tanh() }, { $0 * 1.5 }, { $0.sigmoid() }, { $0 + 0.25 },
                                 { $0.gelu() }, { -$0 }] as [(Tensor) -> Tensor])(y)
            }
            remember(y, bound: b * 1.5 * 1.5 * 1.5 * 1.5 * 1.5 * 1.5 + 2)
        }
    }

    /// One binary op with a broadcasting partner; `div` and `pow` get safe operands.
    func binaryStep() {
        guard let x = pickFloat() else { return }
        let y = partner(of: x)
        var (l, r) = random.chance(0.5) ? (x, y) : (y, x)
        if random.chance(0.1) { r = tracer.constant(random.value(-2, 2), []) }
        guard let shape = broadcastShapes(l.shape, r.shape), fits(shape) else { return }
        if random.chance(0.2), shape != l.shape {
            l = l.expand(shape)  // an explicit broadcast
        }
        let (bl, br) = (bound(l), bound(r))
        switch random.int(0...6) {
        case 0: remember(l + r, bound: bl + br)
        case 1: remember(l - r, bound: bl + br)
        case 2: remember(l * r, bound: bl * br)
        case 3: remember(l / (r.abs() + 0.5), bound: 2 * bl)
        case 4:
            let base = l.abs() + 0.5
            let exponent = r.clamp(min: -2, max: 2)
            remember(base.pow(exponent), bound: max((bl + 0.5) * (bl + 0.5), 4))
        case 5: remember(l.maximum(r), bound: max(bl, br))
        default: remember(l.minimum(r), bound: max(bl, br))
        }
    }

    /// A deliberate identity that the simplifier should remove.
    func identityStep() {
        guard let x = pickFloat() else { return }
        let b = bound(x)
        let t = tracer
        switch random.int(0...13) {
        case 0:
            // x + zeros that broadcasts x to a bigger shape.
            let bigger = [random.int(1...3)] + x.shape
            guard fits(bigger) else { remember(x + 0.0, bound: b); return }
            remember(x + t.constant(0, bigger), bound: b)
        case 1: remember(random.chance(0.5) ? x * 1.0 : 1.0 * x, bound: b)
        case 2: remember(x - 0.0, bound: b)
        case 3: remember(x / 1.0, bound: b)
        case 4: remember(-(-x), bound: b)
        case 5: remember(x.reshape(x.shape), bound: b)
        case 6: remember(t.record(.permute(perm: Array(0..<x.rank)), [x]), bound: b)
        case 7: remember(t.record(.expand(shape: x.shape), [x]), bound: b)
        case 8: remember(t.record(.slice(starts: [Int](repeating: 0, count: x.rank), ends: x.shape), [x]), bound: b)
        case 9:
            let zeros = [Int](repeating: 0, count: x.rank)
            remember(t.record(.pad(before: zeros, after: zeros, value: 1), [x]), bound: b)
        case 10: remember(x.cast(.float32), bound: b)
        case 11: remember(x.sum(axes: []), bound: b)
        case 12: remember(x.stopGradient(), bound: b)
        default: remember((x.abs() + 0.5).pow(1.0), bound: b + 0.5)
        }
    }

    /// A comparison, logic on bools, and `select` (sometimes with a constant condition).
    func compareSelectStep() {
        guard let x = pickFloat() else { return }
        guard allowDiscontinuities else {
            let cond = tracer.constant(Double(random.int(0...1)), [], .bool)
            remember(select(cond, x, partner(of: x)), bound: 2 * bound(x) + 2)
            return
        }
        let y = random.chance(0.3) ? tracer.constant(random.value(-1, 1), []) : partner(of: x)
        guard let shape = broadcastShapes(x.shape, y.shape), fits(shape) else { return }
        var cond: Tensor
        switch random.int(0...5) {
        case 0: cond = x .< y
        case 1: cond = x .<= y
        case 2: cond = x .> y
        case 3: cond = x .>= y
        case 4: cond = x .== y
        default: cond = x .!= y
        }
        if let other = bools.last, random.chance(0.3), let s = broadcastShapes(cond.shape, other.shape), fits(s) {
            cond = random.pick([cond .& other, cond .| other, cond.logicalNot()])
        }
        if random.chance(0.1) {
            cond = tracer.constant(Double(random.int(0...1)), random.chance(0.5) ? [] : shape, .bool)
        }
        remember(cond, bound: 1)
        let a = random.chance(0.5) ? x : partner(of: x)
        let b = random.chance(0.3) ? tracer.constant(random.value(-1, 1), []) : partner(of: x)
        guard let ab = broadcastShapes(a.shape, b.shape), let out = broadcastShapes(cond.shape, ab), fits(out)
        else { return }
        remember(select(cond, a, b), bound: max(bound(a), bound(b)))
        if random.chance(0.3) { remember(x.clamp(min: random.value(-1.5, 0), max: random.value(0, 1.5)), bound: 1.5) }
    }

    /// Casts between float32, int32 and bool, with int32 arithmetic between them.
    func castStep() {
        guard allowDiscontinuities, let x = pickFloat() else { return }
        let b = bound(x)
        switch random.int(0...3) {
        case 0:
            let i = remember((x * 3.0).cast(.int32), bound: 3 * b)
            var j: Tensor
            switch random.int(0...6) {
            case 0: j = -i
            case 1: j = i.abs()
            case 2: j = i + tracer.constant(Double(random.int(-3...3)), [], .int32)
            case 3: j = i * i
            case 4: j = i / tracer.constant(Double(random.int(1...3)), [], .int32)
            case 5: j = i.maximum(tracer.constant(0, [], .int32))
            default: j = i.sum(axes: randomAxes(rank: i.rank, allowEmpty: true), keepDims: random.chance(0.5))
            }
            j = remember(j, bound: 9 * b * b + 3 * b * Double(i.type.count) + 3)
            remember(j.cast(.float32), bound: bound(j))
        case 1:
            let flags = remember(x.cast(.bool), bound: 1)
            remember(flags.cast(.float32) * x, bound: b)
        case 2:
            guard x.rank > 0 else { return }
            let i = remember(x.argmax(axis: random.int(0...(x.rank - 1)), keepDims: random.chance(0.5)), bound: 130)
            remember(i.cast(.float32), bound: 130)
        default:
            if let i = ints.last {
                remember(i.cast(.bool), bound: 1)
            } else {
                remember(x.cast(.int32).cast(.float32), bound: b)
            }
        }
    }
}
