import GraphCompiler
import GraphRuntime
import Synchronization
import Testing
import TensorGraph

@Suite struct SimplifyPipelineTests {
    @Test func pipelineReachesAFixedPoint() throws {
        for seed in UInt64(0)..<40 {
            var generator = RandomGraphGenerator(seed: seed)
            let once = try PassManager.simplify.run(try jointGraph(of: generator.make().graph, seed: seed))
            #expect(try PassManager.simplify.run(once) == once, "seed \(seed)")
        }
    }

    @Test func fixedPointStopsAfterMaxRounds() throws {
        let rounds = Mutex(0)
        let growing = GraphPass("grow") { graph in
            rounds.withLock { $0 += 1 }
            let tracer = Tracer(extending: graph)
            _ = tracer.constant(1, [])
            return tracer.graph
        }
        let graph = try Tracer.trace { t in ["y": t.input("x", [2]).exp()] }
        _ = try PassManager([.fixedPoint("grow", PassManager([growing]), maxRounds: 3)]).run(graph)
        #expect(rounds.withLock { $0 } == 3)
    }

    @Test func interfaceAndNamesSurvive() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 3])
            _ = t.input("unused", [4])
            _ = t.rngKey("key")
            let w = t.parameter("w", [3], .ones)
            return ["x": x, "y": (x * 1.0 + 0.0) * w, "z": t.constant(2, []) * 3.0]
        }
        let result = try PassManager.simplify.run(graph)
        try expectSameInterface(graph, result, seed: 0)
        #expect(result.inputs.map(\.name) == ["x", "unused"] && result.rngKeys.map(\.name) == ["key"])
        #expect(result.parameters.map(\.name) == ["w"])
        #expect(result[result.output("x")!].op == .input(name: "x"))
        #expect(result[result.output("z")!].op == .constant(values: [6]))
        #expect(computeKinds(result) == [.mul])
    }

    /// The joint graph of a small MLP loses the identities autodiff writes (reshapes of
    /// reshapes, divisions by one, expands of splats) and still computes the same gradients.
    @Test func jointGraphOfAnMLPShrinksAndKeepsItsValues() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [4, 3])
            let labels = t.input("labels", [4], .int32)
            let y = Sequential { Linear(3, 5); GELU(); Linear(5, 2) }(x)
            return ["loss": -(y.logSoftmax(axis: -1) * labels.oneHot(2)).sum(axes: [1]).mean()]
        }
        let joint = try addingParameterGradients(to: graph, loss: "loss")
        let canonical = try PassManager.canonicalize.run(joint)
        let result = try PassManager.simplify(SimplifyOptions(foldingPrecision: .float64)).run(joint)
        #expect(result.nodes.count < canonical.nodes.count)
        var feeds = randomFeeds(for: joint, seed: 5)
        feeds["labels"] = HostTensor(shape: [4], dtype: .int32, scalars: [0, 1, 1, 0])
        try expectSameInterface(joint, result, seed: 0)
        try expectSameOutputs(joint, result, feeds: feeds, precision: .float64, seed: 0)
    }
}
