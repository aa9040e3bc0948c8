import TensorGraph

/// One `encoder.layer.<i>` of Hugging Face's `BertModel`: post-norm self-attention
/// (`attention.self.{query,key,value}` with biases, scores scaled by 1/√head_dim,
/// `attention.output.dense`, residual, `attention.output.LayerNorm`) then the feed-forward
/// (`intermediate.dense`, exact GELU, `output.dense`, residual, `output.LayerNorm`).
public struct BertLayer: Layer {
    public let hiddenSize: Int
    public let heads: Int
    public let intermediateSize: Int
    public let layerNormEpsilon: Double

    public init(hiddenSize: Int, heads: Int, intermediateSize: Int, layerNormEpsilon: Double = 1e-12) {
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.layerNormEpsilon = layerNormEpsilon
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, mask: nil) }

    /// `x` [b, n, hidden]; `mask` bool broadcastable to [b, heads, n, n], true for keys to attend to.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        let t = x.tracer
        let (batch, tokens) = (x.shape[0], x.shape[1])
        let headDim = hiddenSize / heads
        let attended = t.scope("attention") { () -> Tensor in
            let context = t.scope("self") { () -> Tensor in
                func heads(_ name: String) -> Tensor {
                    Linear(hiddenSize, hiddenSize).named(name)(x)
                        .reshape([batch, tokens, self.heads, headDim]).permute([0, 2, 1, 3])
                }
                let out = attention(heads("query"), heads("key"), heads("value"), mask: mask,
                                    scale: 1 / Double(headDim).squareRoot())
                return out.permute([0, 2, 1, 3]).reshape([batch, tokens, hiddenSize])
            }
            return t.scope("output") {
                LayerNorm(hiddenSize, epsilon: layerNormEpsilon).named("LayerNorm")(
                    Linear(hiddenSize, hiddenSize).named("dense")(context) + x)
            }
        }
        let inner = t.scope("intermediate") { Linear(hiddenSize, intermediateSize).named("dense")(attended).gelu() }
        return t.scope("output") {
            LayerNorm(hiddenSize, epsilon: layerNormEpsilon).named("LayerNorm")(
                Linear(intermediateSize, hiddenSize).named("dense")(inner) + attended)
        }
    }
}
