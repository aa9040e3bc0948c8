import PhenakiGraphs
import TensorGraph

/// The graphs one sampling step runs, traced per (batch, prime tokens, generated tokens).
///
/// The transformer graphs read `ids` int32 [b, p + g] (the prime ids, then the current video
/// ids with the masked ones set to the mask id) and, when conditional, `text` f32
/// [b, max_text_len, dim_context]; the text mask is derived in the graph (`any(text != 0)`, as
/// `Phenaki.sample`), so with the text fixed it is loop-invariant and hoisted with the text keys
/// and values.
///
/// - `maskgit`: output `hidden` f32 [b·g, dim], MaskGit's guided transformer output of the
///   generated positions (`MaskGit.guidedEmbeddings`: `forward_with_cond_scale` with the guidance
///   applied before `to_logits`; the transformer runs once over the doubled batch).
/// - `head`: `to_logits` and the draw for `rows` int32 [r] of those positions only. A step uses
///   the logits of its masked tokens alone (`where(mask, sampled, ids)`, and `scores` are −1e4
///   elsewhere), so the sampler runs the head over the masked rows only (in a plan of r ≥ their
///   count rows, see `PhenakiSampler.headRows`), not over all b·g.
///   Also reads `hidden` and `temperature` f32 []; outputs `ids` int32 [r]
///   (`gumbel_sample(logits, temperature)`) and, unless a critic scores instead, `scores` f32
///   [r] (`1 − softmax(logits)[sampled]`).
/// - `critic`: also `noise_k` and `noise_multiplier` f32 []; output `scores` f32 [b, g] =
///   critic `forward_with_cond_scale` + `noise_k · (u − 0.5) · noise_multiplier`.
///
/// Random draws come from the RNG key `rng` (fold 0: one uniform per token [b·g] for
/// `CategoricalDraw`, the same distribution as gumbel sampling at a fraction of the cost; fold
/// 1: critic uniforms [b, g]) or, with `SamplerDrawMode.inputs`, from the inputs
/// `gumbel_uniform` [b·g, num_tokens] (gumbel_sample's uniforms) and `critic_uniform` (to replay
/// PyTorch's draws). Either way a token's draw depends on its position, not on the rows it is
/// run with.
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

    /// MaskGit's guided transformer output of the generated positions, `hidden` [b·g, dim].
    static func maskgit(_ config: PhenakiConfig, _ s: Shape) throws -> Graph {
        let model = PhenakiLossModel.maskgit(config)
        let t = Tracer()
        let ids = t.input("ids", [s.batch, s.total], .int32)
        let (text, textMask) = textInputs(t, config, s)
        var hidden = t.scope("maskgit") {
            model.guidedEmbeddings(ids, videoPatchShape: s.patchShape, text: text, textMask: textMask,
                                   condScale: s.condScale)
        }
        if s.primeTokens > 0 { hidden = hidden.slice(axis: 1, s.primeTokens..<s.total) }
        return try t.finish(outputs: [("hidden", hidden.reshape([s.batch * s.tokens, config.maskgit.dim]))])
    }

    /// `to_logits` and the draw over `rows` of the b·g positions (see the type's notes);
    /// `scores: false` leaves the `scores` output out (a critic scores the tokens instead).
    static func head(_ config: PhenakiConfig, _ s: Shape, rows r: Int, scores: Bool = true) throws -> Graph {
        let model = PhenakiLossModel.maskgit(config)
        let (v, n) = (config.maskgit.numTokens, s.batch * s.tokens)
        let t = Tracer()
        let hidden = t.input("hidden", [n, config.maskgit.dim])
        let rows = t.input("rows", [r], .int32)
        let temperature = t.input("temperature", [])
        let logits = t.scope("maskgit") { model.logits(fromEmbeddings: hidden.gather(rows, axis: 0)) }
        let predicted: Tensor, logSumExp: Tensor
        switch s.draws {
        case .rngKey:
            // The same distribution as gumbel_sample from one uniform per token (CategoricalDraw).
            let uniform = t.randomUniform(t.rngKey(rngName).foldIn(0), [n]).gather(rows, axis: 0)
            (predicted, logSumExp) = CategoricalDraw.sample(logits: logits, temperature: temperature, uniform: uniform)
        case .inputs:
            // gumbel_sample: argmax(logits / max(temperature, 1e-10) + gumbel), log(x) = log(x + 1e-10).
            let uniform = t.input(gumbelName, [n, v]).gather(rows, axis: 0)
            let gumbel = -(-((uniform + 1e-10).log()) + 1e-10).log()
            predicted = (logits / temperature + gumbel).argmax(axis: -1)
            logSumExp = logits.logSumExp(axes: [-1])
        }
        guard scores else { return try t.finish(outputs: [("ids", predicted)]) }
        // softmax(logits)[predicted] = exp(logits[predicted] − logsumexp(logits)): one row
        // reduction and a gather instead of a softmax written over [r, num_tokens].
        let chosen = logits.takeAlongAxis(predicted.reshape([r, 1]), axis: 1)
        let picked = (chosen.reshape([r]) - logSumExp).exp()
        return try t.finish(outputs: [("ids", predicted), ("scores", 1 - picked)])
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
