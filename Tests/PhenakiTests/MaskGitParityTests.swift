import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// Runs `build` through `runParity` (token ids `x` are int32 graph inputs) and compares y
/// (≤ 1e-4) and every gradient (≤ 1e-3) with the fixture.
func checkMaskGitParity(_ fixture: ReferenceFixture, build: ([String: Tensor]) -> Tensor) throws {
    let run = try runParity(fixture) { _, x in
        let y = build(x)
        return ([("y", y)], y, nil)
    }
    // Every fixture parameter gradient is matched by a Swift parameter, except the ones
    // phenaki-pytorch never uses: the self-attention's empty null_kv [heads, 0, dim_head] and
    // its context_norm.gamma (self-attention has no context); their gradients are all zero.
    let swiftNames = Set(run.gradientNames)
    for (key, value) in fixture.outputs where key.hasPrefix("grad:") && !swiftNames.contains(key) {
        #expect(value.scalars.allSatisfy { $0 == 0 }, "\(fixture.name): \(key) has no Swift parameter")
    }
    // Relative errors are taken against max|expected|, floored at 1e-3 of the largest parameter
    // gradient: continuous_pos_bias.net.<last>.bias shifts every logit of a softmax row alike,
    // so its gradient is zero up to float32 noise (~1e-7) and has no scale of its own.
    let gradientScale = fixture.outputs.filter { $0.key.hasPrefix("grad:") }
        .map { $0.value.scalars.map(abs).max() ?? 0 }.max() ?? 0
    for (label, result) in run.results {
        for name in ["y"] + run.gradientNames {
            let expected = try #require(fixture.outputs[name], "\(fixture.name): \(name) not in the fixture")
            let actual = try #require(result[name], "\(name) missing")
            #expect(actual.shape == expected.shape, "\(fixture.name) \(label) \(name): shape")
            let tolerance = name == "y" ? 1e-4 : 1e-3
            let error = relativeError(actual, expected, floor: name == "y" ? 1e-6 : max(1e-3 * gradientScale, 1e-6))
            #expect(error <= tolerance, "\(fixture.name) \(label) \(name): relative error \(error)")
        }
    }
}

extension ReferenceFixture {
    /// The MaskGit a maskgit fixture was made with.
    var maskgit: MaskGit {
        MaskGit(dim: int("dim", 0), numTokens: int("num_tokens", 0), maxSeqLen: int("max_seq_len", 0),
                depth: int("depth", 1), gradientShrinkAlpha: double("gradient_shrink_alpha", 0.1),
                heads: int("heads", 8), dimHead: int("dim_head", 64), unconditional: bool("unconditional"),
                dimContext: constructor["dim_context"] as? Int, ffMult: double("ff_mult", 4))
    }

    /// The TokenCritic a maskgit fixture was made with.
    var tokenCritic: TokenCritic {
        TokenCritic(dim: int("dim", 0), numTokens: int("num_tokens", 0), maxSeqLen: int("max_seq_len", 0),
                    depth: int("depth", 1), hasCrossAttn: bool("has_cross_attn"),
                    dimContext: constructor["dim_context"] as? Int, heads: int("heads", 8), dimHead: int("dim_head", 64),
                    ffMult: double("ff_mult", 4))
    }

    /// A number among the recorded call's keyword arguments (`cond_scale`).
    func callDouble(_ key: String) -> Double? {
        ((config["call"] as? [String: Any])?["kwargs"] as? [String: Any])?[key].flatMap { ($0 as? NSNumber)?.doubleValue }
    }
}

@Suite struct MaskGitParityTests {
    @Test(arguments: ["maskgit_text", "maskgit_unconditional"])
    func maskGit(name: String) throws {
        let f = try ReferenceFixture("maskgit", name)
        let model = f.maskgit
        let shape = f.ints("video_patch_shape")
        try checkMaskGitParity(f) { x in
            model(x["x"]!, videoPatchShape: shape, text: x["text_embeds"], textMask: x["text_mask"],
                  videoMask: x["video_mask"])
        }
    }

    /// Conditional dropout with PyTorch's keep-mask draw fed in: the dropped row sees only the
    /// null keys/values.
    @Test func maskGitConditionalDropout() throws {
        let f = try ReferenceFixture("maskgit", "maskgit_cond_dropout")
        let model = f.maskgit
        let shape = f.ints("video_patch_shape")
        try checkMaskGitParity(f) { x in
            model(x["x"]!, videoPatchShape: shape, text: x["text_embeds"], textMask: x["text_mask"],
                  videoMask: x["video_mask"], keepMask: x["keep_mask"])
        }
    }

    /// `forward_with_cond_scale`, computed as one pass over the doubled batch.
    @Test func maskGitCondScale() throws {
        let f = try ReferenceFixture("maskgit", "maskgit_cond_scale")
        let model = f.maskgit
        let shape = f.ints("video_patch_shape")
        let scale = try #require(f.callDouble("cond_scale"))
        try checkMaskGitParity(f) { x in
            model.forwardWithCondScale(x["x"]!, videoPatchShape: shape, text: x["text_embeds"],
                                       textMask: x["text_mask"], videoMask: x["video_mask"], condScale: scale)
        }
    }

    @Test func tokenCritic() throws {
        let f = try ReferenceFixture("maskgit", "token_critic_text")
        let model = f.tokenCritic
        let shape = f.ints("video_patch_shape")
        try checkMaskGitParity(f) { x in
            model(x["x"]!, videoPatchShape: shape, context: x["text_embeds"], textMask: x["text_mask"],
                  videoMask: x["video_mask"])
        }
    }

    @Test func tokenCriticCondScale() throws {
        let f = try ReferenceFixture("maskgit", "token_critic_cond_scale")
        let model = f.tokenCritic
        let shape = f.ints("video_patch_shape")
        let scale = try #require(f.callDouble("cond_scale"))
        try checkMaskGitParity(f) { x in
            model.forwardWithCondScale(x["x"]!, videoPatchShape: shape, context: x["text_embeds"],
                                       textMask: x["text_mask"], videoMask: x["video_mask"], condScale: scale)
        }
    }
}
