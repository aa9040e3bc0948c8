import GraphRuntime

/// Where a sampler's random draws come from.
public enum SamplerDrawMode: Hashable, Sendable {
    /// In-graph uniforms from an RNG key derived from the seed (the normal mode).
    case rngKey
    /// Uniforms fed from `RecordedSamplingDraws` (to replay another implementation's draws).
    case inputs
}

/// The critic that scores tokens for re-masking (phenaki-pytorch's `Phenaki.critic`).
public enum SamplerCritic: String, Hashable, Sendable, CaseIterable {
    /// The config's `critic` section: a `TokenCritic` with weights `critic.*`.
    case token
    /// `self_token_critic`: MaskGit's transformer plus the head `critic.to_pred.0.*`.
    case selfCritic = "self"

    /// The critic a config implies, as `Phenaki(critic=..., self_token_critic=...)`: the `critic`
    /// section's TokenCritic, else the self critic with `self_token_critic`, else none
    /// (confidence = 1 − the sampled token's probability).
    public static func implied(by config: PhenakiConfig) -> SamplerCritic? {
        if config.critic != nil { return .token }
        return config.phenaki.selfTokenCritic ? .selfCritic : nil
    }
}

/// The keyword arguments of phenaki-pytorch's `Phenaki.sample`, plus the seed.
public struct SamplingOptions: Hashable, Sendable {
    /// Classifier-free guidance scale (`cond_scale`, default 3); 1 runs the conditional pass only.
    public var condScale: Double
    /// Gumbel temperature of the first step, annealed linearly to 0 (`starting_temperature`).
    public var startingTemperature: Double
    /// Scale of the uniform noise added to critic scores (`noise_K`).
    public var noiseK: Double
    /// Seed of the in-graph random draws: the same seed gives the same tokens.
    public var seed: UInt64

    public init(condScale: Double = 3, startingTemperature: Double = 0.9, noiseK: Double = 1, seed: UInt64 = 0) {
        self.condScale = condScale
        self.startingTemperature = startingTemperature
        self.noiseK = noiseK
        self.seed = seed
    }
}

/// Uniform draws recorded from another implementation, one entry per sampling step: `gumbel[s]`
/// f32 [b, g, num_tokens] (gumbel_noise's `uniform_`), `critic[s]` f32 [b, g] (the critic noise;
/// none at the last step).
public struct RecordedSamplingDraws: Sendable {
    /// Per step: the uniforms behind the gumbel noise, f32 [b, g, num_tokens].
    public var gumbel: [HostTensor]
    /// Per step but the last: the uniforms of the critic noise, f32 [b, g] (empty without a critic).
    public var critic: [HostTensor]

    public init(gumbel: [HostTensor], critic: [HostTensor] = []) {
        self.gumbel = gumbel
        self.critic = critic
    }
}

/// What one sampling step feeds MaskGit, for callers that watch the loop.
public struct SamplingStep: Sendable {
    /// The step, 0-based.
    public var step: Int
    /// bool [b, g]: the generated tokens this step predicts (re-masked ones).
    public var mask: HostTensor
    /// int32 [b, p + g]: the prime ids, then the current video ids with masked ones set to the mask id.
    public var inputIds: HostTensor
    /// The gumbel temperature of the step.
    public var temperature: Double
}
