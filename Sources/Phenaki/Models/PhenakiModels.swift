import GraphCompiler
import PhenakiGraphs
import TensorGraph

/// Errors building a Phenaki model graph.
public enum PhenakiModelError: Error, Equatable, CustomStringConvertible {
    /// `name` is not a Phenaki model; `valid` lists every model name (zoo and Phenaki).
    case unknownModel(name: String, valid: [String])
    /// `frames` does not suit the model (`reason` says why).
    case invalidFrames(model: String, frames: Int, reason: String)
    /// `--batch` below 1.
    case invalidBatch(Int)
    /// The model has no `loss` to differentiate (inference graphs).
    case noLoss(model: String)

    public var description: String {
        switch self {
        case .unknownModel(let name, let valid):
            return "unknown model '\(name)'; valid models are: \(valid.joined(separator: ", "))"
        case .invalidFrames(let model, let frames, let reason):
            return "\(model): \(frames) frames: \(reason)"
        case .invalidBatch(let batch):
            return "the batch must be at least 1, got \(batch)"
        case .noLoss(let model):
            return "\(model) is an inference graph without a loss; it has no training step or backward pass"
        }
    }
}

/// Traced graphs of the Phenaki models, sized by a `PhenakiConfig`.
///
/// - `cvivit`: input `video` f32[b, channels, frames, H, W]; outputs `recon` (same shape),
///   `recon_loss` (MSE), `aux_loss` (the quantizer's: LFQ entropy + commitment, VQ commitment,
///   0 for FSQ) and `loss` = recon_loss + aux_loss. The quantizer follows the config
///   (`cvivitQuantizer`).
///   The VGG perceptual loss and the GAN discriminator (`use_vgg_and_gan`) are not modelled.
/// - `cvivit-train`: the training step of `cvivit`'s `loss` (`trainingGraph`).
/// - `cvivit-encode`: `video` → `ids` int32[b, t, h, w] (quantizer in eval mode). No loss.
/// - `cvivit-decode`: `ids` int32[b, t·h·w] → `video` f32[b, channels, frames, H, W]. No loss.
/// - `maskgit`: `ids` int32[b, n] (ids in 0...num_tokens, num_tokens the mask id), `text`
///   f32[b, max_text_len, dim_context] and `text_mask` bool[b, max_text_len] (omitted when
///   unconditional), `target` int32[b, n]; outputs `logits` f32[b, n, num_tokens] and `loss`, the
///   mean cross-entropy over all n tokens against `target`.
/// - `maskgit-train`: the training step of `maskgit`'s `loss`.
/// - `critic`: the `TokenCritic` (the `critic` section; without one, a critic shaped like
///   MaskGit: same dim, depth, heads, max_seq_len, cross attention unless unconditional) on
///   `ids`, `text`, `text_mask`; outputs `logits` f32[b, n] and `loss`, the mean BCE-with-logits
///   against the float input `target` f32[b, n].
///
/// - `phenaki-loss`: the Phenaki training loss (`PhenakiLossModel`) on video codebook `ids`
///   int32[b, n] and `text` (omitted when unconditional), its random draws from the RNG key
///   `rng`; outputs `loss`, `maskgit_loss` and (with a critic) `critic_loss`. The critic is the
///   `critic` section's TokenCritic, else the SelfCritic with `self_token_critic`, else none.
/// - `phenaki-train`: the training step of `phenaki-loss`.
/// - `discriminator`: the C-ViViT discriminator's loss on `real` and `fake` frames
///   f32[b, channels, H, W]: `discr_loss` (hinge or BCE, `use_hinge_loss`), the in-graph
///   `gradient_penalty` (weight 10) and `loss`, their sum. Built from `discr_base_dim`,
///   `discr_attn_res_layers` and the image size whether or not `use_vgg_and_gan` is set.
/// - `discriminator-train`: its training step (which differentiates the gradient penalty again).
/// - `cvivit-gan`: C-ViViT's generator loss with the GAN term (`CViViTGAN.generatorLossGraph`)
///   without the VGG perceptual term (no weights here): `recon_loss + aux_loss +
///   adaptive_weight · gen_loss`, the frame picked by the RNG key `frame_key`.
/// - `cvivit-gan-train`: its training step with the `discr.*` parameters frozen (the
///   discriminator trains in its own step, `discriminator-train`).
///
/// Dropout is not modelled; `cond_drop_prob` only enters `phenaki-loss`.
public enum PhenakiModels {
    /// Every Phenaki model name, in a stable order.
    public static let names = ["cvivit", "cvivit-train", "cvivit-encode", "cvivit-decode", "maskgit", "maskgit-train",
                               "critic", "phenaki-loss", "phenaki-train", "discriminator", "discriminator-train", "cvivit-gan",
                               "cvivit-gan-train"]

    /// The names with a training step of their own (`NAME-train`) or a loss to train.
    public static func hasLoss(_ name: String) -> Bool { !["cvivit-encode", "cvivit-decode"].contains(name) }

    /// Whether `name` is a C-ViViT graph (frames need only suit the temporal patch size).
    static func isCViViT(_ name: String) -> Bool { name.hasPrefix("cvivit") || name.hasPrefix("discriminator") }

    /// The default frame count: the most frames within every max_seq_len for MaskGit and the critic;
    /// 17 for C-ViViT when 17 frames suit the temporal patch and fit in max_seq_len, else
    /// 1 + temporal_patch_size.
    public static func defaultFrames(for name: String, config: PhenakiConfig) -> Int {
        if isCViViT(name) {
            let tp = config.cvivit.temporalPatchSize
            return (16 % tp == 0 && 17 <= config.maxFrames) ? 17 : 1 + tp
        }
        return config.maxFrames
    }

    /// The critic section, or one shaped like MaskGit when the config has none.
    public static func criticConfig(_ config: PhenakiConfig) -> CriticConfig {
        if let critic = config.critic { return critic }
        let m = config.maskgit
        return CriticConfig(dim: m.dim, numTokens: m.numTokens, maxSeqLen: m.maxSeqLen, depth: m.depth,
                            hasCrossAttn: !m.unconditional, dimContext: m.dimContext, dimHead: m.dimHead,
                            heads: m.heads, ffMult: m.ffMult)
    }

    /// Checks `frames` for model `name`: at least 1, `frames - 1` a multiple of the temporal patch
    /// size, and (MaskGit, critic) its tokens within max_seq_len.
    public static func checkFrames(_ frames: Int, for name: String, config: PhenakiConfig) throws {
        let tp = config.cvivit.temporalPatchSize
        guard frames >= 1 else {
            throw PhenakiModelError.invalidFrames(model: name, frames: frames, reason: "there must be at least 1")
        }
        guard (frames - 1) % tp == 0 else {
            throw PhenakiModelError.invalidFrames(
                model: name, frames: frames, reason: "frames - 1 must be a multiple of the temporal patch size \(tp)")
        }
        if isCViViT(name) { return }
        let tokens = config.sequenceLength(frames: frames)
        let maxSeqLen = name == "critic" ? criticConfig(config).maxSeqLen : config.maskgit.maxSeqLen
        guard tokens <= maxSeqLen else {
            throw PhenakiModelError.invalidFrames(
                model: name, frames: frames,
                reason: "\(tokens) tokens exceed max_seq_len \(maxSeqLen) (at most \(config.cvivit.maxFrames(maxSeqLen: maxSeqLen)) frames)")
        }
    }

    /// The graph of model `name`.
    ///
    /// - Parameters:
    ///   - batch: the batch size (default 1).
    ///   - frames: video frames (default `defaultFrames(for:config:)`).
    ///   - training: the options of the `-train` graphs.
    /// - Throws: `PhenakiModelError`, `ConfigError` (the config is validated), graph errors.
    public static func graph(named name: String, config: PhenakiConfig, batch: Int? = nil, frames: Int? = nil,
                             training: TrainingOptions = TrainingOptions()) throws -> Graph {
        guard names.contains(name) else { throw PhenakiModelError.unknownModel(name: name, valid: names) }
        let batch = batch ?? 1
        guard batch >= 1 else { throw PhenakiModelError.invalidBatch(batch) }
        try config.validate()
        let frames = frames ?? defaultFrames(for: name, config: config)
        try checkFrames(frames, for: name, config: config)
        switch name {
        case "cvivit": return try cvivit(config, batch: batch, frames: frames)
        case "cvivit-train":
            return try trainingGraph(cvivit(config, batch: batch, frames: frames), loss: "loss", options: training)
        case "cvivit-encode": return try cvivitEncode(config, batch: batch, frames: frames)
        case "cvivit-decode": return try cvivitDecode(config, batch: batch, frames: frames)
        case "maskgit": return try maskgit(config, batch: batch, frames: frames)
        case "maskgit-train":
            return try trainingGraph(maskgit(config, batch: batch, frames: frames), loss: "loss", options: training)
        case "discriminator":
            return try CViViTGAN.discriminatorLossGraph(discriminator: CViViTGAN.discriminator(config.cvivit),
                                                        batch: batch, loss: CViViTGAN.ganLoss(config.cvivit))
        case "discriminator-train":
            let forward = try CViViTGAN.discriminatorLossGraph(discriminator: CViViTGAN.discriminator(config.cvivit),
                                                               batch: batch, loss: CViViTGAN.ganLoss(config.cvivit))
            return try trainingGraph(forward, loss: "loss", options: training)
        case "cvivit-gan": return try cvivitGAN(config, batch: batch, frames: frames)
        case "cvivit-gan-train":
            var options = training
            options.frozenPrefixes.append("discr.")
            return try trainingGraph(cvivitGAN(config, batch: batch, frames: frames), loss: "loss", options: options)
        case "phenaki-loss":
            return try PhenakiLossModel.graph(config: config, critic: lossCritic(config), batch: batch, frames: frames)
        case "phenaki-train":
            return try PhenakiLossModel.trainingStep(config: config, critic: lossCritic(config), batch: batch,
                                                     frames: frames, options: training)
        default: return try critic(config, batch: batch, frames: frames)
        }
    }

    /// The critic the Phenaki loss trains: the `critic` section's TokenCritic, else the
    /// SelfCritic when `self_token_critic` is set, else none.
    static func lossCritic(_ config: PhenakiConfig) -> PhenakiLossModel.CriticChoice {
        if config.critic != nil { return .token }
        return config.phenaki.selfTokenCritic ? .selfCritic : .none
    }

    // MARK: C-ViViT

    /// The quantizer the `cvivit` section selects: `FSQ(fsq_levels, dim)` when `fsq_levels` is
    /// set, else `LFQ(dim, codebook_size)` with `lookup_free_quantization`, else the cosine
    /// `VectorQuantize(dim, codebook_size)`. `training` switches the straight-through estimator
    /// and the auxiliary losses (the encode and decode graphs use eval mode).
    public static func cvivitQuantizer(_ c: CViViTConfig, training: Bool) -> CViViTQuantizer {
        if let levels = c.fsqLevels { return .fsq(FSQ(levels: levels, dim: c.dim)) }
        if c.lookupFreeQuantization { return .lfq(LFQ(dim: c.dim, codebookSize: c.codebookSize, training: training)) }
        return .vectorQuantize(VectorQuantize(dim: c.dim, codebookSize: c.codebookSize, training: training))
    }

    static func cvivitModel(_ c: CViViTConfig) -> CViViT {
        CViViT(dim: c.dim, imageSize: (c.imageSize.height, c.imageSize.width),
               patchSize: (c.patchSize.height, c.patchSize.width), temporalPatchSize: c.temporalPatchSize,
               spatialDepth: c.spatialDepth, temporalDepth: c.temporalDepth, dimHead: c.dimHead, heads: c.heads,
               channels: c.channels)
    }

    static func videoShape(_ c: CViViTConfig, batch: Int, frames: Int) -> [Int] {
        [batch, c.channels, frames, c.imageSize.height, c.imageSize.width]
    }

    static func cvivit(_ config: PhenakiConfig, batch: Int, frames: Int) throws -> Graph {
        let c = config.cvivit
        let model = cvivitModel(c)
        return try Tracer.trace { t in
            let video = t.input("video", videoShape(c, batch: batch, frames: frames))
            let (recon, reconLoss, auxLoss) = model.reconstruct(video: video,
                                                                quantizer: cvivitQuantizer(c, training: true))
            return ["recon": recon, "recon_loss": reconLoss, "aux_loss": auxLoss, "loss": reconLoss + auxLoss]
        }
    }

    static func cvivitEncode(_ config: PhenakiConfig, batch: Int, frames: Int) throws -> Graph {
        let c = config.cvivit
        let model = cvivitModel(c)
        return try Tracer.trace { t in
            let video = t.input("video", videoShape(c, batch: batch, frames: frames))
            let ids = model.codebookIds(video: video, quantizer: cvivitQuantizer(c, training: false))
            return ["ids": ids]
        }
    }

    static func cvivitDecode(_ config: PhenakiConfig, batch: Int, frames: Int) throws -> Graph {
        let c = config.cvivit
        let model = cvivitModel(c)
        return try Tracer.trace { t in
            let ids = t.input("ids", [batch, c.tokenCount(frames: frames)], .int32)
            let video = model.decodeFromCodebookIndices(ids, quantizer: cvivitQuantizer(c, training: false))
            return ["video": video]
        }
    }

    /// C-ViViT's generator loss with the GAN term, without the VGG term (no weights here).
    static func cvivitGAN(_ config: PhenakiConfig, batch: Int, frames: Int) throws -> Graph {
        let c = config.cvivit
        return try CViViTGAN.generatorLossGraph(
            cvivit: cvivitModel(c), quantizer: cvivitQuantizer(c, training: true),
            discriminator: CViViTGAN.discriminator(c), vgg: nil, batch: batch, frames: frames,
            loss: CViViTGAN.ganLoss(c))
    }

    // MARK: MaskGit and the critic

    static func maskgit(_ config: PhenakiConfig, batch: Int, frames: Int) throws -> Graph {
        let m = config.maskgit
        let model = MaskGit(dim: m.dim, numTokens: m.numTokens, maxSeqLen: m.maxSeqLen, depth: m.depth,
                            gradientShrinkAlpha: m.gradientShrinkAlpha, heads: m.heads, dimHead: m.dimHead,
                            unconditional: m.unconditional, dimContext: m.dimContext, ffMult: m.ffMult)
        let shape = config.cvivit.videoPatchShape(frames: frames)
        let n = shape.reduce(1, *)
        let textLen = config.phenaki.maxTextLen
        return try Tracer.trace { t in
            let ids = t.input("ids", [batch, n], .int32)
            let target = t.input("target", [batch, n], .int32)
            var text: Tensor?, textMask: Tensor?
            if !m.unconditional {
                text = t.input("text", [batch, textLen, m.dimContext])
                textMask = t.input("text_mask", [batch, textLen], .bool)
            }
            let logits = model(ids, videoPatchShape: shape, text: text, textMask: textMask)
            let picked = logits.logSoftmax(axis: -1).takeAlongAxis(target.reshape([batch, n, 1]), axis: 2)
            return ["logits": logits, "loss": -picked.mean()]
        }
    }

    static func critic(_ config: PhenakiConfig, batch: Int, frames: Int) throws -> Graph {
        let c = criticConfig(config)
        let model = TokenCritic(dim: c.dim, numTokens: c.numTokens, maxSeqLen: c.maxSeqLen, depth: c.depth,
                                hasCrossAttn: c.hasCrossAttn, dimContext: c.dimContext, heads: c.heads,
                                dimHead: c.dimHead, ffMult: c.ffMult)
        let shape = config.cvivit.videoPatchShape(frames: frames)
        let n = shape.reduce(1, *)
        let textLen = config.phenaki.maxTextLen
        return try Tracer.trace { t in
            let ids = t.input("ids", [batch, n], .int32)
            let target = t.input("target", [batch, n])
            var text: Tensor?, textMask: Tensor?
            if c.hasCrossAttn {
                text = t.input("text", [batch, textLen, c.dimContext])
                textMask = t.input("text_mask", [batch, textLen], .bool)
            }
            let logits = model(ids, videoPatchShape: shape, context: text, textMask: textMask)
            // BCE with logits: max(x, 0) − x·y + log(1 + exp(−|x|)).
            let bce = logits.maximum(0) - logits * target + ((-logits.abs()).exp() + 1).log()
            return ["logits": logits, "loss": bce.mean()]
        }
    }
}
