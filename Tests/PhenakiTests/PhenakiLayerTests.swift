import PhenakiGraphs
import TensorGraph
import Testing

@Suite struct PhenakiLayerTests {
    @Test func feedForwardInnerDimMatchesPythonInt() {
        // int(mult * (2 / 3) * dim) in Python.
        #expect(FeedForward(dim: 512, mult: 4).innerDim == 1365)
        #expect(FeedForward(dim: 64, mult: 4).innerDim == 170)
        #expect(FeedForward(dim: 30, mult: 3).innerDim == 60)
    }

    @Test func feedForwardKeepsTheDropoutSlot() throws {
        let graph = try Tracer.trace { t in ["y": FeedForward(dim: 12, mult: 2)(t.input("x", [2, 3, 12]))] }
        #expect(graph.parameters.map(\.name) == ["0.weight", "0.bias", "1.weight", "4.weight"])
        #expect(graph.parameters.map(\.node.type.shape) == [[12], [12], [32, 12], [12, 16]])
    }

    @Test func gegluGatesTheSecondHalf() throws {
        let graph = try Tracer.trace { t in ["y": GEGLU()(t.input("x", [3, 8]))] }
        let slices = graph.nodes.compactMap { node -> [Int]? in
            if case .slice(let starts, _) = node.op { return starts }
            return nil
        }
        #expect(slices == [[0, 0], [0, 4]])
        let gelu = try #require(graph.nodes.first { $0.op.kind == .gelu })
        #expect(graph[gelu.inputs[0]].op == .slice(starts: [0, 4], ends: [3, 8]))
        #expect(graph[try #require(graph.output("y"))].type.shape == [3, 4])
    }

    @Test func nullKeyValuesArePrependedAndBiasIsPadded() throws {
        let attention = Attention(dim: 16, dimHead: 4, heads: 2, numNullKV: 3)
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 5, 16])
            let bias = t.input("bias", [1, 2, 5, 5])
            return ["y": attention(x, attentionBias: bias)]
        }
        let nullKV = try #require(graph.parameter("null_kv"))
        #expect(graph[nullKV].type.shape == [2, 6, 4])
        #expect(graph[nullKV].op == .parameter(name: "null_kv", initializer: .normal(mean: 0, std: 1)))
        // Keys and values carry the 3 null positions; the padded bias has the scores' shape.
        let attentionNode = try #require(graph.nodes.first { $0.op.kind == .attention })
        #expect(graph[attentionNode.inputs[1]].type.shape == [2, 2, 8, 4])
        #expect(graph[attentionNode.inputs[3]].type.shape == [1, 2, 5, 8])
        #expect(graph.nodes.contains { $0.op == .pad(before: [0, 0, 0, 3], after: [0, 0, 0, 0], value: 0) })
        #expect(graph[try #require(graph.output("y"))].type.shape == [2, 5, 16])
    }

    @Test func transformerNumbersEveryBlock() throws {
        let graph = try Tracer.trace { t in
            ["y": Transformer(dim: 8, depth: 2, dimHead: 4, heads: 2, ffMult: 2)(t.input("x", [1, 3, 8]))]
        }
        let names = graph.parameters.map(\.name)
        #expect(names.filter { $0.hasPrefix("layers.1.") }.count == names.filter { $0.hasPrefix("layers.0.") }.count)
        #expect(names.contains("layers.1.3.4.weight"))
        #expect(names.last == "norm_out.gamma")
        #expect(names.count == 2 * 10 + 1)
    }
}
