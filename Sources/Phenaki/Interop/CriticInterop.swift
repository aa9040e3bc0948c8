import GraphRuntime
import PhenakiGraphs

/// phenaki-pytorch's `TokenCritic` in eval mode on weights from its `state_dict`:
/// `critic(ids, context=text_embeds, text_mask=any(text_embeds != 0, -1), cond_drop_prob=0)`.
/// The config's `critic` section sizes it (without one, a critic shaped like MaskGit,
/// `PhenakiModels.criticConfig`).
public struct CriticInterop {
    /// The validated config the weights were checked against.
    public let config: PhenakiConfig
    /// Threads of each run (nil: one per core).
    public let threads: Int?
    let weights: InteropWeights
    let model: TokenLogits

    /// - Throws: `ConfigError`, `WeightError.mismatches` listing every tensor that does not fit.
    public init(config: PhenakiConfig, tensors: [String: HostTensor], source: String = "the weights",
                threads: Int? = nil) throws {
        try config.validate()
        self.config = config
        self.threads = threads
        let c = PhenakiModels.criticConfig(config)
        let critic = TokenCritic(dim: c.dim, numTokens: c.numTokens, maxSeqLen: c.maxSeqLen, depth: c.depth,
                                 hasCrossAttn: c.hasCrossAttn, dimContext: c.dimContext, heads: c.heads,
                                 dimHead: c.dimHead, ffMult: c.ffMult)
        model = TokenLogits(section: "critic", maxSeqLen: c.maxSeqLen, numTokens: c.numTokens,
                            dimContext: c.hasCrossAttn ? c.dimContext : nil, cvivit: config.cvivit) { ids, shape, text, mask in
            critic(ids, videoPatchShape: shape, context: text, textMask: mask)
        }
        weights = try InteropWeights(tensors: tensors, completeGraph: try model.completeGraph(), source: source)
    }

    /// Reads the weights from the safetensors file at `weightsPath`.
    public init(config: PhenakiConfig, weightsPath: String, threads: Int? = nil) throws {
        try self.init(config: config, tensors: try InteropWeights.read(path: weightsPath), source: weightsPath,
                      threads: threads)
    }

    /// Logits float32 [b, n] (one score a token) for codebook ids [b, frames', h', w'] or [b, n]
    /// (0...num_tokens) and optional text embeddings [b, m, dim_context] (all-zero rows masked).
    public func logits(ids: HostTensor, text: HostTensor? = nil, idsName: String = "the ids",
                       textName: String = "the text embeddings") throws -> HostTensor {
        try model.logits(ids: ids, idsName: idsName, text: text, textName: textName, weights: weights, threads: threads)
    }
}
