/// The optional `critic` section: phenaki-pytorch's `TokenCritic(...)` keyword arguments,
/// plus the `Transformer` keywords it passes on (`depth`, `dim_context`, `dim_head`, `heads`,
/// `ff_mult`).
///
/// `dim`, `num_tokens`, `max_seq_len` and `depth` are required. For the self-critic
/// (`SelfCritic`, which shares MaskGit's transformer) leave this section out and set
/// `phenaki.self_token_critic`.
public struct CriticConfig: Hashable, Sendable, ConfigValue {
    public var dim: Int
    public var numTokens: Int
    public var maxSeqLen: Int
    public var depth: Int
    /// Cross attention on the text embeddings; must be `!maskgit.unconditional`.
    public var hasCrossAttn: Bool
    public var dimContext: Int
    public var dimHead: Int
    public var heads: Int
    public var attnDropout: Double
    public var ffDropout: Double
    public var ffMult: Double

    public init(dim: Int, numTokens: Int, maxSeqLen: Int, depth: Int, hasCrossAttn: Bool = false,
                dimContext: Int? = nil, dimHead: Int = 64, heads: Int = 8, attnDropout: Double = 0,
                ffDropout: Double = 0, ffMult: Double = 4) {
        self.dim = dim
        self.numTokens = numTokens
        self.maxSeqLen = maxSeqLen
        self.depth = depth
        self.hasCrossAttn = hasCrossAttn
        self.dimContext = dimContext ?? dim
        self.dimHead = dimHead
        self.heads = heads
        self.attnDropout = attnDropout
        self.ffDropout = ffDropout
        self.ffMult = ffMult
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dim, depth, heads
        case numTokens = "num_tokens"
        case maxSeqLen = "max_seq_len"
        case hasCrossAttn = "has_cross_attn"
        case dimContext = "dim_context"
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
            depth: try c.required(.depth), hasCrossAttn: try c.value(.hasCrossAttn, default: false),
            dimContext: try c.optional(.dimContext), dimHead: try c.value(.dimHead, default: 64),
            heads: try c.value(.heads, default: 8), attnDropout: try c.value(.attnDropout, default: 0),
            ffDropout: try c.value(.ffDropout, default: 0), ffMult: try c.value(.ffMult, default: 4))
    }

    /// Checks the section on its own (sizes at least 1, rates in range).
    public func validate() throws {
        try requireAtLeast(1, in: "critic", [
            (CodingKeys.dim, dim), (.numTokens, numTokens), (.maxSeqLen, maxSeqLen), (.depth, depth),
            (.dimContext, dimContext), (.heads, heads), (.dimHead, dimHead),
        ])
        try requireProbabilities(in: "critic", [(CodingKeys.attnDropout, attnDropout), (.ffDropout, ffDropout)])
        if !(ffMult > 0) {
            throw ConfigError.invalidValue(section: "critic", key: "ff_mult", message: "is \(ffMult); it must be positive")
        }
    }
}
