import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

@Suite struct PassTests {
    private func sample() throws -> Graph {
        try Tracer.trace { t in
            let x = t.input("x", [2, 3])
            _ = t.input("unused", [4])
            let a = x.exp() + 1.0
            let b = x.exp() + 1.0          // the same computation again
            _ = x.tanh().sum()             // dead
            return ["y": (a * b).sum(axes: [1])]
        }
    }

    @Test func cseMergesRepeatedWorkAndDCEDropsDeadNodesButKeepsTheInterface() throws {
        let graph = try sample()
        let optimized = try PassManager.canonicalize.run(graph)
        #expect(optimized.nodes.filter { $0.op.kind == .exp }.count == 1)
        #expect(!optimized.nodes.contains { $0.op.kind == .tanh })
        #expect(optimized.inputs.map(\.name) == ["x", "unused"])
        #expect(optimized.nodes.count < graph.nodes.count)

        let feeds = ["x": HostTensor(shape: [2, 3], dtype: .float32, scalars: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6]),
                     "unused": HostTensor.zeros([4], dtype: .float32)]
        let interpreter = ReferenceInterpreter(precision: .float64)
        #expect(try interpreter.run(graph, feeds: feeds) == interpreter.run(optimized, feeds: feeds))
    }

    @Test func passManagerNamesThePassThatBrokeTheGraph() throws {
        let breaking = GraphPass("breaker") { g in
            var g = g
            g.nodes[g.nodes.count - 1].type = TensorType([7])
            return g
        }
        let manager = PassManager([.deadCode, breaking], verifyAfterEachPass: true)
        do {
            _ = try manager.run(try sample())
            Issue.record("expected the verifier to fail")
        } catch {
            #expect("\(error)".contains("breaker"))
        }
    }

    @Test func jointGraphKeepsForwardOutputsAndAddsOneGradientPerParameter() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [4, 3])
            let y = Sequential { Linear(3, 5); GELU(); Linear(5, 2) }(x)
            return ["loss": y.square().mean()]
        }
        let joint = try addingParameterGradients(to: graph, loss: "loss")
        #expect(joint.outputs.map(\.name) == ["loss", "grad:0.weight", "grad:0.bias", "grad:2.weight", "grad:2.bias"])
        for p in graph.parameters {
            #expect(joint[joint.output("grad:" + p.name)!].type == p.node.type)
        }
        #expect(joint.nodes.count > 2 * graph.nodes.count)
    }
}
