import GraphRuntime
import PhenakiGraphs

/// phenaki-pytorch's `MaskGit` in eval mode on weights from its `state_dict`:
/// `maskgit(ids, context=text_embeds, text_mask=any(text_embeds != 0, -1))`.
public struct MaskGitInterop {
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
        let m = config.maskgit
        let maskgit = MaskGit(dim: m.dim, numTokens: m.numTokens, maxSeqLen: m.maxSeqLen, depth: m.depth,
                              gradientShrinkAlpha: m.gradientShrinkAlpha, heads: m.heads, dimHead: m.dimHead,
                              unconditional: m.unconditional, dimContext: m.dimContext, ffMult: m.ffMult)
        model = TokenLogits(section: "maskgit", maxSeqLen: m.maxSeqLen, numTokens: m.numTokens,
                            dimContext: m.unconditional ? nil : m.dimContext, cvivit: config.cvivit) { ids, shape, text, mask in
            maskgit(ids, videoPatchShape: shape, text: text, textMask: mask)
        }
        weights = try InteropWeights(tensors: tensors, completeGraph: try model.completeGraph(), source: source)
    }

    /// Reads the weights from the safetensors file at `weightsPath`.
    public init(config: PhenakiConfig, weightsPath: String, threads: Int? = nil) throws {
        try self.init(config: config, tensors: try InteropWeights.read(path: weightsPath), source: weightsPath,
                      threads: threads)
    }

    /// Logits float32 [b, n, num_tokens] for codebook ids [b, frames', h', w'] or [b, n] (ids in
    /// 0...num_tokens, num_tokens the mask id) and optional text embeddings [b, m, dim_context]
    /// (rows all zero are masked; nil skips the cross attention, as phenaki-pytorch does without
    /// context).
    public func logits(ids: HostTensor, text: HostTensor? = nil, idsName: String = "the ids",
                       textName: String = "the text embeddings") throws -> HostTensor {
        try model.logits(ids: ids, idsName: idsName, text: text, textName: textName, weights: weights, threads: threads)
    }
}
