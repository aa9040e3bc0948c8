import Foundation

/// A whole Phenaki model: the JSON object `{"cvivit": ..., "maskgit": ..., "critic": ...,
/// "phenaki": ...}` whose keys are phenaki-pytorch's constructor keyword names.
///
/// `critic` may be left out (no token critic); `phenaki` may be left out (all defaults).
/// Decoding refuses unknown keys and wrongly typed values with a `ConfigError`; `validate`
/// checks that the sections agree with each other.
public struct PhenakiConfig: Hashable, Sendable, ConfigValue {
    public var cvivit: CViViTConfig
    public var maskgit: MaskGitConfig
    /// A separate `TokenCritic`, or nil.
    public var critic: CriticConfig?
    public var phenaki: PhenakiSettings

    public init(cvivit: CViViTConfig, maskgit: MaskGitConfig, critic: CriticConfig? = nil,
                phenaki: PhenakiSettings = PhenakiSettings()) {
        self.cvivit = cvivit
        self.maskgit = maskgit
        self.critic = critic
        self.phenaki = phenaki
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case cvivit, maskgit, critic, phenaki
    }

    public static var expectation: String { "a JSON object" }

    public init(from decoder: Decoder) throws {
        let c = try ConfigSection<CodingKeys>(decoder)
        self.init(cvivit: try c.required(.cvivit), maskgit: try c.required(.maskgit), critic: try c.optional(.critic),
                  phenaki: try c.value(.phenaki, default: PhenakiSettings()))
    }

    // MARK: Reading and writing

    /// Decodes a config from JSON text; `source` names it in error messages.
    public static func decode(json: Data, source: String = "the config") throws -> PhenakiConfig {
        do {
            return try JSONDecoder().decode(PhenakiConfig.self, from: json)
        } catch let error as ConfigError {
            if case .invalidJSON(_, let reason) = error { throw ConfigError.invalidJSON(source: source, reason: reason) }
            throw error
        } catch let error as DecodingError {
            throw ConfigError.invalidJSON(source: source, reason: Self.reason(error))
        } catch {
            throw ConfigError.invalidJSON(source: source, reason: "\(error)")
        }
    }

    /// Decodes a config from JSON text.
    public static func decode(json: String, source: String = "the config") throws -> PhenakiConfig {
        try decode(json: Data(json.utf8), source: source)
    }

    /// Reads the config file at `path` (not validated: call `validate(frames:)`).
    public static func load(path: String) throws -> PhenakiConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "\(error.localizedDescription)" : "no such file"
            throw ConfigError.unreadable(path: path, reason: reason)
        }
        return try decode(json: data, source: path)
    }

    /// Pretty JSON with sorted keys and every default written out, ending in a newline.
    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of numbers, strings and booleans cannot fail.
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func reason(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
             .valueNotFound(_, let context):
            let underlying = context.underlyingError.map { error in
                (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            }
            return [context.debugDescription, underlying].compactMap { $0 }.joined(separator: " ")
        @unknown default:
            return "\(error)"
        }
    }

    // MARK: Derived sizes

    /// Tokens per frame: `(h / patch_h) · (w / patch_w)`.
    public var tokensPerFrame: Int { cvivit.tokensPerFrame }

    /// The token sequence MaskGit sees for a video of `frames` frames.
    public func sequenceLength(frames: Int) -> Int { cvivit.tokenCount(frames: frames) }

    /// The most frames whose tokens fit in every transformer's `max_seq_len`.
    public var maxFrames: Int {
        cvivit.maxFrames(maxSeqLen: min(maskgit.maxSeqLen, critic?.maxSeqLen ?? .max))
    }

    // MARK: Validation

    /// Checks every section and that they agree: `num_tokens` equals the codebook size, the
    /// image tiles into patches, the text embeddings are as wide as the cross attention's
    /// `dim_context`, the critic fits MaskGit, and, given `frames`, that the frame count suits
    /// the temporal patch size and its tokens fit in `max_seq_len`.
    ///
    /// - Throws: the first `ConfigError` found.
    public func validate(frames: Int? = nil) throws {
        try cvivit.validate()
        try maskgit.validate()
        try critic?.validate()
        try phenaki.validate()
        for (section, numTokens) in [("maskgit", maskgit.numTokens), ("critic", critic?.numTokens)] {
            if let numTokens, numTokens != cvivit.codebookSize {
                throw ConfigError.numTokensMismatch(section: section, numTokens: numTokens, codebookSize: cvivit.codebookSize)
            }
        }
        for (section, maxSeqLen) in [("maskgit", maskgit.maxSeqLen), ("critic", critic?.maxSeqLen)] {
            if let maxSeqLen, maxSeqLen < tokensPerFrame {
                throw ConfigError.sequenceTooLong(section: section, maxSeqLen: maxSeqLen, tokens: tokensPerFrame, frames: 1)
            }
        }
        if !maskgit.unconditional, phenaki.textEmbedDim != maskgit.dimContext {
            throw ConfigError.textEmbedDimMismatch(section: "maskgit", textEmbedDim: phenaki.textEmbedDim,
                                                   dimContext: maskgit.dimContext)
        }
        if let critic {
            if phenaki.selfTokenCritic {
                throw ConfigError.invalidValue(section: "phenaki", key: "self_token_critic",
                                               message: "is true but a critic section is given; use one or the other")
            }
            if critic.hasCrossAttn == maskgit.unconditional {
                throw ConfigError.invalidValue(
                    section: "critic", key: "has_cross_attn",
                    message: "is \(critic.hasCrossAttn) but maskgit.unconditional is \(maskgit.unconditional); "
                        + "a conditional MaskGit needs a critic with cross attention and an unconditional one a critic without")
            }
            if critic.hasCrossAttn, phenaki.textEmbedDim != critic.dimContext {
                throw ConfigError.textEmbedDimMismatch(section: "critic", textEmbedDim: phenaki.textEmbedDim,
                                                       dimContext: critic.dimContext)
            }
        }
        if let frames { try validate(frames: frames, maxSeqLens: [("maskgit", maskgit.maxSeqLen), ("critic", critic?.maxSeqLen)]) }
    }

    private func validate(frames: Int, maxSeqLens: [(String, Int?)]) throws {
        guard frames >= 1 else {
            throw ConfigError.invalidValue(section: "", key: "frames", message: "is \(frames); it must be at least 1")
        }
        guard (frames - 1) % cvivit.temporalPatchSize == 0 else {
            throw ConfigError.framesNotAligned(frames: frames, temporalPatchSize: cvivit.temporalPatchSize)
        }
        let tokens = sequenceLength(frames: frames)
        for (section, maxSeqLen) in maxSeqLens {
            if let maxSeqLen, maxSeqLen < tokens {
                throw ConfigError.sequenceTooLong(section: section, maxSeqLen: maxSeqLen, tokens: tokens, frames: frames)
            }
        }
    }
}
