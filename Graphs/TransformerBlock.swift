import TensorGraph

/// One entry `layers.<i>` of phenaki-pytorch's `Transformer`: the `nn.ModuleList`
/// `[PEG or None, self-attention, cross-attention or None, feed-forward]`, applied with
/// residual adds.
///
/// The slot indices are kept even while PEG and cross-attention are absent, so parameters come
/// out as `layers.0.1.to_q.weight` and `layers.0.3.1.weight`, as in the PyTorch `state_dict`.
/// PEG (slot 0) and cross-attention (slot 2) are always empty for now.
public struct TransformerBlock: Layer {
    /// Slot 1: the self-attention.
    public let selfAttention: Attention
    /// Slot 3: the feed-forward block.
    public let feedForward: FeedForward

    /// Index of the PEG slot (empty for now).
    public static let pegSlot = 0
    /// Index of the self-attention slot.
    public static let selfAttentionSlot = 1
    /// Index of the cross-attention slot (empty for now).
    public static let crossAttentionSlot = 2
    /// Index of the feed-forward slot.
    public static let feedForwardSlot = 3

    /// A block of width `dim` with `heads` × `dimHead` attention and a GEGLU feed-forward.
    public init(dim: Int, dimHead: Int = 64, heads: Int = 8, ffMult: Double = 4) {
        selfAttention = Attention(dim: dim, dimHead: dimHead, heads: heads)
        feedForward = FeedForward(dim: dim, mult: ffMult)
    }

    /// `x + attn(x)`, then `+ ff(·)`, without an attention bias.
    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, attentionBias: nil) }

    /// `x + attn(x, bias)`, then `+ ff(·)`.
    public func callAsFunction(_ x: Tensor, attentionBias: Tensor?) -> Tensor {
        let t = x.tracer
        var h = x
        h = t.scope(String(Self.selfAttentionSlot)) { selfAttention(h, attentionBias: attentionBias) } + h
        h = feedForward.named(String(Self.feedForwardSlot))(h) + h
        return h
    }
}
