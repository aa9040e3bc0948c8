/// The `maskgit` section: phenaki-pytorch's `MaskGit(...)` keyword arguments, plus the
/// `Transformer` keywords MaskGit passes on (`depth`, `dim_context`, `ff_mult`).
///
/// `dim`, `num_tokens`, `max_seq_len` and `depth` are required; `dim_context` defaults to
/// `dim` as in phenaki-pytorch's attention, the rest to phenaki-pytorch 0.5.0's defaults.
public struct MaskGitConfig: Hashable, Sendable, ConfigValue {
    public var dim: Int
    /// The vocabulary: the C-ViViT codebook size (the mask id is `num_tokens`).
    public var numTokens: Int
    /// Positions of the learned position embedding: the longest token sequence.
    public var maxSeqLen: Int
    public var depth: Int
    /// Width of the text embeddings the cross attention reads.
    public var dimContext: Int
    public var gradientShrinkAlpha: Double
    public var heads: Int
    public var dimHead: Int
    /// No text conditioning (no cross attention).
    public var unconditional: Bool
    public var attnDropout: Double
    public var ffDropout: Double
    public var ffMult: Double

    public init(dim: Int, numTokens: Int, maxSeqLen: Int, depth: Int, dimContext: Int? = nil,
                gradientShrinkAlpha: Double = 0.1, heads: Int = 8, dimHead: Int = 64, unconditional: Bool = false,
                attnDropout: Double = 0, ffDropout: Double = 0, ffMult: Double = 4) {
        self.dim = dim
        self.numTokens = numTokens
        self.maxSeqLen = maxSeqLen
        self.depth = depth
        self.dimContext = dimContext ?? dim
        self.gradientShrinkAlpha = gradientShrinkAlpha
        self.heads = heads
        self.dimHead = dimHead
        self.unconditional = unconditional
        self.attnDropout = attnDropout
        self.ffDropout = ffDropout
        self.ffMult = ffMult
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dim, depth, heads, unconditional
        case numTokens = "num_tokens"
        case maxSeqLen = "max_seq_len"
        case dimContext = "dim_context"
        case gradientShrinkAlpha = "gradient_shrink_alpha"
        case dimHead = "dim_head"
        case attnDropout = "attn_dropout"
        case ffDropout = "ff_dropout"
        case ffMult = "ff_mult"
    }

    public static var expectation: String { "a JSON object" }

    public init(from decoder: Decoder) throws {
        let c = try ConfigSection<CodingKeys>(decoder)
        self.init(
            dim: try c.required(.dim), numTokens: try c.required(.numTokens), maxSeqLen: try c.required(.maxSeqLen),
            depth: try c.required(.depth), dimContext: try c.optional(.dimContext),
            gradientShrinkAlpha: try c.value(.gradientShrinkAlpha, default: 0.1),
            heads: try c.value(.heads, default: 8), dimHead: try c.value(.dimHead, default: 64),
            unconditional: try c.value(.unconditional, default: false),
            attnDropout: try c.value(.attnDropout, default: 0), ffDropout: try c.value(.ffDropout, default: 0),
            ffMult: try c.value(.ffMult, default: 4))
    }

    /// Checks the section on its own (sizes at least 1, rates in range).
    public func validate() throws {
        try requireAtLeast(1, in: "maskgit", [
            (CodingKeys.dim, dim), (.numTokens, numTokens), (.maxSeqLen, maxSeqLen), (.depth, depth),
            (.dimContext, dimContext), (.heads, heads), (.dimHead, dimHead),
        ])
        try requireProbabilities(in: "maskgit", [(CodingKeys.attnDropout, attnDropout), (.ffDropout, ffDropout)])
        if !(ffMult > 0) {
            throw ConfigError.invalidValue(section: "maskgit", key: "ff_mult", message: "is \(ffMult); it must be positive")
        }
        if !(gradientShrinkAlpha > 0 && gradientShrinkAlpha <= 1) {
            throw ConfigError.invalidValue(section: "maskgit", key: "gradient_shrink_alpha",
                                           message: "is \(gradientShrinkAlpha); it must be in (0, 1]")
        }
    }
}
