import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

/// Differential fuzzing of the whole compiler: random graphs (broadcasting, reductions, views,
/// long element-wise chains, softmax patterns, matmuls, convs, indexing), compiled with and
/// without fusion, run on 2 threads, against the reference interpreter.
@Suite struct FuzzPlanTests {
    @Test func randomForwardGraphsMatchTheInterpreter() throws {
        var worst = 0.0
        for seed in 0..<200 as Range<UInt64> {
            var generator = RandomGraphGenerator(seed: seed, allowDiscontinuities: false)
            let (graph, feeds) = generator.make()
            for fuse in [true, false] {
                let error = try planVersusInterpreter(graph, feeds: feeds, fuse: fuse)
                #expect(error < 1e-4, "seed \(seed) fuse=\(fuse): relative error \(error)")
                worst = max(worst, error)
            }
        }
        #expect(worst < 1e-4)
    }

    @Test func randomJointGraphsMatchTheInterpreter() throws {
        for seed in 1000..<1100 as Range<UInt64> {
            var generator = RandomGraphGenerator(seed: seed, allowDiscontinuities: false)
            let (forward, feeds) = generator.make()
            guard let out = forward.outputs.first(where: { forward[$0.node].type.dtype == .float32 }) else { continue }
            let tracer = Tracer(extending: forward)
            let loss = tracer.tensor(out.node).sum()
            var graph = try tracer.finish(outputs: forward.outputs.map { ($0.name, tracer.tensor($0.node)) } + [("loss", loss)])
            let targets = graph.inputs.filter { $0.node.type.dtype == .float32 }.map(\.node.id)
            let (joint, grads) = try gradients(of: loss.id, withRespectTo: targets, in: graph)
            graph = joint
            for (i, g) in grads.enumerated() { graph.outputs.append(GraphOutput(name: "d\(i)", node: g)) }
            let error = try planVersusInterpreter(graph, feeds: feeds, fuse: true)
            #expect(error < 1e-3, "seed \(seed): relative error \(error)")
        }
    }
}
