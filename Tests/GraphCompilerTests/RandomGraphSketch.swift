import TensorGraph

/// The state of one random graph while it is traced: the tracer, the values made so far (by
/// dtype), and a rough bound on each value's magnitude that keeps every graph finite.
final class GraphSketch {
    var random: SeededRandom
    let tracer = Tracer()
    private(set) var floats: [Tensor] = []
    private(set) var ints: [Tensor] = []
    private(set) var bools: [Tensor] = []
    private var bounds: [NodeID: Double] = [:]
    private var nameCount = 0
    private var key: Tensor?
    /// The shape most inputs broadcast against.
    private(set) var baseShape: [Int] = []

    /// No value of a generated graph has more elements.
    static let maxElements = 2048
    /// No value of a generated graph has more axes.
    static let maxRank = 4
    /// Values whose magnitude bound passes this are squashed.
    static let maxBound = 1e4

    /// Whether ops whose output jumps as an input crosses a threshold (comparisons on computed
    /// values, casts to int32 / bool, `sign`, `argmax`, sorts) may appear.
    let allowDiscontinuities: Bool

    init(random: SeededRandom, allowDiscontinuities: Bool) {
        self.random = random
        self.allowDiscontinuities = allowDiscontinuities
    }

    /// Traces a whole graph.
    func build() -> Graph {
        baseShape = makeBaseShape()
        _ = remember(input(baseShape), bound: 2)
        for _ in 0..<random.int(0...2) {
            if random.chance(0.2) {
                _ = remember(parameter(partnerShape(of: baseShape)), bound: 2)
            } else {
                _ = remember(input(partnerShape(of: baseShape)), bound: 2)
            }
        }
        for _ in 0..<random.int(5...30) { step() }

        var outputs: [(String, Tensor)] = [("out0", gatherDanglingValues(into: floats.last!))]
        for k in 1..<random.int(1...3) {
            let pool = random.chance(0.7) ? floats : random.pick([floats, ints.isEmpty ? floats : ints,
                                                                   bools.isEmpty ? floats : bools])
            outputs.append(("out\(k)", random.pick(pool)))
        }
        do {
            return try tracer.finish(outputs: outputs)
        } catch {
            fatalError("the random graph generator traced an invalid graph: \(error)")
        }
    }

    /// `last` plus the mean of most values nothing reads yet, so few nodes are dead.
    private func gatherDanglingValues(into last: Tensor) -> Tensor {
        var used = Set(tracer.graph.nodes.flatMap(\.inputs))
        used.insert(last.id)
        var result = last
        for value in floats + ints + bools where !used.contains(value.id) && random.chance(0.8) {
            let asFloat = value.dtype == .float32 ? value : value.cast(.float32)
            let term = asFloat.mean() * (1 / (bound(value) + 1))
            result = result + term
            used.insert(value.id)
        }
        return result
    }

    /// One step: a random op family applied to values made so far.
    private func step() {
        let families: [(weight: Int, run: () -> Void)] = [
            (14, unaryStep), (14, binaryStep), (5, identityStep), (5, compareSelectStep),
            (3, castStep), (8, reductionStep), (6, rowOpStep), (3, softmaxPatternStep),
            (8, matmulStep), (10, layoutStep), (5, indexingStep), (2, convStep),
            (2, randomStep), (3, constantStep),
        ]
        var roll = random.int(0...(families.map(\.weight).reduce(0, +) - 1))
        for family in families {
            if roll < family.weight { family.run(); return }
            roll -= family.weight
        }
    }

    // MARK: Values

    /// Records `t` in its dtype's pool with a magnitude bound; squashes it first if the bound
    /// is too large, so no later op overflows.
    @discardableResult
    func remember(_ t: Tensor, bound: Double) -> Tensor {
        var t = t
        var bound = bound
        if bound > Self.maxBound {
            switch t.dtype {
            case .float32:
                if random.chance(0.5) {
                    t = t.tanh()
                    bound = 1
                } else {
                    t = t * (1 / bound)
                    bound = 1
                }
            case .int32:
                t = t.maximum(-100).minimum(100)
                bound = 100
            case .bool:
                bound = 1
            }
        }
        bounds[t.id] = bound
        switch t.dtype {
        case .float32: floats.append(t)
        case .int32: ints.append(t)
        case .bool: bools.append(t)
        }
        return t
    }

    /// The magnitude bound of `t` (2 for anything not recorded).
    func bound(_ t: Tensor) -> Double { bounds[t.id] ?? 2 }

    /// A float value to work on: usually one of the latest (long chains), else any.
    func pickFloat(rank: ClosedRange<Int> = 0...4) -> Tensor? {
        let candidates = floats.filter { rank.contains($0.rank) }
        guard !candidates.isEmpty else { return nil }
        if random.chance(0.6) { return candidates.last! }
        if random.chance(0.5) { return candidates[max(0, candidates.count - random.int(1...4))] }
        return random.pick(candidates)
    }

    func freshName(_ prefix: String) -> String {
        defer { nameCount += 1 }
        return "\(prefix)\(nameCount)"
    }

    func input(_ shape: [Int], _ dtype: DType = .float32) -> Tensor {
        tracer.input(freshName(dtype == .float32 ? "x" : dtype == .int32 ? "i" : "b"), shape, dtype)
    }

    func parameter(_ shape: [Int]) -> Tensor {
        tracer.parameter(freshName("p"), shape, .normal(mean: 0, std: 1))
    }

    /// The graph's one RNG key.
    func rngKey() -> Tensor {
        if let key { return key }
        let k = tracer.rngKey("key")
        key = k
        return k
    }

    /// A value that broadcasts against `x` without growing it: a pool value of a fitting shape,
    /// a new input, a constant, or a keepDims reduction of `x`.
    func partner(of x: Tensor) -> Tensor {
        let fitting = floats.filter { $0.id != x.id && broadcastShapes(x.shape, $0.shape) == x.shape }
        if !fitting.isEmpty && random.chance(0.35) { return random.pick(fitting) }
        switch random.int(0...5) {
        case 0, 1:
            return remember(input(partnerShape(of: x.shape)), bound: 2)
        case 2:
            return tracer.constant(random.value(-2, 2), [])
        case 3:
            let shape = partnerShape(of: x.shape)
            let values = (0..<TensorType(shape).count).map { _ in random.value(-2, 2) }
            return remember(tracer.constant(values: values, shape), bound: 2)
        default:
            guard x.rank > 0 else { return tracer.constant(random.value(-2, 2), []) }
            let axes = randomAxes(rank: x.rank, allowEmpty: false)
            return remember(x.mean(axes: axes, keepDims: true), bound: bound(x))
        }
    }

    // MARK: Shapes

    private func makeBaseShape() -> [Int] {
        let rank = random.int(1...Self.maxRank)
        if random.chance(0.08) { return [Int](repeating: 1, count: rank) }
        if random.chance(0.1) {
            var shape = (0..<(rank - 1)).map { _ in random.int(1...3) } + [random.pick([33, 130])]
            while TensorType(shape).count > 1024 { shape[random.int(0...(rank - 2))] = 1 }
            return shape
        }
        var shape = (0..<rank).map { _ in random.int(1...7) }
        while TensorType(shape).count > 512 { shape[random.int(0...(rank - 1))] = random.int(1...3) }
        return shape
    }

    /// `shape` with some leading axes dropped and some axes set to 1: broadcasts to `shape`.
    func partnerShape(of shape: [Int]) -> [Int] {
        var s = Array(shape.dropFirst(random.chance(0.3) ? random.int(0...shape.count) : 0))
        for i in s.indices where random.chance(0.3) { s[i] = 1 }
        return s
    }

    /// A random set of distinct axes, sorted (sometimes all, sometimes none).
    func randomAxes(rank: Int, allowEmpty: Bool) -> [Int] {
        if rank == 0 { return [] }
        if allowEmpty && random.chance(0.08) { return [] }
        if random.chance(0.15) { return Array(0..<rank) }
        let axes = (0..<rank).filter { _ in random.chance(0.4) }
        return axes.isEmpty ? [random.int(0...(rank - 1))] : axes
    }

    /// A random shape with `count` elements and rank 1–4.
    func factorShape(_ count: Int) -> [Int] {
        let rank = random.int(1...Self.maxRank)
        var shape = [Int](repeating: 1, count: rank)
        var n = count
        var p = 2
        while n > 1 {
            if p * p > n { p = n }
            while n % p == 0 {
                shape[random.int(0...(rank - 1))] *= p
                n /= p
            }
            p += 1
        }
        return shape
    }

    func fits(_ shape: [Int]) -> Bool {
        shape.count <= Self.maxRank && TensorType(shape).count <= Self.maxElements
    }
}
