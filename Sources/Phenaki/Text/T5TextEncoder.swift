import Foundation
import GraphRuntime
import PhenakiGraphs

/// The `t5` text encoder for users who have a t5-v1_1 style checkpoint on disk: a folder with
/// `model.safetensors` (`T5EncoderModel` or full T5 names), `config.json` and a Unigram
/// `tokenizer.json`, run as a `T5Encoder` graph. As phenaki-pytorch's `t5_encode_text`:
/// texts padded to the longest, the last hidden state with padding rows zeroed.
public final class T5TextEncoder: TextEncoder {
    public let directory: String
    public let tokenizer: UnigramTokenizer
    public let model: T5Encoder
    /// Longest tokenisation, `</s>` included.
    public let maxTextLen: Int
    let plans: TextEncoderPlans

    public var dim: Int { model.dModel }

    /// Loads the model in `directory`; `setup` is what the missing-file error tells the user to run.
    public init(directory: String, maxTextLen: Int = 128, threads: Int? = nil,
                setup: String = "save a T5 encoder there with transformers' save_pretrained (model.safetensors, config.json, tokenizer.json)") throws {
        try TextModelDirectory.require(["config.json", "model.safetensors", "tokenizer.json"], in: directory, setup: setup)
        let config = try TextModelDirectory.config(directory)
        let configPath = directory + "/config.json"
        func int(_ key: String, _ fallback: Int) -> Int { config[key] as? Int ?? fallback }
        let projection = config["feed_forward_proj"] as? String ?? "relu"
        guard projection == "gated-gelu" else {
            // t5-v1_1 and later use gated-gelu; the original T5's ReLU feed-forward is not built.
            throw TextEncoderError.unsupportedConfig(path: configPath, key: "feed_forward_proj", value: projection)
        }
        model = T5Encoder(vocabSize: int("vocab_size", 32128), dModel: int("d_model", 768), dKV: int("d_kv", 64),
                          dFF: int("d_ff", 2048), layers: int("num_layers", 12), heads: int("num_heads", 12),
                          relativeAttentionBuckets: int("relative_attention_num_buckets", 32),
                          relativeAttentionMaxDistance: int("relative_attention_max_distance", 128),
                          layerNormEpsilon: (config["layer_norm_epsilon"] as? NSNumber)?.doubleValue ?? 1e-6)
        self.directory = directory
        self.maxTextLen = max(maxTextLen, 1)
        tokenizer = try UnigramTokenizer(tokenizerJSON: directory + "/tokenizer.json")
        var weights = try TextModelDirectory.weights(directory)
        // Checkpoints save the tied embedding as `shared.weight`, `encoder.embed_tokens.weight` or both.
        if weights["shared.weight"] == nil, let tied = weights["encoder.embed_tokens.weight"] {
            weights["shared.weight"] = tied
        }
        let model = self.model
        plans = TextEncoderPlans(weights: weights, source: directory + "/model.safetensors", threads: threads) { ids, mask in
            model(ids, mask: mask)
        }
    }

    /// Token ids of each text, truncated to `maxTextLen`.
    public func tokenize(_ texts: [String]) -> [[Int32]] {
        texts.map { tokenizer.encode($0, maxLength: maxTextLen) }
    }

    public func encode(_ texts: [String]) throws -> TextEmbeddings {
        guard !texts.isEmpty else { throw TextEncoderError.noTexts }
        let (ids, mask) = paddedBatch(tokenize(texts), padID: tokenizer.padID)
        let hidden = try plans.run(ids: ids, mask: mask)
        return TextEmbeddings(embeddings: zeroPadding(hidden, mask: mask), mask: mask)
    }
}
