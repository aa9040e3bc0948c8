import TensorGraph

/// phenaki-pytorch's `MaskGit`: the bidirectional transformer that predicts video tokens.
///
/// `token_emb` (num_tokens + 1 rows; the last is the mask id) plus `pos_emb` (the first n of
/// max_seq_len rows), the gradient shrink `x·α + stopGradient(x)·(1 − α)`, a `Transformer`
/// (`transformer.*`: PEG, self-attention with the 3-d `continuous_pos_bias` over the video
/// patch grid, cross-attention to the text unless unconditional, feed-forward) and
/// `to_logits` Linear(dim, num_tokens). Parameter names are phenaki-pytorch's state_dict keys.
///
/// Conditional dropout (`cond_drop_prob`) enters as a keep mask bool [b] (see
/// `ConditionalDropout.keepMask`), ANDed into the text mask; a dropped row, like a text mask
/// that is all false, cross-attends to the two learned null keys/values only.
/// `forwardWithCondScale` is classifier-free guidance.
public struct MaskGit {
    public let dim: Int, numTokens: Int, maxSeqLen: Int, heads: Int, dimHead: Int
    public let gradientShrinkAlpha: Double
    public let unconditional: Bool
    public let transformer: Transformer

    public init(dim: Int, numTokens: Int, maxSeqLen: Int, depth: Int, gradientShrinkAlpha: Double = 0.1,
                heads: Int = 8, dimHead: Int = 64, unconditional: Bool = false, dimContext: Int? = nil,
                ffMult: Double = 4) {
        self.dim = dim
        self.numTokens = numTokens
        self.maxSeqLen = maxSeqLen
        self.heads = heads
        self.dimHead = dimHead
        self.gradientShrinkAlpha = gradientShrinkAlpha
        self.unconditional = unconditional
        transformer = Transformer(dim: dim, depth: depth, dimContext: dimContext, dimHead: dimHead, heads: heads,
                                  ffMult: ffMult, peg: true, attnNumNullKV: 2, hasCrossAttn: !unconditional)
    }

    /// The id of the mask token (the last row of `token_emb`).
    public var maskID: Int { numTokens }

    /// Logits [b, n, num_tokens] for token ids `ids` int32 [b, n], n = t·h·w of `videoPatchShape`.
    /// `text` [b, m, dim_context] is the cross-attention context with `textMask` bool [b, m]
    /// (true = attend; nil = all true); `videoMask` bool [b, n] masks self-attention keys;
    /// `keepMask` bool [b] (conditional dropout; nil keeps every text) is ANDed into `textMask`.
    public func callAsFunction(_ ids: Tensor, videoPatchShape: [Int], text: Tensor? = nil, textMask: Tensor? = nil,
                               videoMask: Tensor? = nil, keepMask: Tensor? = nil) -> Tensor {
        logits(fromEmbeddings: embeddings(ids, videoPatchShape: videoPatchShape, text: text, textMask: textMask,
                                          videoMask: videoMask, keepMask: keepMask))
    }

    /// phenaki-pytorch's `forward_with_cond_scale`: `null + (cond − null) · condScale` from the
    /// logits with the text kept (`cond_drop_prob = 0`) and dropped (`cond_drop_prob = 1`), both
    /// computed in one pass over the doubled batch. `condScale == 1` or an unconditional MaskGit
    /// gives the conditional logits.
    public func forwardWithCondScale(_ ids: Tensor, videoPatchShape: [Int], text: Tensor? = nil,
                                     textMask: Tensor? = nil, videoMask: Tensor? = nil,
                                     condScale: Double = 3) -> Tensor {
        ConditionalDropout.guided(ids: ids, text: unconditional ? nil : text, textMask: textMask, videoMask: videoMask,
                                  condScale: condScale) { ids, text, textMask, videoMask, keep in
            self(ids, videoPatchShape: videoPatchShape, text: text, textMask: textMask, videoMask: videoMask,
                 keepMask: keep)
        }
    }

    /// `forwardWithCondScale` with the guidance applied to the transformer outputs before
    /// `to_logits`: `to_logits(h_null + (h_cond − h_null) · condScale)`. `to_logits` is affine and
    /// its bias cancels in `cond − null`, so these are the same logits up to float rounding, from
    /// one `to_logits` product over b rows instead of 2b (the largest GEMM of sampling).
    public func guidedLogits(_ ids: Tensor, videoPatchShape: [Int], text: Tensor? = nil, textMask: Tensor? = nil,
                             videoMask: Tensor? = nil, condScale: Double = 3) -> Tensor {
        logits(fromEmbeddings: guidedEmbeddings(ids, videoPatchShape: videoPatchShape, text: text, textMask: textMask,
                                                videoMask: videoMask, condScale: condScale))
    }

    /// The guided transformer output [b, n, dim], `h_null + (h_cond − h_null) · condScale`, both
    /// from one pass over the doubled batch: what `guidedLogits` feeds `to_logits`. A sampler
    /// that needs the logits of a few positions only gathers their rows and applies
    /// `logits(fromEmbeddings:)` to them.
    public func guidedEmbeddings(_ ids: Tensor, videoPatchShape: [Int], text: Tensor? = nil, textMask: Tensor? = nil,
                                 videoMask: Tensor? = nil, condScale: Double = 3) -> Tensor {
        ConditionalDropout.guided(ids: ids, text: unconditional ? nil : text, textMask: textMask,
                                  videoMask: videoMask, condScale: condScale) { ids, text, textMask, videoMask, keep in
            embeddings(ids, videoPatchShape: videoPatchShape, text: text, textMask: textMask, videoMask: videoMask,
                       keepMask: keep)
        }
    }

    /// `to_logits` Linear(dim, num_tokens) of transformer outputs [..., dim]: logits [..., num_tokens].
    public func logits(fromEmbeddings h: Tensor) -> Tensor {
        Linear(dim, numTokens).named("to_logits")(h)
    }

    /// The transformer output [b, n, dim] (`return_embeds=True`); arguments as `callAsFunction`.
    public func embeddings(_ ids: Tensor, videoPatchShape: [Int], text: Tensor? = nil, textMask: Tensor? = nil,
                           videoMask: Tensor? = nil, keepMask: Tensor? = nil) -> Tensor {
        let t = ids.tracer
        precondition(ids.rank == 2, "MaskGit: token ids [batch, seq] expected")
        precondition(videoPatchShape.count == 3, "MaskGit: video patch shape (t, h, w) expected")
        let (b, n) = (ids.shape[0], ids.shape[1])
        precondition(n == videoPatchShape.reduce(1, *), "MaskGit: \(n) tokens for a \(videoPatchShape) patch grid")
        precondition(n <= maxSeqLen, "MaskGit: \(n) tokens exceed max_seq_len \(maxSeqLen)")
        let bias = t.scope("continuous_pos_bias") {
            ContinuousPositionBias(dim: dimHead, heads: heads, numDims: 3)(t, dimensions: videoPatchShape)
        }
        var x = tokenAndPositionEmbedding(ids, dim: dim, numTokens: numTokens, maxSeqLen: maxSeqLen)
        let alpha = gradientShrinkAlpha
        x = x * alpha + x.stopGradient() * (1 - alpha)
        let context = unconditional ? nil : text
        let contextMask = ConditionalDropout.textMask(textMask, keep: keepMask, text: context)
        return t.scope("transformer") {
            transformer(x, videoShape: [b] + videoPatchShape, attentionBias: bias, context: context,
                        selfAttentionMask: videoMask, crossAttentionContextMask: context == nil ? nil : contextMask)
        }
    }
}

/// `token_emb(ids) + pos_emb(arange(n))`, shared by `MaskGit` and `TokenCritic`.
func tokenAndPositionEmbedding(_ ids: Tensor, dim: Int, numTokens: Int, maxSeqLen: Int) -> Tensor {
    let t = ids.tracer
    let n = ids.shape[1]
    let tokens = Embedding(numTokens + 1, dim).named("token_emb")(ids)
    let positions = t.scope("pos_emb") {
        t.parameter("weight", [maxSeqLen, dim], .normal(mean: 0, std: 1)).slice(axis: 0, 0..<n)
    }
    return positions + tokens
}
