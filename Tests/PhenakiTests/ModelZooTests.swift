import PhenakiGraphs
import TensorGraph
import Testing

@Suite struct ModelZooTests {
    @Test func transformerBlockHasPhenakiStateDictNamesAndShapes() throws {
        let graph = try ModelZoo.graph(named: "transformer-block")
        let shapes = Dictionary(uniqueKeysWithValues: graph.parameters.map { ($0.name, $0.node.type.shape) })
        let expected: [String: [Int]] = [
            "layers.0.1.norm.gamma": [512],
            "layers.0.1.to_q.weight": [512, 512],
            "layers.0.1.to_kv.weight": [1024, 512],
            "layers.0.1.q_scale": [64],
            "layers.0.1.k_scale": [64],
            "layers.0.1.to_out.weight": [512, 512],
            "layers.0.3.0.weight": [512],  // the feed-forward's norm is a plain nn.LayerNorm
            "layers.0.3.0.bias": [512],
            "layers.0.3.1.weight": [2730, 512],
            "layers.0.3.4.weight": [512, 1365],
            "norm_out.gamma": [512],
        ]
        #expect(shapes == expected)
    }

    @Test func zooGraphsHaveScalarLossAndModelOutput() throws {
        for name in ModelZoo.names {
            let graph = try ModelZoo.graph(named: name)
            let loss = try #require(graph.output("loss"), "\(name) has no loss")
            #expect(graph[loss].type == TensorType([], .float32), "\(name)")
            #expect(graph.output("y") != nil, "\(name) has no y")
        }
        let transformer = try ModelZoo.graph(named: "transformer-block")
        #expect(transformer[try #require(transformer.output("y"))].type.shape == [1, 576, 512])
        let mlp = try ModelZoo.graph(named: "mlp")
        #expect(mlp[try #require(mlp.output("y"))].type.shape == [16, 10])
        #expect(mlp.inputs.map(\.name) == ["x", "labels"])
        #expect(mlp.inputs.map(\.node.type.dtype) == [.float32, .int32])
        #expect(mlp.parameters.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    }

    @Test func tracingTwiceGivesEqualGraphs() throws {
        for name in ModelZoo.names {
            #expect(try ModelZoo.graph(named: name) == ModelZoo.graph(named: name), "\(name)")
        }
    }

    @Test func unknownModelErrorListsValidNames() {
        #expect(throws: ModelZooError.unknownModel(name: "gpt", valid: ["mlp", "transformer-block"])) {
            try ModelZoo.graph(named: "gpt")
        }
        let message = ModelZooError.unknownModel(name: "gpt", valid: ModelZoo.names).description
        #expect(message.contains("gpt") && message.contains("mlp") && message.contains("transformer-block"))
    }
}
