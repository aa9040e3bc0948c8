import TensorGraph

/// The random numbers one Phenaki training step (`PhenakiLoss`) draws, in phenaki-pytorch's
/// order. Each is either a graph input (parity tests feed the values PyTorch drew) or drawn in
/// the graph from an RNG key (training): the loss spec is the same either way.
public struct PhenakiDraws {
    /// `rand_step` int32 [b] in 0..<steps: `torch.randint(0, steps, (b,))`.
    public var step: Tensor
    /// f32 [b, n] uniform in [0, 1): `torch.rand((b, n))` of `get_mask_subset_with_prob`.
    public var maskNoise: Tensor
    /// f32 [b] uniform: MaskGit's conditional-dropout draw (nil: no conditional dropout).
    public var maskgitKeepNoise: Tensor?
    /// f32 [b, n, num_tokens] uniform: `gumbel_noise` of the critic's sampled predictions (nil:
    /// no critic).
    public var gumbelNoise: Tensor?
    /// f32 [b] uniform: the critic's own conditional-dropout draw (nil: no critic, or no
    /// conditional dropout).
    public var criticKeepNoise: Tensor?

    /// The input names `inputs` declares.
    public static let stepName = "rand_step"
    public static let maskNoiseName = "mask_noise"
    public static let maskgitKeepNoiseName = "maskgit_keep_noise"
    public static let gumbelNoiseName = "gumbel_noise"
    public static let criticKeepNoiseName = "critic_keep_noise"

    public init(step: Tensor, maskNoise: Tensor, maskgitKeepNoise: Tensor? = nil, gumbelNoise: Tensor? = nil,
                criticKeepNoise: Tensor? = nil) {
        self.step = step
        self.maskNoise = maskNoise
        self.maskgitKeepNoise = maskgitKeepNoise
        self.gumbelNoise = gumbelNoise
        self.criticKeepNoise = criticKeepNoise
    }

    /// Declares the draws as graph inputs named by the `…Name` constants, for `batch` videos of
    /// `tokens` tokens over a vocabulary of `numTokens`; `conditionalDropout`: the keep-mask
    /// draws too (`PhenakiLoss.usesConditionalDropout`), `critic`: the critic's draws.
    public static func inputs(_ t: Tracer, batch: Int, tokens: Int, numTokens: Int, conditionalDropout: Bool,
                              critic: Bool) -> PhenakiDraws {
        PhenakiDraws(
            step: t.input(stepName, [batch], .int32),
            maskNoise: t.input(maskNoiseName, [batch, tokens]),
            maskgitKeepNoise: conditionalDropout ? t.input(maskgitKeepNoiseName, [batch]) : nil,
            gumbelNoise: critic ? t.input(gumbelNoiseName, [batch, tokens, numTokens]) : nil,
            criticKeepNoise: critic && conditionalDropout ? t.input(criticKeepNoiseName, [batch]) : nil)
    }

    /// Draws everything in the graph from `key` (int32[2], `Tracer.rngKey`), one folded stream
    /// per draw; `steps` bounds `step`. Flags as `inputs`.
    public static func random(key: Tensor, steps: Int, batch: Int, tokens: Int, numTokens: Int,
                              conditionalDropout: Bool, critic: Bool) -> PhenakiDraws {
        let t = key.tracer
        // floor(u · steps) for u in [0, 1): uniform over 0..<steps like torch.randint.
        let step = (t.randomUniform(key.foldIn(0), [batch]) * Double(steps)).cast(.int32)
        return PhenakiDraws(
            step: step,
            maskNoise: t.randomUniform(key.foldIn(1), [batch, tokens]),
            maskgitKeepNoise: conditionalDropout ? t.randomUniform(key.foldIn(2), [batch]) : nil,
            gumbelNoise: critic ? t.randomUniform(key.foldIn(3), [batch, tokens, numTokens]) : nil,
            criticKeepNoise: critic && conditionalDropout ? t.randomUniform(key.foldIn(4), [batch]) : nil)
    }
}
