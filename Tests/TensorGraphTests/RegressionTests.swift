import Testing
import TensorGraph

/// Bugs found in review, each pinned by a test that failed before its fix.
@Suite struct RegressionTests {
    @Test func lowRankConvTransposeOperandsAreShapeErrorsNotCrashes() {
        let rule = Op.convTranspose(stride: [1], padding: [0], groups: 1, outputSpatial: [4])
        #expect(throws: GraphError.self) {
            _ = try inferType(rule, inputs: [TensorType([1, 2, 4]), TensorType([2])], declared: nil)
        }
        let weightGrad = Op.convWeightGrad(stride: [1], padding: [0], groups: 1, kernel: [1])
        #expect(throws: GraphError.self) {
            _ = try inferType(weightGrad, inputs: [TensorType([1, 2, 4]), TensorType([4])], declared: nil)
        }
    }

    @Test func parameterAndInputCannotShareAName() {
        #expect(throws: GraphError.self) {
            _ = try Tracer.trace { t in
                let w = t.parameter("w", [2], .zeros)
                return ["y": w + t.input("w", [2])]
            }
        }
        var graph = Graph()
        graph.nodes = [
            Node(id: NodeID(0), op: .parameter(name: "a", initializer: .zeros), inputs: [], type: TensorType([1]), scope: ""),
            Node(id: NodeID(1), op: .input(name: "a"), inputs: [], type: TensorType([1]), scope: ""),
        ]
        #expect(throws: GraphError.self) { try verify(graph) }
    }

    @Test func sameNameWithAnotherInitialiserIsAnError() {
        #expect(throws: GraphError.self) {
            _ = try Tracer.trace { t in
                ["a": t.parameter("w", [2], .zeros), "b": t.parameter("w", [2], .ones)]
            }
        }
    }

    @Test func boolTensorsCompareWithScalars() throws {
        let graph = try Tracer.trace { t in
            ["y": t.input("mask", [3], .bool) .== 1.0]
        }
        #expect(graph[graph.output("y")!].type == TensorType([3], .bool))
    }
}

@Suite struct OverflowRegressionTests {
    /// A corrupt file once reached `reshape` with a 2^62 extent and trapped on overflow.
    @Test func hugeExtentsAreShapeErrors() {
        #expect(TensorType([1 << 62, 8]).count == Int.max)
        #expect(throws: GraphError.self) {
            _ = try inferType(.reshape(shape: [1 << 62, 4]), inputs: [TensorType([4])], declared: nil)
        }
        #expect(throws: GraphError.self) {
            _ = try inferType(.input(name: "x"), inputs: [], declared: TensorType([1 << 31, 1 << 31]))
        }
        #expect(throws: GraphError.self) {
            _ = try inferType(.expand(shape: [1 << 30, 1 << 30, 4]), inputs: [TensorType([4])], declared: nil)
        }
    }
}
