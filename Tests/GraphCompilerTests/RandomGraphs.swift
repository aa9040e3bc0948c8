import GraphRuntime
import TensorGraph

/// Deterministic random graphs for differential tests: every optimisation must compute what
/// the reference interpreter computes on the original graph.
///
/// Each graph is traced through `Tracer` with 5–30 steps (a step records one to a handful of
/// nodes) drawn from:
/// - elementwise unary and binary ops (arithmetic, `pow`, `maximum`/`minimum`, logic), with
///   NumPy broadcasting (random size-1 axes, missing leading axes, scalar constants);
/// - comparisons and `select` (also with a constant condition), `clamp`, casts between
///   float32, int32 and bool, int32 arithmetic;
/// - reductions (`sum`, `mean`, `max`, `logsumexp`) over random axes, with and without
///   `keepDims`, including no axes; `argmax`;
/// - `softmax`, `l2Normalize` on any axis, `layerNorm` on the last axis or on another one
///   through a permute, and the unfused softmax pattern `x - max → exp → / sum`;
/// - `matmul` with random transpose flags, broadcast batch axes, explicit transposes of
///   either operand and of the result;
/// - layout: `reshape`, `permute`, `slice`, `concat`, `pad`, `expand`;
/// - indexing with in-range int32 indices (fed inputs, `iota`, `argmax`, `argsort`, `topK`):
///   `gather`, `oneHot`, `takeAlongAxis`; chunks split by slices and joined again (GEGLU,
///   nested concats), whose gradients sum zero-pads;
/// - 2-D `conv` with stride, padding and groups;
/// - `randomUniform`/`randomNormal` from an `rngKey` input through `foldIn` (dropout, noise);
/// - `iota`, literal constants and whole constant subexpressions, and deliberate identities
///   (`x + 0` that broadcasts, `x * 1`, `neg(neg x)`, same-shape reshape/expand, full slices,
///   empty pads, same-dtype casts, reductions over no axes, `stopGradient`, `pow(x, 1)`) so
///   simplification passes have work.
///
/// Shapes have rank 1–4 and extents 1–7, sometimes all 1, sometimes a last axis of 33 or
/// 130; no value has more than 2048 elements. `log`, `sqrt`, `rsqrt`, `pow` and `div` get
/// operands made valid inside the graph (`abs(x) + 0.5`, clamped exponents), and values whose
/// rough magnitude bound passes 10⁴ are squashed, so every graph is finite for any feed in
/// [-2, 2]. Graphs have 1–3 named outputs (`out0`, ...), the first float32. Everything is a
/// function of the seed.
///
/// With `allowDiscontinuities: false` the graphs leave out ops whose output jumps when an
/// input crosses a threshold (comparisons on computed values, casts to int32 or bool, `sign`,
/// `argmax`, `argsort`, `topK`): a plan that rounds differently from the interpreter then
/// differs from it only by rounding, never by a flipped branch. Kinks (`relu`, `abs`, `max`,
/// `clamp`) and dropout masks (drawn from the key, not the data) stay.
struct RandomGraphGenerator {
    private var random: SeededRandom
    private let allowDiscontinuities: Bool

    /// A generator whose graphs are a function of `seed`.
    init(seed: UInt64, allowDiscontinuities: Bool = true) {
        random = SeededRandom(seed: seed)
        self.allowDiscontinuities = allowDiscontinuities
    }

    /// The next graph and feeds that make it valid (indices in range).
    mutating func make() -> (graph: Graph, feeds: [String: HostTensor]) {
        let sketch = GraphSketch(random: random, allowDiscontinuities: allowDiscontinuities)
        let graph = sketch.build()
        random = sketch.random
        let feedSeed = random.next()
        return (graph, randomFeeds(for: graph, seed: feedSeed))
    }
}

/// SplitMix64: small, fast, and the same on every platform.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in [lo, hi), rounded to a float32 value.
    mutating func value(_ lo: Double, _ hi: Double) -> Double { Double(Float(lo + (hi - lo) * unit())) }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }

    mutating func shuffled<T>(_ xs: [T]) -> [T] {
        var xs = xs
        for i in stride(from: xs.count - 1, to: 0, by: -1) { xs.swapAt(i, int(0...i)) }
        return xs
    }
}

/// Feeds for every parameter, input and RNG key of `graph`: floats in [-2, 2] (float32
/// values), int32 indices in range for every index op that reads the input directly (else
/// integers in [-3, 3]), random bools and keys.
func randomFeeds(for graph: Graph, seed: UInt64) -> [String: HostTensor] {
    var random = SeededRandom(seed: seed ^ 0x5EED_F00D)
    // The tightest index bound each int32 source must respect.
    var bound: [NodeID: Int] = [:]
    func limit(_ id: NodeID, _ n: Int) { bound[id] = min(bound[id] ?? Int.max, n) }
    for node in graph.nodes {
        switch node.op {
        case .gather(let axis), .takeAlongAxis(let axis):
            limit(node.inputs[1], graph[node.inputs[0]].type.shape[axis])
        case .scatterAdd(_, let size), .scatterAlongAxisAdd(_, let size):
            limit(node.inputs[1], size)
        case .oneHot(let depth):
            limit(node.inputs[0], depth)
        default:
            break
        }
    }
    var feeds: [String: HostTensor] = [:]
    for node in graph.nodes {
        let name: String
        switch node.op {
        case .parameter(let n, _), .input(let n): name = n
        case .rngKey(let n):
            feeds[n] = HostTensor(shape: [2], dtype: .int32,
                                  scalars: [Double(Int32(truncatingIfNeeded: random.next())),
                                            Double(Int32(truncatingIfNeeded: random.next()))])
            continue
        default: continue
        }
        let type = node.type
        let scalars: [Double] = (0..<type.count).map { _ in
            switch type.dtype {
            case .float32: return random.value(-2, 2)
            case .bool: return Double(random.int(0...1))
            case .int32:
                if let n = bound[node.id] { return Double(random.int(0...(n - 1))) }
                return Double(random.int(-3...3))
            }
        }
        feeds[name] = HostTensor(shape: type.shape, dtype: type.dtype, scalars: scalars)
    }
    return feeds
}
