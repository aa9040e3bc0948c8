import TensorGraph

/// phenaki-pytorch's `Transformer`: `depth` blocks under `layers.<i>` and a final bias-less
/// LayerNorm `norm_out`.
///
/// Only self-attention and feed-forward are present for now (no PEG, cross-attention, causal
/// mask or ALiBi).
public struct Transformer: Layer {
    /// Model width.
    public let dim: Int
    /// Number of blocks.
    public let depth: Int
    /// Width of one attention head.
    public let dimHead: Int
    /// Number of attention heads.
    public let heads: Int
    /// Feed-forward width multiplier.
    public let ffMult: Double

    /// A transformer of `depth` blocks of width `dim`.
    public init(dim: Int, depth: Int, dimHead: Int = 64, heads: Int = 8, ffMult: Double = 4) {
        self.dim = dim
        self.depth = depth
        self.dimHead = dimHead
        self.heads = heads
        self.ffMult = ffMult
    }

    /// The block at `layers.<i>` (all blocks have the same configuration).
    public var block: TransformerBlock {
        TransformerBlock(dim: dim, dimHead: dimHead, heads: heads, ffMult: ffMult)
    }

    /// Applies the blocks and `norm_out` to `x` [batch, tokens, dim].
    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, attentionBias: nil) }

    /// Applies the blocks, each attention adding `attentionBias` to its logits, then `norm_out`.
    public func callAsFunction(_ x: Tensor, attentionBias: Tensor?) -> Tensor {
        let t = x.tracer
        let block = self.block
        var h = x
        t.scope("layers") {
            for i in 0..<depth {
                h = t.scope(String(i)) { block(h, attentionBias: attentionBias) }
            }
        }
        return PhenakiLayerNorm(dim).named("norm_out")(h)
    }
}
