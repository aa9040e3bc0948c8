import TensorGraph

/// phenaki-pytorch's `Phenaki.forward` from video codebook ids: the MaskGit training loss and,
/// with a critic, the critic loss.
///
/// The C-ViViT encoding before it runs without gradients in phenaki-pytorch, so the ids are an
/// input here. One step:
///
/// 1. `mask_prob = cos(step · π/2 / steps)` for a random `step` in 0..<steps per video;
/// 2. `get_mask_subset_with_prob(video_mask, mask_prob)` picks the tokens to mask (see
///    `tokenMask`) and they become the mask id;
/// 3. MaskGit's logits, with the text mask `any(text != 0)` ANDed with a conditional-dropout keep
///    mask (see `condDropProb`); `maskgit_loss` is the cross-entropy over the masked tokens only (F.cross_entropy of
///    `logits[mask]`, the others ignored);
/// 4. with a critic: predictions `gumbel_sample(logits, critic_train_sample_temperature)`, the
///    critic reads the ids with the masked ones replaced by the predictions, and `critic_loss` is
///    the BCE-with-logits against `ids != predictions` over every token;
///    `loss = maskgit_loss + critic_loss · critic_loss_weight`.
///
/// All randomness comes in through `PhenakiDraws`. Parameters are named as in a `Phenaki`
/// state_dict: `maskgit.*`, and `critic.*` (a `TokenCritic`), or `critic.to_pred.0.*` plus the
/// shared `maskgit.*` (self critic).
public struct PhenakiLoss {
    /// The token critic trained beside MaskGit.
    public enum Critic {
        /// A separate `TokenCritic` (`critic.*`).
        case token(TokenCritic)
        /// `SelfCritic` on the MaskGit being trained (`self_token_critic=True`).
        case selfCritic
    }

    /// Which losses a step trains (`only_train_generator` / `only_train_critic`).
    public enum Training {
        case both
        /// MaskGit only; the critic is not run (`only_train_generator=True`).
        case onlyGenerator
        /// The critic only: no gradient reaches MaskGit through its logits and `loss` is the
        /// unweighted critic loss (`only_train_critic=True`). A self critic still trains the
        /// shared transformer through its own pass.
        case onlyCritic
    }

    /// The losses and the intermediate values parity tests compare.
    public struct Output {
        public var loss: Tensor
        /// The masked cross-entropy (nil with `.onlyCritic`).
        public var maskgitLoss: Tensor?
        /// The critic's BCE (nil without a critic or with `.onlyGenerator`).
        public var criticLoss: Tensor?
        /// bool [b, n]: the tokens replaced by the mask id.
        public var tokenMask: Tensor
        /// int32 [b, n]: MaskGit's input.
        public var maskedIds: Tensor
        /// f32 [b, n, num_tokens].
        public var logits: Tensor
        /// int32 [b, n]: the gumbel-sampled predictions (with a critic).
        public var predictedIds: Tensor?
        /// f32 [b, n] (with a critic).
        public var criticLogits: Tensor?
    }

    public let maskgit: MaskGit
    public let critic: Critic?
    /// `steps` of the cosine schedule.
    public let steps: Int
    /// Conditional dropout of the text, for MaskGit and the critic (separate draws).
    /// phenaki-pytorch 0.5.0's `Phenaki.forward` sets `cond_drop_prob = 0` before reading
    /// `self.cond_drop_prob`, so it never drops text while training: 0 reproduces it exactly; the
    /// configured value (`phenaki.cond_drop_prob`) trains the null conditioning that
    /// classifier-free guidance (`forwardWithCondScale`) samples with.
    public let condDropProb: Double
    public let criticLossWeight: Double
    public let criticTrainSampleTemperature: Double

    public init(maskgit: MaskGit, critic: Critic? = nil, steps: Int = 18, condDropProb: Double = 0.25,
                criticLossWeight: Double = 1, criticTrainSampleTemperature: Double = 1) {
        self.maskgit = maskgit
        self.critic = critic
        self.steps = steps
        self.condDropProb = condDropProb
        self.criticLossWeight = criticLossWeight
        self.criticTrainSampleTemperature = criticTrainSampleTemperature
    }

    /// Whether the loss reads text (MaskGit is conditional).
    public var conditional: Bool { !maskgit.unconditional }

    /// Whether text is dropped (the draws must then carry keep-mask noise).
    public var usesConditionalDropout: Bool { conditional && condDropProb > 0 }

    /// The loss for codebook ids `ids` int32 [b, n] (n = t·h·w of `videoPatchShape`), text
    /// embeddings `text` [b, m, dim_context] (nil when unconditional; rows of zeros are padding),
    /// the token mask `videoMask` bool [b, n] (C-ViViT's `calculate_video_token_mask`; nil: all
    /// true) and the step's random `draws`.
    public func callAsFunction(ids: Tensor, videoPatchShape: [Int], text: Tensor?, videoMask: Tensor? = nil,
                               draws: PhenakiDraws, training: Training = .both) -> Output {
        let t = ids.tracer
        precondition(ids.rank == 2, "PhenakiLoss: codebook ids [batch, seq] expected")
        precondition(conditional == (text != nil), "PhenakiLoss: text is required exactly when MaskGit is conditional")
        let (b, n) = (ids.shape[0], ids.shape[1])
        let here = t.scope.isEmpty ? [] : t.scope.split(separator: ".").map(String.init)

        // phenaki-pytorch: a text position whose features are all zero is padding.
        let textMask = text.map { $0.abs().max(axes: [2]) .> 0 }
        precondition(!usesConditionalDropout || draws.maskgitKeepNoise != nil,
                     "PhenakiLoss: conditional dropout needs keep-mask draws")
        func keep(_ noise: Tensor?) -> Tensor? {
            guard usesConditionalDropout, let noise else { return nil }
            return ConditionalDropout.keepMask(uniform: noise, condDropProb: condDropProb)
        }
        let maskgitKeep = keep(draws.maskgitKeepNoise)

        let maskProbability = (draws.step.cast(.float32) * (Double.pi * 0.5 / Double(steps))).cos()
        let validTokens = videoMask ?? t.constant(1, [b, n], .bool)
        let tokenMask = Self.tokenMask(validTokens, probability: maskProbability, noise: draws.maskNoise)
        let maskedIds = select(tokenMask, t.constant(Double(maskgit.maskID), [b, n], .int32), ids)

        var logits = t.scope("maskgit") {
            maskgit(maskedIds, videoPatchShape: videoPatchShape, text: text, textMask: textMask,
                    videoMask: validTokens, keepMask: maskgitKeep)
        }
        if training == .onlyCritic { logits = logits.stopGradient() }  // MaskGit runs under no_grad

        var maskgitLoss: Tensor?
        if training != .onlyCritic {
            let picked = logits.logSoftmax(axis: -1).takeAlongAxis(ids.reshape([b, n, 1]), axis: 2).reshape([b, n])
            let weight = tokenMask.cast(.float32)
            maskgitLoss = -(picked * weight).sum() / weight.sum()
        }
        var output = Output(loss: maskgitLoss ?? t.constant(0), maskgitLoss: maskgitLoss, criticLoss: nil,
                            tokenMask: tokenMask, maskedIds: maskedIds, logits: logits)
        guard let critic, training != .onlyGenerator else { return output }

        guard let uniform = draws.gumbelNoise else { preconditionFailure("PhenakiLoss: a critic needs gumbel noise") }
        let predicted = Self.gumbelSample(logits, uniform: uniform, temperature: criticTrainSampleTemperature)
        let criticInput = select(tokenMask, predicted, ids)
        let criticKeep = keep(draws.criticKeepNoise)
        let criticLogits = t.scope("critic") { () -> Tensor in
            switch critic {
            case .token(let tokenCritic):
                return tokenCritic(criticInput, videoPatchShape: videoPatchShape, context: text, textMask: textMask,
                                   videoMask: validTokens, keepMask: criticKeep)
            case .selfCritic:
                return SelfCritic(maskgit: maskgit)(criticInput, videoPatchShape: videoPatchShape, text: text,
                                                    textMask: textMask, videoMask: validTokens, keepMask: criticKeep,
                                                    maskgitScope: here + ["maskgit"])
            }
        }
        // Every token is labelled, the unmasked ones too (they are fake where the sample differs).
        let labels = (ids .!= predicted).cast(.float32)
        let criticLoss = Self.binaryCrossEntropyWithLogits(criticLogits, labels)
        output.criticLoss = criticLoss
        output.predictedIds = predicted
        output.criticLogits = criticLogits
        output.loss = training == .onlyCritic ? criticLoss : output.loss + criticLoss * criticLossWeight
        return output
    }

    /// phenaki-pytorch's `get_mask_subset_with_prob(mask, prob)` with its `torch.rand` draw
    /// `noise` f32 [b, n]: with `k = max(round(prob · Σmask), 1)` and `pads = n − Σmask`, position
    /// i is chosen where `argsort(noise)[i] − pads` lies in [0, k). Like the reference, the chosen
    /// positions ignore where the padding is (only how much there is). Rounding is half up, not
    /// half to even: the two differ only when prob·Σmask is exactly x.5.
    public static func tokenMask(_ mask: Tensor, probability: Tensor, noise: Tensor) -> Tensor {
        let (b, n) = (mask.shape[0], mask.shape[1])
        let count = mask.cast(.float32).sum(axes: [1], keepDims: true)
        let pads = Double(n) - count
        let rounded = (probability.reshape([b, 1]) * count + 0.5).cast(.int32).cast(.float32)
        let chosen = rounded.maximum(1)
        let rank = noise.argsort(axis: -1).cast(.float32) - pads
        return (rank .>= 0) .& (rank .< chosen)
    }

    /// `gumbel_sample(logits, temperature)` with its uniform draw `uniform` (same shape):
    /// `argmax(logits / max(T, 1e-10) − log(−log(u + 1e-10) + 1e-10))` over the last axis.
    public static func gumbelSample(_ logits: Tensor, uniform: Tensor, temperature: Double) -> Tensor {
        let gumbel = -(-(uniform + 1e-10).log() + 1e-10).log()
        return (logits.stopGradient() / Swift.max(temperature, 1e-10) + gumbel).argmax(axis: -1)
    }

    /// Mean BCE with logits: max(x, 0) − x·y + log(1 + exp(−|x|)).
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, _ labels: Tensor) -> Tensor {
        (logits.maximum(0) - logits * labels + ((-logits.abs()).exp() + 1).log()).mean()
    }
}
