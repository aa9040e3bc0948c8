import Testing
import TensorGraph

private struct TwoLayer: Layer {
    func callAsFunction(_ x: Tensor) -> Tensor {
        Sequential {
            Linear(8, 16)
            GELU()
            Linear(16, 3)
        }(x).softmax(axis: -1)
    }
}

@Suite struct TracerTests {
    @Test func tracingTwiceGivesTheSameGraph() throws {
        func trace() throws -> Graph {
            try Tracer.trace { t in ["y": TwoLayer()(t.input("x", [5, 8]))] }
        }
        #expect(try trace() == trace())
    }

    @Test func everyNodeCarriesItsScope() throws {
        let graph = try Tracer.trace { t in ["y": TwoLayer().named("head")(t.input("x", [5, 8]))] }
        let matmuls = graph.nodes.filter { $0.op.kind == .matmul }
        #expect(matmuls.map(\.scope) == ["head.0", "head.2"])
    }

    @Test func shapeErrorNamesScopeOpAndBothShapes() throws {
        do {
            _ = try Tracer.trace { t in
                let x = t.input("x", [5, 8])
                return ["y": Linear(7, 3).named("proj")(x)]
            }
            Issue.record("expected a shape error")
        } catch let error as GraphError {
            let message = error.description
            #expect(message.contains("proj"))
            #expect(message.contains("matmul"))
            #expect(message.contains("f32[5,8]"))
            #expect(message.contains("f32[3,7]"))
        }
    }

    @Test func sharedParameterNameWithOtherShapeIsAnError() throws {
        #expect(throws: GraphError.self) {
            _ = try Tracer.trace { t in
                let a = t.parameter("w", [2], .zeros)
                let b = t.parameter("w", [3], .zeros)
                return ["a": a, "b": b]
            }
        }
    }

    @Test func sameParameterTwiceIsShared() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 4])
            let layer = Linear(4, 4).named("shared")
            return ["y": layer(layer(x))]
        }
        #expect(graph.parameters.count == 2)
    }

    @Test func verifierRejectsForwardReferencesAndWrongTypes() throws {
        var graph = try Tracer.trace { t in
            let x = t.input("x", [2, 3])
            return ["y": x.exp()]
        }
        var broken = graph
        broken.nodes[1].type = TensorType([3, 2])
        #expect(throws: GraphError.self) { try verify(broken) }
        graph.nodes[1].inputs = [NodeID(1)]
        #expect(throws: GraphError.self) { try verify(graph) }
    }

    @Test func dtypesNeverPromoteSilently() throws {
        #expect(throws: GraphError.self) {
            _ = try Tracer.trace { t in
                ["y": t.input("a", [2]) + t.input("b", [2], .int32)]
            }
        }
    }

    @Test func broadcastingFollowsNumPy() {
        #expect(broadcastShapes([2, 1, 4], [3, 1]) == [2, 3, 4])
        #expect(broadcastShapes([2, 3], [4]) == nil)
        #expect(broadcastShapes([], [5]) == [5])
    }
}
