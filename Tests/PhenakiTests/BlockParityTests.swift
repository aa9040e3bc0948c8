import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// One fixture written by Tools/reference/make_block_fixtures.py from phenaki-pytorch 0.5.0.
struct BlockFixture {
    let name: String
    let config: [String: Any]
    let weights: [String: HostTensor]
    let inputs: [String: HostTensor]
    let outputs: [String: HostTensor]

    init(_ name: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/blocks/\(name)").standardizedFileURL.path
        self.name = name
        let json = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        config = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
        weights = try SafeTensorsFile.read(path: dir + "/weights.safetensors").tensors
        inputs = try SafeTensorsFile.read(path: dir + "/inputs.safetensors").tensors
        outputs = try SafeTensorsFile.read(path: dir + "/outputs.safetensors").tensors
    }

    var constructor: [String: Any] { config["constructor_kwargs"] as? [String: Any] ?? [:] }
    func int(_ key: String, _ fallback: Int) -> Int { constructor[key] as? Int ?? fallback }
    func bool(_ key: String) -> Bool { constructor[key] as? Bool ?? false }
    /// An int32 input read as Swift ints (video shapes, grid sizes).
    func ints(_ key: String) -> [Int] { inputs[key]!.scalars.map { Int($0) } }
}

/// Traces `build` on the fixture's float/bool inputs, adds the loss Σ y·grad_weight and its
/// gradients, runs it on the reference interpreter (float64) and compiled (2 threads), and
/// compares y and every gradient the fixture holds.
func checkParity(_ fixture: BlockFixture, build: (Tracer, [String: Tensor]) -> Tensor) throws {
    let tracer = Tracer()
    var tensors: [String: Tensor] = [:]
    for (name, value) in fixture.inputs.sorted(by: { $0.key < $1.key }) where value.dtype != .int32 && name != "grad_weight" {
        tensors[name] = tracer.input(name, value.shape, value.dtype)
    }
    let y = build(tracer, tensors)
    let weight = tracer.input("grad_weight", y.shape)
    let loss = (y * weight).sum()
    let forward = try tracer.finish(outputs: [("y", y), ("loss", loss)])
    let floatInputs = forward.inputs.filter { $0.node.type.dtype == .float32 && $0.name != "grad_weight" }
    let targets = forward.parameters.map(\.node.id) + floatInputs.map(\.node.id)
    var (graph, grads) = try gradients(of: forward.output("loss")!, withRespectTo: targets, in: forward)
    let names = forward.parameters.map { "grad:" + $0.name } + floatInputs.map { "grad_input:" + $0.name }
    for (name, g) in zip(names, grads) { graph.outputs.append(GraphOutput(name: name, node: g)) }

    // Every parameter of the Swift graph is a phenaki-pytorch state_dict entry of the same shape.
    for p in forward.parameters {
        let reference = try #require(fixture.weights[p.name], "\(fixture.name): no weight \(p.name) in the fixture")
        #expect(reference.shape == p.node.type.shape, "\(fixture.name): \(p.name)")
    }
    var feeds = fixture.weights.merging(fixture.inputs) { a, _ in a }
    feeds = feeds.filter { $0.value.dtype != .int32 }
    let oracle = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
    let compiled = try PlanExecutor(plan: compile(graph), threads: 2).run(feeds: feeds)
    for (result, label) in [(oracle, "reference interpreter"), (compiled, "compiled plan")] {
        for name in ["y"] + names {
            guard let expected = fixture.outputs[name] else { continue }
            let actual = try #require(result[name], "\(name) missing")
            let scale = max(expected.scalars.map(abs).max() ?? 0, 1e-6)
            let error = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            let tolerance = name == "y" ? 1e-4 : 1e-3
            #expect(error / scale <= tolerance, "\(fixture.name) \(label) \(name): relative error \(error / scale)")
        }
    }
}

@Suite struct BlockParityTests {
    @Test func layerNorm() throws {
        let f = try BlockFixture("layernorm")
        try checkParity(f) { _, x in PhenakiLayerNorm(f.int("dim", 0))(x["x"]!) }
    }

    @Test func feedForward() throws {
        let f = try BlockFixture("feedforward")
        try checkParity(f) { _, x in FeedForward(dim: f.int("dim", 0), mult: Double(f.int("mult", 4)))(x["x"]!) }
    }

    @Test(arguments: ["attention_plain", "attention_null_kv", "attention_bias", "attention_key_mask",
                      "attention_causal_alibi_h2", "attention_causal_alibi_h3", "attention_causal_alibi_null_kv",
                      "attention_cross"])
    func attention(name: String) throws {
        let f = try BlockFixture(name)
        let layer = Attention(dim: f.int("dim", 0), dimContext: f.constructor["dim_context"] as? Int,
                              dimHead: f.int("dim_head", 64), heads: f.int("heads", 8), causal: f.bool("causal"),
                              numNullKV: f.int("num_null_kv", 0))
        try checkParity(f) { _, x in
            layer(x["x"]!, mask: x["mask"], context: x["context"], attentionBias: x["attn_bias"])
        }
    }

    @Test(arguments: ["continuous_position_bias_2d", "continuous_position_bias_3d"])
    func continuousPositionBias(name: String) throws {
        let f = try BlockFixture(name)
        let cpb = ContinuousPositionBias(dim: f.int("dim", 0), heads: f.int("heads", 0), numDims: f.int("num_dims", 2),
                                         layers: f.int("layers", 2), logDistance: true)
        try checkParity(f) { t, _ in cpb(t, dimensions: f.ints("dimensions")) }
    }

    @Test(arguments: ["peg", "peg_causal"])
    func peg(name: String) throws {
        let f = try BlockFixture(name)
        try checkParity(f) { _, x in
            PEG(dim: f.int("dim", 0), causal: f.bool("causal"))(x["x"]!, shape: f.ints("video_shape"))
        }
    }

    @Test(arguments: ["transformer_spatial", "transformer_temporal_causal", "transformer_cross", "transformer_maskgit"])
    func transformer(name: String) throws {
        let f = try BlockFixture(name)
        let layer = Transformer(dim: f.int("dim", 0), depth: f.int("depth", 1),
                                dimContext: f.constructor["dim_context"] as? Int, causal: f.bool("causal"),
                                dimHead: f.int("dim_head", 64), heads: f.int("heads", 8),
                                ffMult: Double(f.int("ff_mult", 4)), peg: f.bool("peg"), pegCausal: f.bool("peg_causal"),
                                attnNumNullKV: f.int("attn_num_null_kv", 2), hasCrossAttn: f.bool("has_cross_attn"))
        let shape = f.inputs["video_shape"].map { _ in f.ints("video_shape") }
        try checkParity(f) { _, x in
            layer(x["x"]!, videoShape: shape, attentionBias: x["attn_bias"], context: x["context"],
                  selfAttentionMask: x["self_attn_mask"], crossAttentionContextMask: x["cross_attn_context_mask"])
        }
    }
}
