import PhenakiGraphs
import TensorGraph

/// The two graphs one sampling step runs, traced per (batch, prime tokens, generated tokens).
///
/// Both read `ids` int32 [b, p + g] (the prime ids, then the current video ids with the masked
/// ones set to the mask id) and, when conditional, `text` f32 [b, max_text_len, dim_context];
/// the text mask is derived in the graph (`any(text != 0)`, as `Phenaki.sample`), so with the
/// text fixed it is loop-invariant and hoisted with the text keys and values.
///
/// - `maskgit`: also `mask` bool [b, g] (true = predict this token) and `temperature` f32 [];
///   outputs `ids` int32 [b, g] (`where(mask, gumbel_sample(logits, temperature), ids)`) and,
///   unless a critic scores instead, `scores` f32 [b, g] (`where(mask, 1 − p(sampled), −1e4)`);
///   logits from `MaskGit.guidedLogits` (`forward_with_cond_scale` with the guidance applied
///   before `to_logits`; the transformer runs once over the doubled batch).
/// - `critic`: also `noise_k` and `noise_multiplier` f32 []; output `scores` f32 [b, g] =
///   critic `forward_with_cond_scale` + `noise_k · (u − 0.5) · noise_multiplier`.
///
/// Random draws come from the RNG key `rng` (fold 0: one uniform per token [b·g] for
/// `CategoricalDraw`, the same distribution as gumbel sampling at a fraction of the cost; fold
/// 1: critic uniforms [b, g]) or, with `SamplerDrawMode.inputs`, from the inputs
/// `gumbel_uniform` [b, g, num_tokens] (gumbel_sample's uniforms) and `critic_uniform` (to replay
/// PyTorch's draws).
enum SamplerGraphs {
    static let rngName = "rng"
    static let gumbelName = "gumbel_uniform"
    static let criticUniformName = "critic_uniform"

    /// The shape one sampling run is traced for.
    struct Shape: Hashable {
        var batch: Int
        var primeTokens: Int
        var tokens: Int
        /// (t, h, w) of prime and generated tokens together.
        var patchShape: [Int]
        var textLength: Int?
        var condScale: Double
        var draws: SamplerDrawMode
        var total: Int { primeTokens + tokens }
    }

    /// `scores: false` leaves the `scores` output out (a critic scores the tokens instead).
    static func maskgit(_ config: PhenakiConfig, _ s: Shape, scores: Bool = true) throws -> Graph {
        let model = PhenakiLossModel.maskgit(config)
        let v = config.maskgit.numTokens
        let t = Tracer()
        let ids = t.input("ids", [s.batch, s.total], .int32)
        let mask = t.input("mask", [s.batch, s.tokens], .bool)
        let temperature = t.input("temperature", [])
        let (text, textMask) = textInputs(t, config, s)
        // Guidance on the hidden states: one to_logits product over b rows, not 2b.
        var logits = t.scope("maskgit") {
            model.guidedLogits(ids, videoPatchShape: s.patchShape, text: text, textMask: textMask,
                               condScale: s.condScale)
        }
        if s.primeTokens > 0 { logits = logits.slice(axis: 1, s.primeTokens..<s.total) }
        let predicted: Tensor, logSumExp: Tensor
        switch s.draws {
        case .rngKey:
            // The same distribution as gumbel_sample from one uniform per token (CategoricalDraw).
            let uniform = t.randomUniform(t.rngKey(rngName).foldIn(0), [s.batch * s.tokens])
            let draw = CategoricalDraw.sample(logits: logits.reshape([s.batch * s.tokens, v]), temperature: temperature,
                                              uniform: uniform)
            predicted = draw.ids.reshape([s.batch, s.tokens])
            logSumExp = draw.logSumExp.reshape([s.batch, s.tokens])
        case .inputs:
            // gumbel_sample: argmax(logits / max(temperature, 1e-10) + gumbel), log(x) = log(x + 1e-10).
            let uniform = t.input(gumbelName, [s.batch, s.tokens, v])
            let gumbel = -(-((uniform + 1e-10).log()) + 1e-10).log()
            predicted = (logits / temperature + gumbel).argmax(axis: -1)
            logSumExp = logits.logSumExp(axes: [-1])
        }
        let current = s.primeTokens > 0 ? ids.slice(axis: 1, s.primeTokens..<s.total) : ids
        let newIds = select(mask, predicted, current)
        guard scores else { return try t.finish(outputs: [("ids", newIds)]) }
        // softmax(logits)[predicted] = exp(logits[predicted] − logsumexp(logits)): one row
        // reduction and a gather instead of a softmax written over [b, g, num_tokens].
        let chosen = logits.takeAlongAxis(predicted.reshape([s.batch, s.tokens, 1]), axis: 2)
        let picked = (chosen.reshape([s.batch, s.tokens]) - logSumExp).exp()
        return try t.finish(outputs: [("ids", newIds), ("scores", select(mask, 1 - picked, -1e4))])
    }

    static func critic(_ config: PhenakiConfig, _ kind: SamplerCritic, _ s: Shape) throws -> Graph {
        let t = Tracer()
        let ids = t.input("ids", [s.batch, s.total], .int32)
        let noiseK = t.input("noise_k", [])
        let multiplier = t.input("noise_multiplier", [])
        let (text, textMask) = textInputs(t, config, s)
        let uniform: Tensor
        switch s.draws {
        case .rngKey: uniform = t.randomUniform(t.rngKey(rngName).foldIn(1), [s.batch, s.tokens])
        case .inputs: uniform = t.input(criticUniformName, [s.batch, s.tokens])
        }
        var scores = t.scope("critic") { () -> Tensor in
            switch kind {
            case .token:
                let c = PhenakiModels.criticConfig(config)
                let critic = TokenCritic(dim: c.dim, numTokens: c.numTokens, maxSeqLen: c.maxSeqLen, depth: c.depth,
                                         hasCrossAttn: c.hasCrossAttn, dimContext: c.dimContext, heads: c.heads,
                                         dimHead: c.dimHead, ffMult: c.ffMult)
                return critic.forwardWithCondScale(ids, videoPatchShape: s.patchShape, context: text,
                                                   textMask: textMask, condScale: s.condScale)
            case .selfCritic:
                // The head is `critic.to_pred.0.*`; the transformer is MaskGit's own (`maskgit.*`).
                return SelfCritic(maskgit: PhenakiLossModel.maskgit(config))
                    .forwardWithCondScale(ids, videoPatchShape: s.patchShape, text: text, textMask: textMask,
                                          condScale: s.condScale, maskgitScope: ["maskgit"])
            }
        }
        if s.primeTokens > 0 { scores = scores.slice(axis: 1, s.primeTokens..<s.total) }
        scores = scores + noiseK * (uniform - 0.5) * multiplier
        return try t.finish(outputs: [("scores", scores)])
    }

    /// `text` and its mask `any(text != 0, -1)`, or nils without text.
    static func textInputs(_ t: Tracer, _ config: PhenakiConfig, _ s: Shape) -> (Tensor?, Tensor?) {
        guard let m = s.textLength else { return (nil, nil) }
        let text = t.input("text", [s.batch, m, config.maskgit.dimContext])
        return (text, text.abs().max(axes: [-1]) .> 0)
    }
}
