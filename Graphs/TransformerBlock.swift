import TensorGraph

/// One entry `layers.<i>` of phenaki-pytorch's `Transformer`: the `nn.ModuleList`
/// `[PEG or None, self-attention, cross-attention or None, feed-forward]`, applied with
/// residual adds. Slot indices stay fixed whether or not PEG and cross-attention exist, so
/// parameters come out as `layers.0.1.to_q.weight` and `layers.0.3.1.weight`.
public struct TransformerBlock: Layer {
    public let peg: PEG?
    public let selfAttention: Attention
    public let crossAttention: Attention?
    public let feedForward: FeedForward

    public init(dim: Int, dimContext: Int? = nil, causal: Bool = false, dimHead: Int = 64, heads: Int = 8,
                ffMult: Double = 4, peg: Bool = false, pegCausal: Bool = false, attnNumNullKV: Int = 2,
                hasCrossAttn: Bool = false) {
        self.peg = peg ? PEG(dim: dim, causal: pegCausal) : nil
        selfAttention = Attention(dim: dim, dimHead: dimHead, heads: heads, causal: causal)
        crossAttention = hasCrossAttn
            ? Attention(dim: dim, dimContext: dimContext, dimHead: dimHead, heads: heads, numNullKV: attnNumNullKV)
            : nil
        feedForward = FeedForward(dim: dim, mult: ffMult)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, videoShape: nil) }

    /// `x + peg(x)`, `+ attn(x)`, `+ cross(x, context)`, `+ ff(x)`.
    public func callAsFunction(_ x: Tensor, videoShape: [Int]? = nil, attentionBias: Tensor? = nil,
                               context: Tensor? = nil, selfAttentionMask: Tensor? = nil,
                               crossAttentionContextMask: Tensor? = nil) -> Tensor {
        let t = x.tracer
        var h = x
        if let peg, let videoShape {
            h = t.scope("0") { peg(h, shape: videoShape) } + h
        }
        h = t.scope("1") { selfAttention(h, mask: selfAttentionMask, attentionBias: attentionBias) } + h
        if let crossAttention, let context {
            h = t.scope("2") { crossAttention(h, mask: crossAttentionContextMask, context: context) } + h
        }
        h = feedForward.named("3")(h) + h
        return h
    }
}
