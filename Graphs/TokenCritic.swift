import TensorGraph

/// phenaki-pytorch's `TokenCritic`: scores every video token (is it a generated one to re-mask?).
///
/// `token_emb` + `pos_emb` (no gradient shrink, no position bias), a `Transformer` with PEG
/// and, with `hasCrossAttn`, cross-attention to the text, then `to_logits.0` Linear(dim, 1)
/// squeezed to [b, n]. Parameter names are phenaki-pytorch's state_dict keys. Conditional
/// dropout enters as a keep mask bool [b] (`ConditionalDropout.keepMask`), as in `MaskGit`;
/// `forwardWithCondScale` is classifier-free guidance.
public struct TokenCritic {
    public let dim: Int, numTokens: Int, maxSeqLen: Int
    public let hasCrossAttn: Bool
    public let transformer: Transformer

    public init(dim: Int, numTokens: Int, maxSeqLen: Int, depth: Int, hasCrossAttn: Bool = false,
                dimContext: Int? = nil, heads: Int = 8, dimHead: Int = 64, ffMult: Double = 4,
                attnNumNullKV: Int = 2) {
        self.dim = dim
        self.numTokens = numTokens
        self.maxSeqLen = maxSeqLen
        self.hasCrossAttn = hasCrossAttn
        transformer = Transformer(dim: dim, depth: depth, dimContext: dimContext, dimHead: dimHead, heads: heads,
                                  ffMult: ffMult, peg: true, attnNumNullKV: attnNumNullKV,
                                  hasCrossAttn: hasCrossAttn)
    }

    /// Logits [b, n] for token ids int32 [b, n], n = t·h·w of `videoPatchShape`; `context`
    /// [b, m, dim_context] with `textMask` bool [b, m] (nil = all true), `videoMask` bool [b, n],
    /// `keepMask` bool [b] (conditional dropout; nil keeps every text).
    public func callAsFunction(_ ids: Tensor, videoPatchShape: [Int], context: Tensor? = nil,
                               textMask: Tensor? = nil, videoMask: Tensor? = nil, keepMask: Tensor? = nil) -> Tensor {
        let t = ids.tracer
        precondition(ids.rank == 2, "TokenCritic: token ids [batch, seq] expected")
        let (b, n) = (ids.shape[0], ids.shape[1])
        precondition(n == videoPatchShape.reduce(1, *), "TokenCritic: \(n) tokens for a \(videoPatchShape) patch grid")
        precondition(n <= maxSeqLen, "TokenCritic: \(n) tokens exceed max_seq_len \(maxSeqLen)")
        let x = tokenAndPositionEmbedding(ids, dim: dim, numTokens: numTokens, maxSeqLen: maxSeqLen)
        let context = hasCrossAttn ? context : nil
        let contextMask = ConditionalDropout.textMask(textMask, keep: keepMask, text: context)
        let h = t.scope("transformer") {
            transformer(x, videoShape: [b] + videoPatchShape, context: context, selfAttentionMask: videoMask,
                        crossAttentionContextMask: context == nil ? nil : contextMask)
        }
        let logits = t.scope("to_logits") { Linear(dim, 1).named("0")(h) }
        return logits.reshape([b, n])
    }

    /// phenaki-pytorch's `forward_with_cond_scale` (see `MaskGit.forwardWithCondScale`): one pass
    /// over the doubled batch.
    public func forwardWithCondScale(_ ids: Tensor, videoPatchShape: [Int], context: Tensor? = nil,
                                     textMask: Tensor? = nil, videoMask: Tensor? = nil,
                                     condScale: Double = 3) -> Tensor {
        ConditionalDropout.guided(ids: ids, text: hasCrossAttn ? context : nil, textMask: textMask,
                                  videoMask: videoMask, condScale: condScale) { ids, text, textMask, videoMask, keep in
            self(ids, videoPatchShape: videoPatchShape, context: text, textMask: textMask, videoMask: videoMask,
                 keepMask: keep)
        }
    }
}
