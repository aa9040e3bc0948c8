import GraphCompiler
import PhenakiGraphs
import TensorGraph

/// A `PhenakiLossModel` request that asks for nothing to train.
public enum PhenakiLossModelError: Error, Equatable, CustomStringConvertible {
    /// `only_train_critic` without a critic.
    case onlyCriticWithoutCritic

    public var description: String {
        switch self {
        case .onlyCriticWithoutCritic:
            return "training only the critic needs a critic: choose --critic token or self"
        }
    }
}

/// Graphs of the Phenaki training loss (`PhenakiLoss`: phenaki-pytorch's `Phenaki.forward` from
/// codebook ids), sized by a `PhenakiConfig`.
///
/// Inputs: `ids` int32 [b, n] (C-ViViT codebook ids of `frames` frames, n = t·h·w), `text`
/// f32 [b, max_text_len, dim_context] unless MaskGit is unconditional (rows of zeros are
/// padding), `video_mask` bool [b, n] when asked for (C-ViViT's token mask of padded videos),
/// and the random draws: with `.rngKey` one RNG key `rng` (int32[2]; feed a new one each step),
/// with `.inputs` the `PhenakiDraws` input names. Outputs: `loss`, `maskgit_loss` (unless
/// `.onlyCritic`), `critic_loss` (with a critic, unless `.onlyGenerator`).
///
/// Parameters are named as in a phenaki-pytorch `Phenaki` state_dict (`maskgit.*`, `critic.*`).
/// Conditional dropout uses `phenaki.cond_drop_prob` (phenaki-pytorch 0.5.0 skips it; see
/// `PhenakiLoss.condDropProb`); the critic's settings are `phenaki.critic_loss_weight` and
/// `phenaki.critic_train_sample_temperature`, the schedule's `phenaki.steps`.
public enum PhenakiLossModel {
    /// The critic trained beside MaskGit.
    public enum CriticChoice: String, CaseIterable, Sendable {
        /// MaskGit alone.
        case none
        /// A `TokenCritic` from the `critic` section (or shaped like MaskGit without one).
        case token
        /// `SelfCritic`: MaskGit's own transformer with a one-unit head.
        case selfCritic = "self"
    }

    /// Where the step's random numbers come from.
    public enum DrawSource: Sendable {
        /// In the graph, from the RNG key input `rng` (training).
        case rngKey
        /// From the `PhenakiDraws` inputs (replaying given draws, parity tests).
        case inputs
    }

    /// The name of the RNG key input.
    public static let rngKeyName = "rng"

    /// The `MaskGit` of `config`.
    public static func maskgit(_ config: PhenakiConfig) -> MaskGit {
        let m = config.maskgit
        return MaskGit(dim: m.dim, numTokens: m.numTokens, maxSeqLen: m.maxSeqLen, depth: m.depth,
                       gradientShrinkAlpha: m.gradientShrinkAlpha, heads: m.heads, dimHead: m.dimHead,
                       unconditional: m.unconditional, dimContext: m.dimContext, ffMult: m.ffMult)
    }

    /// The `PhenakiLoss` of `config` with `critic`.
    public static func loss(_ config: PhenakiConfig, critic: CriticChoice) -> PhenakiLoss {
        var phenakiCritic: PhenakiLoss.Critic?
        switch critic {
        case .none: phenakiCritic = nil
        case .selfCritic: phenakiCritic = .selfCritic
        case .token:
            let c = PhenakiModels.criticConfig(config)
            phenakiCritic = .token(TokenCritic(dim: c.dim, numTokens: c.numTokens, maxSeqLen: c.maxSeqLen, depth: c.depth,
                                               hasCrossAttn: c.hasCrossAttn, dimContext: c.dimContext, heads: c.heads,
                                               dimHead: c.dimHead, ffMult: c.ffMult))
        }
        let p = config.phenaki
        return PhenakiLoss(maskgit: maskgit(config), critic: phenakiCritic, steps: p.steps, condDropProb: p.condDropProb,
                           criticLossWeight: p.criticLossWeight, criticTrainSampleTemperature: p.criticTrainSampleTemperature)
    }

    /// The forward graph of the loss (see the type's documentation).
    ///
    /// - Parameters:
    ///   - frames: video frames (default: the most MaskGit's max_seq_len allows).
    ///   - videoMask: declare the `video_mask` input (else every token is valid).
    /// - Throws: `PhenakiModelError` (batch, frames), `PhenakiLossModelError`, `ConfigError` (the
    ///   config is validated), graph errors.
    public static func graph(config: PhenakiConfig, critic: CriticChoice, batch: Int = 1, frames: Int? = nil,
                             draws: DrawSource = .rngKey, training: PhenakiLoss.Training = .both,
                             videoMask: Bool = false) throws -> Graph {
        guard batch >= 1 else { throw PhenakiModelError.invalidBatch(batch) }
        if critic == .none && training == .onlyCritic { throw PhenakiLossModelError.onlyCriticWithoutCritic }
        try config.validate()
        let frames = frames ?? PhenakiModels.defaultFrames(for: "maskgit", config: config)
        try PhenakiModels.checkFrames(frames, for: "maskgit", config: config)
        if critic == .token { try PhenakiModels.checkFrames(frames, for: "critic", config: config) }
        let model = loss(config, critic: critic)
        let shape = config.cvivit.videoPatchShape(frames: frames)
        let n = shape.reduce(1, *)
        let numTokens = config.maskgit.numTokens
        let hasCritic = critic != .none && training != .onlyGenerator
        let t = Tracer()
        do {
            let ids = t.input("ids", [batch, n], .int32)
            let text = model.conditional
                ? t.input("text", [batch, config.phenaki.maxTextLen, config.maskgit.dimContext]) : nil
            let mask = videoMask ? t.input("video_mask", [batch, n], .bool) : nil
            let randomDraws: PhenakiDraws
            switch draws {
            case .rngKey:
                randomDraws = PhenakiDraws.random(key: t.rngKey(rngKeyName), steps: model.steps, batch: batch, tokens: n,
                                                  numTokens: numTokens, conditionalDropout: model.usesConditionalDropout,
                                                  critic: hasCritic)
            case .inputs:
                randomDraws = PhenakiDraws.inputs(t, batch: batch, tokens: n, numTokens: numTokens,
                                                  conditionalDropout: model.usesConditionalDropout, critic: hasCritic)
            }
            let out = model(ids: ids, videoPatchShape: shape, text: text, videoMask: mask, draws: randomDraws,
                            training: training)
            var outputs: [(String, Tensor)] = [("loss", out.loss)]
            if let maskgitLoss = out.maskgitLoss { outputs.append(("maskgit_loss", maskgitLoss)) }
            if let criticLoss = out.criticLoss { outputs.append(("critic_loss", criticLoss)) }
            return try t.finish(outputs: outputs)
        }
    }

    /// The training step of `graph(...)`'s `loss` (forward, backward, AdamW: `trainingGraph`).
    public static func trainingStep(config: PhenakiConfig, critic: CriticChoice, batch: Int = 1, frames: Int? = nil,
                                    training: PhenakiLoss.Training = .both, videoMask: Bool = false,
                                    options: TrainingOptions = TrainingOptions()) throws -> Graph {
        try trainingGraph(graph(config: config, critic: critic, batch: batch, frames: frames, training: training,
                                videoMask: videoMask),
                          loss: "loss", options: options)
    }
}
