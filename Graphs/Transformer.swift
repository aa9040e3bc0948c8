import TensorGraph

/// phenaki-pytorch's `Transformer`: `depth` blocks (`layers.<i>`, see `TransformerBlock`) and
/// a final bias-less LayerNorm `norm_out`.
public struct Transformer: Layer {
    public let dim: Int
    public let depth: Int
    public let block: TransformerBlock

    public init(dim: Int, depth: Int, dimContext: Int? = nil, causal: Bool = false, dimHead: Int = 64,
                heads: Int = 8, ffMult: Double = 4, peg: Bool = false, pegCausal: Bool = false,
                attnNumNullKV: Int = 2, hasCrossAttn: Bool = false) {
        self.dim = dim
        self.depth = depth
        block = TransformerBlock(dim: dim, dimContext: dimContext, causal: causal, dimHead: dimHead, heads: heads,
                                 ffMult: ffMult, peg: peg, pegCausal: pegCausal, attnNumNullKV: attnNumNullKV,
                                 hasCrossAttn: hasCrossAttn)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, videoShape: nil) }

    public func callAsFunction(_ x: Tensor, videoShape: [Int]? = nil, attentionBias: Tensor? = nil,
                               context: Tensor? = nil, selfAttentionMask: Tensor? = nil,
                               crossAttentionContextMask: Tensor? = nil) -> Tensor {
        let t = x.tracer
        var h = x
        t.scope("layers") {
            for i in 0..<depth {
                h = t.scope(String(i)) {
                    block(h, videoShape: videoShape, attentionBias: attentionBias, context: context,
                          selfAttentionMask: selfAttentionMask, crossAttentionContextMask: crossAttentionContextMask)
                }
            }
        }
        return PhenakiLayerNorm(dim).named("norm_out")(h)
    }
}
