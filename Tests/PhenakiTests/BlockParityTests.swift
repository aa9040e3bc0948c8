import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

typealias BlockFixture = ReferenceFixture

extension ReferenceFixture {
    /// A case of Tests/Fixtures/blocks.
    init(_ name: String) throws { try self.init("blocks", name) }
}

/// Traces `build` on the fixture's inputs, adds the loss Σ y·grad_weight and its gradients,
/// runs it on the reference interpreter (float64) and compiled (2 threads), and compares y
/// (≤ 1e-4) and every gradient the fixture holds (≤ 1e-3), relative to their max |value|.
func checkParity(_ fixture: BlockFixture, build: (Tracer, [String: Tensor]) -> Tensor) throws {
    let run = try runParity(fixture) { t, x in
        let y = build(t, x)
        return ([("y", y)], y, nil)
    }
    for (label, result) in run.results {
        for name in ["y"] + run.gradientNames {
            guard let expected = fixture.outputs[name] else { continue }
            let actual = try #require(result[name], "\(name) missing")
            let error = relativeError(actual, expected)
            let tolerance = name == "y" ? 1e-4 : 1e-3
            #expect(error <= tolerance, "\(fixture.name) \(label) \(name): relative error \(error)")
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
