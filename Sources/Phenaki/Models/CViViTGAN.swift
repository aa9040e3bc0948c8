import GraphCompiler
import PhenakiGraphs
import TensorGraph

/// Errors building the C-ViViT GAN graphs.
public enum CViViTGANError: Error, Equatable, CustomStringConvertible {
    /// The discriminator cannot take the image size (`reason` says why).
    case discriminatorSize(reason: String)
    /// The adaptive weight needs `to_pixels`, which only videos of more than one frame use.
    case singleFrame
    /// A VGG-16 weights file lacks a tensor or has one of the wrong shape.
    case vggWeights(path: String, reason: String)
    /// The perceptual VGG needs larger frames.
    case vggImageSize(height: Int, width: Int)
    /// The config turns the GAN off.
    case ganDisabled

    public var description: String {
        switch self {
        case .discriminatorSize(let reason):
            return "\(reason); change image_size or set use_vgg_and_gan to false"
        case .singleFrame:
            return "the GAN generator loss weights the GAN term by gradients at to_pixels.0.weight, which only "
                + "videos of more than one frame use; train with frames = 1 + k · temporal_patch_size, k ≥ 1"
        case .vggWeights(let path, let reason):
            return "\(path): \(reason); pass torchvision's vgg16 state_dict saved as safetensors"
        case .vggImageSize(let height, let width):
            return "the VGG-16 perceptual loss needs frames of at least \(VGG16.minimumImageSide)×\(VGG16.minimumImageSide), "
                + "got \(height)×\(width); run without --vgg-weights"
        case .ganDisabled:
            return "use_vgg_and_gan is false in the cvivit section, so there is no discriminator; set it to true"
        }
    }
}

/// How the GAN generator graph picks the frame its perceptual and GAN terms look at.
public enum FrameSelection: Sendable, Equatable {
    /// int32 input `frame_indices` [b] (parity with a recorded `pick_frame_logits.topk(1)`).
    case input
    /// phenaki-pytorch's `randn(b, f).topk(1)`, i.e. a uniform frame per video, from the RNG key
    /// input `frame_key`.
    case random
}

/// Graph builders for phenaki-pytorch's C-ViViT GAN training (cvivit.py `CViViT.forward` with
/// `use_vgg_and_gan=True`). The discriminator's parameters are under `discr.`, the VGG's under
/// `vgg.`, as in phenaki-pytorch's `state_dict`.
public enum CViViTGAN {
    /// `CViViT.forward(video, return_discr_loss=True)` after the frame pick: inputs `real` and
    /// `fake` f32[b, c, H, W] (the picked frames of the video and of its detached reconstruction);
    /// outputs `discr_loss`, `gradient_penalty` (when `gradientPenaltyWeight` is given; the
    /// gradient of Σ D(real) wrt `real` is part of the graph, so differentiating `loss` wrt the
    /// `discr.*` parameters is second order) and `loss` = discr_loss (+ gradient_penalty).
    public static func discriminatorLossGraph(discriminator: Discriminator, batch: Int, loss: GANLoss = .hinge,
                                              gradientPenaltyWeight: Double? = 10) throws -> Graph {
        if let reason = discriminator.sizeProblem { throw CViViTGANError.discriminatorSize(reason: reason) }
        let shape = [batch, discriminator.channels, discriminator.imageSize.height, discriminator.imageSize.width]
        let t = Tracer()
        let real = t.input("real", shape)
        let fake = t.input("fake", shape)
        let realLogits = t.scope("discr") { discriminator(real) }
        let fakeLogits = t.scope("discr") { discriminator(fake) }
        let discrLoss = loss.discriminatorLoss(fake: fakeLogits, real: realLogits)
        guard let weight = gradientPenaltyWeight else {
            return try t.finish(outputs: [("discr_loss", discrLoss), ("loss", discrLoss)])
        }
        let realSum = realLogits.sum()
        let forward = try t.finish(outputs: [("discr_loss", discrLoss), ("real_logits_sum", realSum)])
        let (joint, inputGradients) = try gradients(of: realSum.id, withRespectTo: [real.id], in: forward)
        let g = Tracer(extending: joint)
        let penalty = g.withScopePath(["gradient_penalty"]) {
            gradientPenalty(gradients: g.tensor(inputGradients[0]), weight: weight)
        }
        let total = g.tensor(discrLoss.id) + penalty
        return try g.finish(outputs: [("discr_loss", g.tensor(discrLoss.id)), ("gradient_penalty", penalty),
                                      ("loss", total)])
    }

    /// `CViViT.forward(video)` on the VGG/GAN path: input `video` f32[b, c, f, H, W] (and
    /// `frame_indices` or `frame_key`, see `FrameSelection`); outputs `recon`, `recon_loss`,
    /// `aux_loss`, `frame_indices` (the frames picked, `.random` only), `perceptual_loss` (only
    /// with a VGG), `gen_loss`, `adaptive_weight` and
    /// `loss` = recon_loss + perceptual_loss + aux_loss + adaptive_weight · gen_loss.
    ///
    /// The adaptive weight is `min(‖∂perceptual/∂W‖₂ / (‖∂gen/∂W‖₂ + 1e-8), 1e4)` with W =
    /// `to_pixels.0.weight`, behind a stop-gradient (phenaki-pytorch detaches it). Grayscale frames
    /// are repeated to three channels for the VGG. Without a VGG (no pretrained weights) the
    /// perceptual term is left out and the adaptive weight takes ‖∂recon_loss/∂W‖₂ as its
    /// numerator instead (taming-transformers' choice; phenaki-pytorch itself cannot run
    /// without a VGG, and a zero numerator would switch the GAN term off).
    ///
    /// Differentiating `loss` for the generator step reaches the `discr.*` parameters too; the
    /// generator's optimizer must leave them alone, as phenaki-pytorch's trainer does.
    public static func generatorLossGraph(cvivit: CViViT, quantizer: CViViTQuantizer, discriminator: Discriminator, vgg: VGG16?,
                                          batch: Int, frames: Int, loss: GANLoss = .hinge,
                                          frameSelection: FrameSelection = .random) throws -> Graph {
        if let reason = discriminator.sizeProblem { throw CViViTGANError.discriminatorSize(reason: reason) }
        guard frames > 1 else { throw CViViTGANError.singleFrame }
        let (height, width) = cvivit.imageSize
        if vgg != nil, min(height, width) < VGG16.minimumImageSide {
            throw CViViTGANError.vggImageSize(height: height, width: width)
        }
        let c = cvivit.channels
        let t = Tracer()
        let video = t.input("video", [batch, c, frames, height, width])
        let frameIndices: Tensor
        switch frameSelection {
        case .input: frameIndices = t.input("frame_indices", [batch], .int32)
        case .random: frameIndices = t.randomNormal(t.rngKey("frame_key"), [batch, frames]).argmax(axis: 1)
        }
        let (recon, reconLoss, auxLoss) = cvivit.reconstruct(video: video, quantizer: quantizer)
        // pick_video_frame: a one-hot over f selects one frame per video, differentiably.
        let pick = frameIndices.oneHot(frames).reshape([batch, 1, frames, 1, 1])
        let realFrame = (video * pick).sum(axes: [2])
        let reconFrame = (recon * pick).sum(axes: [2])

        var outputs: [(String, Tensor)] = [("recon", recon), ("recon_loss", reconLoss), ("aux_loss", auxLoss)]
        if frameSelection == .random { outputs.append(("frame_indices", frameIndices)) }
        var perceptual: Tensor?
        if let vgg {
            let rgb = { (x: Tensor) in c == 1 ? x.expand([batch, 3, height, width]) : x }
            let realFeatures = t.scope("vgg") { vgg(rgb(realFrame)) }
            let reconFeatures = t.scope("vgg") { vgg(rgb(reconFrame)) }
            let p = (realFeatures - reconFeatures).square().mean()
            outputs.append(("perceptual_loss", p))
            perceptual = p
        }
        let genLoss = loss.generatorLoss(fake: t.scope("discr") { discriminator(reconFrame) })
        outputs.append(("gen_loss", genLoss))
        let forward = try t.finish(outputs: outputs)

        guard let lastLayer = forward.parameters.first(where: { $0.name == "to_pixels.0.weight" }) else {
            throw CViViTGANError.singleFrame
        }
        let numerator = perceptual ?? reconLoss
        let (withGen, genGradient) = try gradients(of: genLoss.id, withRespectTo: [lastLayer.node.id], in: forward)
        let (joint, numeratorGradient) = try gradients(of: numerator.id, withRespectTo: [lastLayer.node.id],
                                                       in: withGen)
        let g = Tracer(extending: joint)
        let weight = g.withScopePath(["adaptive_weight"]) {
            let norm = { (id: NodeID) in g.tensor(id).square().sum().sqrt() }
            return (norm(numeratorGradient[0]) / (norm(genGradient[0]) + 1e-8)).minimum(1e4).stopGradient()
        }
        // recon_loss + perceptual_loss + vq_aux_loss + adaptive_weight * gen_loss, in that order.
        var total = g.tensor(reconLoss.id)
        if let perceptual { total = total + g.tensor(perceptual.id) }
        total = total + g.tensor(auxLoss.id) + weight * g.tensor(genLoss.id)
        let final = outputs.map { ($0.0, g.tensor($0.1.id)) } + [("adaptive_weight", weight), ("loss", total)]
        return try g.finish(outputs: final)
    }
}

// MARK: From a config

extension CViViTGAN {
    /// The discriminator `CViViT(...)` builds from the `cvivit` section (`discr_base_dim`,
    /// `discr_attn_res_layers`, `channels`, `image_size`).
    public static func discriminator(_ c: CViViTConfig) -> Discriminator {
        Discriminator(dim: c.discrBaseDim, imageSize: (c.imageSize.height, c.imageSize.width), channels: c.channels,
                      attnResLayers: c.discrAttnResLayers)
    }

    /// The GAN loss `use_hinge_loss` selects.
    public static func ganLoss(_ c: CViViTConfig) -> GANLoss { c.useHingeLoss ? .hinge : .bce }

    /// `discriminatorLossGraph` for the config's C-ViViT (gradient penalty weight 10, as
    /// `CViViT.forward(return_discr_loss=True)` applies by default).
    /// - Throws: `CViViTGANError` (GAN off, image size), `ConfigError`, graph errors.
    public static func discriminatorGraph(_ config: PhenakiConfig, batch: Int) throws -> Graph {
        try config.validate()
        let c = config.cvivit
        guard c.useVGGAndGAN else { throw CViViTGANError.ganDisabled }
        return try discriminatorLossGraph(discriminator: discriminator(c), batch: batch, loss: ganLoss(c))
    }

    /// `generatorLossGraph` for the config's C-ViViT with RNG frame picks (`frame_key`).
    /// - Throws: `CViViTGANError` (GAN off, one frame, image sizes), `ConfigError`, graph errors.
    public static func generatorGraph(_ config: PhenakiConfig, batch: Int, frames: Int, vgg: VGG16?,
                                      frameSelection: FrameSelection = .random) throws -> Graph {
        try config.validate()
        let c = config.cvivit
        guard c.useVGGAndGAN else { throw CViViTGANError.ganDisabled }
        let model = PhenakiModels.cvivitModel(c)
        return try generatorLossGraph(cvivit: model, quantizer: PhenakiModels.cvivitQuantizer(c, training: true),
                                      discriminator: discriminator(c), vgg: vgg, batch: batch, frames: frames,
                                      loss: ganLoss(c), frameSelection: frameSelection)
    }
}
