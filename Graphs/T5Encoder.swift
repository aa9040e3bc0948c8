import TensorGraph

/// The encoder of Hugging Face's `T5EncoderModel` in its t5-v1_1 form: `shared` embeddings,
/// `layers` pre-norm blocks (RMS `layer_norm`, unscaled self-attention with the relative
/// position bias of block 0, then RMS `layer_norm` and the gated-GELU `DenseReluDense`
/// `wo(gelu_tanh(wi_0 x) · wi_1 x)`), and `encoder.final_layer_norm`.
///
/// Parameter names are `T5EncoderModel`'s `state_dict` keys (`shared.weight`,
/// `encoder.block.0.layer.0.SelfAttention.q.weight`, …; the tied `encoder.embed_tokens.weight`
/// is not read), so a t5-v1_1 `model.safetensors` loads as is.
public struct T5Encoder: Layer {
    public let vocabSize: Int
    public let dModel: Int
    public let dKV: Int
    public let dFF: Int
    public let layers: Int
    public let heads: Int
    public let positionBias: T5RelativePositionBias
    public let layerNormEpsilon: Double

    /// Defaults are google/t5-v1_1-base's `config.json`.
    public init(vocabSize: Int = 32128, dModel: Int = 768, dKV: Int = 64, dFF: Int = 2048, layers: Int = 12,
                heads: Int = 12, relativeAttentionBuckets: Int = 32, relativeAttentionMaxDistance: Int = 128,
                layerNormEpsilon: Double = 1e-6) {
        self.vocabSize = vocabSize
        self.dModel = dModel
        self.dKV = dKV
        self.dFF = dFF
        self.layers = layers
        self.heads = heads
        positionBias = T5RelativePositionBias(buckets: relativeAttentionBuckets,
                                              maxDistance: relativeAttentionMaxDistance, heads: heads)
        self.layerNormEpsilon = layerNormEpsilon
    }

    public func callAsFunction(_ ids: Tensor) -> Tensor { callAsFunction(ids, mask: nil) }

    /// Hidden states [b, n, dModel] of `ids` int32 [b, n]; `mask` bool [b, n] is false for padding keys.
    public func callAsFunction(_ ids: Tensor, mask: Tensor?) -> Tensor {
        let t = ids.tracer
        let (batch, tokens) = (ids.shape[0], ids.shape[1])
        var h = Embedding(vocabSize, dModel).named("shared")(ids)
        let keep = mask?.reshape([batch, 1, 1, tokens])
        let inner = heads * dKV
        var bias: Tensor?
        t.scope("encoder") {
            for i in 0..<layers {
                t.scope("block") { t.scope("\(i)") {
                    t.scope("layer") {
                        t.scope("0") {
                            let x = T5LayerNorm(dModel, epsilon: layerNormEpsilon).named("layer_norm")(h)
                            h = h + t.scope("SelfAttention") { () -> Tensor in
                                if bias == nil {
                                    bias = t.scope("relative_attention_bias") { positionBias(t, queries: tokens, keys: tokens) }
                                }
                                func split(_ name: String) -> Tensor {
                                    Linear(dModel, inner, bias: false).named(name)(x)
                                        .reshape([batch, tokens, heads, dKV]).permute([0, 2, 1, 3])
                                }
                                // T5 folds the 1/√d scale into its initialisation: scores are unscaled.
                                let out = attention(split("q"), split("k"), split("v"), bias: bias, mask: keep, scale: 1)
                                return Linear(inner, dModel, bias: false).named("o")(
                                    out.permute([0, 2, 1, 3]).reshape([batch, tokens, inner]))
                            }
                        }
                        t.scope("1") {
                            let x = T5LayerNorm(dModel, epsilon: layerNormEpsilon).named("layer_norm")(h)
                            h = h + t.scope("DenseReluDense") { () -> Tensor in
                                let gate = Linear(dModel, dFF, bias: false).named("wi_0")(x).geluTanh()
                                let value = Linear(dModel, dFF, bias: false).named("wi_1")(x)
                                return Linear(dFF, dModel, bias: false).named("wo")(gate * value)
                            }
                        }
                    }
                } }
            }
            h = T5LayerNorm(dModel, epsilon: layerNormEpsilon).named("final_layer_norm")(h)
        }
        return h
    }
}

extension Tensor {
    /// The tanh approximation of GELU (`gelu_new`, `gelu_pytorch_tanh`), which t5-v1_1 uses:
    /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
    public func geluTanh() -> Tensor {
        let inner = (self + self * self * self * 0.044715) * (2.0 / Double.pi).squareRoot()
        return self * 0.5 * (inner.tanh() + 1)
    }
}
