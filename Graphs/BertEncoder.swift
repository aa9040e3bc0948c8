import TensorGraph

/// The encoder of Hugging Face's `BertModel` (no pooler): word + position + token-type
/// embeddings, `LayerNorm`, then `layers` post-norm `BertLayer`s. Its output is the
/// `last_hidden_state` that sentence-transformers mean-pools; the text encoders hand it to
/// MaskGit per token.
///
/// Parameter names are `BertModel`'s `state_dict` keys (`embeddings.word_embeddings.weight`,
/// `encoder.layer.0.attention.self.query.weight`, …), so `model.safetensors` of a checkpoint such
/// as all-MiniLM-L6-v2 loads as is (its `pooler.*` and `embeddings.position_ids` are not read).
public struct BertEncoder: Layer {
    public let vocabSize: Int
    public let hiddenSize: Int
    public let layers: Int
    public let heads: Int
    public let intermediateSize: Int
    public let maxPositions: Int
    public let typeVocabSize: Int
    public let layerNormEpsilon: Double

    /// Defaults are all-MiniLM-L6-v2's `config.json`.
    public init(vocabSize: Int = 30522, hiddenSize: Int = 384, layers: Int = 6, heads: Int = 12,
                intermediateSize: Int = 1536, maxPositions: Int = 512, typeVocabSize: Int = 2,
                layerNormEpsilon: Double = 1e-12) {
        precondition(hiddenSize % heads == 0, "hidden size \(hiddenSize) is not a multiple of \(heads) heads")
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// `ids` int32 [b, n] with every key attended to.
    public func callAsFunction(_ ids: Tensor) -> Tensor { callAsFunction(ids, mask: nil) }

    /// Hidden states [b, n, hiddenSize] of `ids` int32 [b, n]; `mask` bool [b, n] is false for
    /// padding keys (HF's `attention_mask`). Token types are all 0, as for a single sentence.
    public func callAsFunction(_ ids: Tensor, mask: Tensor?) -> Tensor {
        let t = ids.tracer
        let (batch, tokens) = (ids.shape[0], ids.shape[1])
        precondition(tokens <= maxPositions, "\(tokens) tokens exceed the \(maxPositions) positions")
        var h = t.scope("embeddings") { () -> Tensor in
            let words = Embedding(vocabSize, hiddenSize).named("word_embeddings")(ids)
            let positions = t.scope("position_embeddings") {
                t.parameter("weight", [maxPositions, hiddenSize], .normal(mean: 0, std: 0.02))
            }.slice(axis: 0, 0..<tokens).reshape([1, tokens, hiddenSize])
            let type0 = t.scope("token_type_embeddings") {
                t.parameter("weight", [typeVocabSize, hiddenSize], .normal(mean: 0, std: 0.02))
            }.slice(axis: 0, 0..<1).reshape([1, 1, hiddenSize])
            return LayerNorm(hiddenSize, epsilon: layerNormEpsilon).named("LayerNorm")(words + positions + type0)
        }
        let keep = mask?.reshape([batch, 1, 1, tokens])
        let layer = BertLayer(hiddenSize: hiddenSize, heads: heads, intermediateSize: intermediateSize,
                              layerNormEpsilon: layerNormEpsilon)
        for i in 0..<layers {
            h = t.scope("encoder") { t.scope("layer") { t.scope("\(i)") { layer(h, mask: keep) } } }
        }
        return h
    }
}
