import Foundation
import GraphRuntime
import PhenakiGraphs

/// The `minilm` text encoder: all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) from a local
/// folder with `model.safetensors`, `config.json` and `tokenizer.json` (or `vocab.txt`),
/// run as a `BertEncoder` graph. Embeddings are the per-token last hidden state (not the
/// sentence-transformers mean pool), padding rows zeroed.
public final class MiniLMTextEncoder: TextEncoder {
    public let directory: String
    public let tokenizer: WordPieceTokenizer
    public let model: BertEncoder
    /// Longest tokenisation, `[CLS]` and `[SEP]` included (capped at the model's positions).
    public let maxTextLen: Int
    let plans: TextEncoderPlans

    public var dim: Int { model.hiddenSize }

    /// Loads the model from `directory` (default: `TextModelDirectory.miniLM()`). Throws
    /// `TextEncoderError.modelMissing` with the setup command when files are missing.
    public init(directory: String? = nil, maxTextLen: Int = 128, threads: Int? = nil) throws {
        let dir = TextModelDirectory.miniLM(explicit: directory)
        try TextModelDirectory.require(["config.json", "model.safetensors"], in: dir, setup: TextModelDirectory.setupCommand)
        if !FileManager.default.fileExists(atPath: dir + "/tokenizer.json") {
            try TextModelDirectory.require(["vocab.txt"], in: dir, setup: TextModelDirectory.setupCommand)
        }
        let config = try TextModelDirectory.config(dir)
        let configPath = dir + "/config.json"
        func int(_ key: String, _ fallback: Int) -> Int { config[key] as? Int ?? fallback }
        if let act = config["hidden_act"] as? String, act != "gelu" {
            throw TextEncoderError.unsupportedConfig(path: configPath, key: "hidden_act", value: act)
        }
        if let kind = config["position_embedding_type"] as? String, kind != "absolute" {
            throw TextEncoderError.unsupportedConfig(path: configPath, key: "position_embedding_type", value: kind)
        }
        let hidden = int("hidden_size", 384), heads = int("num_attention_heads", 12)
        guard hidden % heads == 0 else {
            throw TextEncoderError.unsupportedConfig(path: configPath, key: "num_attention_heads", value: "\(heads)")
        }
        model = BertEncoder(vocabSize: int("vocab_size", 30522), hiddenSize: hidden, layers: int("num_hidden_layers", 6),
                            heads: heads, intermediateSize: int("intermediate_size", 1536),
                            maxPositions: int("max_position_embeddings", 512), typeVocabSize: int("type_vocab_size", 2),
                            layerNormEpsilon: (config["layer_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-12)
        self.directory = dir
        self.maxTextLen = min(max(maxTextLen, 2), model.maxPositions)
        tokenizer = try WordPieceTokenizer(directory: dir)
        let model = self.model
        plans = TextEncoderPlans(weights: try TextModelDirectory.weights(dir), source: dir + "/model.safetensors",
                                 threads: threads) { ids, mask in model(ids, mask: mask) }
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
