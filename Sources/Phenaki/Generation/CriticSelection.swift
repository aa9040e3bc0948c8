/// Which critic re-masks tokens while sampling from a checkpoint (`--critic`).
public enum CriticSelection: Hashable, Sendable {
    /// The critic the checkpoint's config implies (`SamplerCritic.implied(by:)`).
    case implied
    /// No critic: confidence from MaskGit's own probabilities.
    case none
    /// This critic; the checkpoint must hold its weights.
    case critic(SamplerCritic)

    /// The values `--critic` accepts.
    public static let argumentNames = ["none", "token", "self"]

    /// `none`, `token` or `self`; nil for anything else.
    public init?(argument: String) {
        if argument == "none" { self = .none; return }
        guard let critic = SamplerCritic(rawValue: argument) else { return nil }
        self = .critic(critic)
    }

    /// The critic this selection means for `config`, checked against what the config trains.
    /// - Throws: `GenerationError.criticUnavailable` when the config has no such critic.
    public func resolve(for config: PhenakiConfig, checkpoint: String) throws -> SamplerCritic? {
        switch self {
        case .implied: return SamplerCritic.implied(by: config)
        case .none: return nil
        case .critic(let critic):
            let has = critic == .token ? config.critic != nil : config.phenaki.selfTokenCritic
            guard has else {
                throw GenerationError.criticUnavailable(requested: critic, checkpoint: checkpoint,
                                                        available: SamplerCritic.implied(by: config))
            }
            return critic
        }
    }
}
