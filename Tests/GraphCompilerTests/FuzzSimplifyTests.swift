import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

/// Differential fuzzing of `PassManager.simplify`: on random graphs, and on their joint
/// forward + backward graphs, the simplified graph must compute what the original computes
/// on the reference interpreter.
@Suite struct FuzzSimplifyTests {
    static let seeds: [UInt64] = Array(0..<300)
    /// The simplification pipeline with folding in float64, matching the float64 oracle.
    static let exact = PassManager.simplify(SimplifyOptions(foldingPrecision: .float64))

    @Test func simplifiedForwardGraphsMatchTheOriginal() throws {
        var before = 0
        var after = 0
        for seed in Self.seeds {
            var generator = RandomGraphGenerator(seed: seed)
            let (graph, feeds) = generator.make()
            let simplified = try Self.exact.run(graph)
            before += graph.nodes.count
            after += simplified.nodes.count
            try expectSameInterface(graph, simplified, seed: seed)
            try expectSameOutputs(graph, simplified, feeds: feeds, precision: .float64, seed: seed)

            // The default pipeline folds in float32: exact against the float32 oracle.
            let simplified32 = try PassManager.simplify.run(graph)
            try expectSameOutputs(graph, simplified32, feeds: feeds, precision: .float32, seed: seed)
        }
        #expect(after < before)
        print("fuzz forward: \(Self.seeds.count) graphs, \(before) → \(after) nodes")
    }

    @Test func simplifiedJointGraphsMatchTheOriginal() throws {
        var before = 0
        var after = 0
        for seed in Self.seeds {
            var generator = RandomGraphGenerator(seed: seed)
            let (graph, feeds) = generator.make()
            let joint = try jointGraph(of: graph, seed: seed)
            let simplified = try Self.exact.run(joint)
            before += joint.nodes.count
            after += simplified.nodes.count
            try expectSameInterface(joint, simplified, seed: seed)
            try expectSameOutputs(joint, simplified, feeds: feeds, precision: .float64, seed: seed)
        }
        #expect(after < before)
        print("fuzz joint: \(Self.seeds.count) graphs, \(before) → \(after) nodes")
    }
}

/// The generator itself: deterministic, and without jumps when asked.
@Suite struct RandomGraphGeneratorTests {
    @Test func graphsAndFeedsAreAFunctionOfTheSeed() {
        for seed in UInt64(0)..<20 {
            var a = RandomGraphGenerator(seed: seed)
            var b = RandomGraphGenerator(seed: seed)
            let (ga, fa) = a.make()
            let (gb, fb) = b.make()
            #expect(ga == gb && fa == fb)
            #expect(a.make().graph == b.make().graph)
        }
    }

    @Test func continuousGraphsLeaveOutJumpsAndStillSimplifyExactly() throws {
        let jumps: Set<OpKind> = [.sign, .argmax, .argsort, .top_k, .less, .less_equal, .greater, .greater_equal,
                                  .equal, .not_equal]
        var nodes = 0
        for seed in UInt64(1000)..<1060 {
            var generator = RandomGraphGenerator(seed: seed, allowDiscontinuities: false)
            let (graph, feeds) = generator.make()
            nodes += graph.nodes.count
            for node in graph.nodes {
                let randomMask = node.op == .binary(.less) && graph[node.inputs[0]].op == .randomUniform
                #expect(!jumps.contains(node.op.kind) || randomMask, "seed \(seed): \(node.op.kind)")
                if case .cast(let to) = node.op { #expect(to == .float32, "seed \(seed)") }
            }
            try expectSameOutputs(graph, try FuzzSimplifyTests.exact.run(graph), feeds: feeds, precision: .float64,
                                  seed: seed)
        }
        #expect(nodes > 60 * 10)
    }
}

/// `graph` plus `loss` = Σ of one float output (picked by the seed) and `grad:<name>` = ∂loss/∂
/// every float input and parameter.
func jointGraph(of graph: Graph, seed: UInt64) throws -> Graph {
    let floatOutputs = graph.outputs.filter { graph[$0.node].type.dtype == .float32 }
    let picked = floatOutputs[Int(seed % UInt64(floatOutputs.count))]
    let tracer = Tracer(extending: graph)
    let loss = tracer.tensor(picked.node).sum()
    var withLoss = try tracer.finish(outputs: graph.outputs.map { ($0.name, tracer.tensor($0.node)) } + [("loss", loss)])
    let targets = withLoss.nodes.filter { node in
        switch node.op {
        case .input, .parameter: return node.type.dtype == .float32
        default: return false
        }
    }
    let (joint, grads) = try gradients(of: loss.id, withRespectTo: targets.map(\.id), in: withLoss)
    withLoss = joint
    for (target, grad) in zip(targets, grads) {
        if case .input(let name) = target.op { withLoss.outputs.append(GraphOutput(name: "grad:" + name, node: grad)) }
        if case .parameter(let name, _) = target.op {
            withLoss.outputs.append(GraphOutput(name: "grad:" + name, node: grad))
        }
    }
    try verify(withLoss)
    return withLoss
}

/// Parameters, inputs, RNG keys (names, types, order) and outputs (names, types) agree.
func expectSameInterface(_ a: Graph, _ b: Graph, seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
    func sources(_ g: Graph) -> [String] {
        g.nodes.compactMap { node in
            switch node.op {
            case .parameter, .input, .rngKey: return "\(node.op.attributeSummary) \(node.type)"
            default: return nil
            }
        }
    }
    #expect(sources(a) == sources(b), "seed \(seed): sources changed", sourceLocation: sourceLocation)
    #expect(a.outputs.map { "\($0.name) \(a[$0.node].type)" } == b.outputs.map { "\($0.name) \(b[$0.node].type)" },
            "seed \(seed): outputs changed", sourceLocation: sourceLocation)
}

/// Both graphs give every output within 1e-9 relative (NaNs at the same places).
func expectSameOutputs(
    _ original: Graph, _ simplified: Graph, feeds: [String: HostTensor], precision: Precision, seed: UInt64,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let interpreter = ReferenceInterpreter(precision: precision)
    let expected = try interpreter.run(original, feeds: feeds)
    let got = try interpreter.run(simplified, feeds: feeds)
    for output in original.outputs {
        let (e, g) = (expected[output.name]!, got[output.name]!)
        let error = relativeDifference(g, e)
        #expect(error <= 1e-9, "seed \(seed) \(precision): output \(output.name) differs by \(error)",
                sourceLocation: sourceLocation)
    }
}

/// The largest `|a - b| / max(|b|, 1e-30)` over elements; NaNs must match, equal values
/// (infinities included) count as 0; `.infinity` when types differ.
func relativeDifference(_ a: HostTensor, _ b: HostTensor) -> Double {
    guard a.shape == b.shape, a.dtype == b.dtype else { return .infinity }
    var worst = 0.0
    for (x, y) in zip(a.scalars, b.scalars) {
        if x.isNaN || y.isNaN {
            if x.isNaN != y.isNaN { return .infinity }
            continue
        }
        if x == y { continue }
        worst = max(worst, abs(x - y) / max(abs(y), 1e-30))
    }
    return worst
}
