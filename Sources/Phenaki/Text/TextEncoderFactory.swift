/// Builds the text encoder the `phenaki` section's `text_encoder` names.
public enum TextEncoderFactory {
    /// - Parameters:
    ///   - settings: `text_encoder`, `max_text_len` and `text_embed_dim` are read.
    ///   - modelDirectory: the model folder (`--text-model-dir`): required for `t5`; for
    ///     `minilm` it overrides `TextModelDirectory.miniLM()`.
    ///   - embeddingsPath: the `.npy` file of `precomputed` embeddings.
    /// - Throws: `TextEncoderError` when a file is missing or unusable, or when the encoder's
    ///   width differs from `text_embed_dim` (which config validation ties to MaskGit's `dim_context`).
    public static func make(_ settings: PhenakiSettings, modelDirectory: String? = nil, embeddingsPath: String? = nil,
                            threads: Int? = nil) throws -> any TextEncoder {
        let encoder: any TextEncoder
        switch settings.textEncoder {
        case .minilm:
            encoder = try MiniLMTextEncoder(directory: modelDirectory, maxTextLen: settings.maxTextLen, threads: threads)
        case .t5:
            guard let modelDirectory else {
                throw TextEncoderError.modelMissing(
                    directory: "(none given)", file: "a T5 model folder",
                    setup: "save \(settings.t5Name)'s encoder with transformers' save_pretrained and pass its folder as --text-model-dir")
            }
            encoder = try T5TextEncoder(directory: modelDirectory, maxTextLen: settings.maxTextLen, threads: threads)
        case .precomputed:
            guard let embeddingsPath else {
                throw TextEncoderError.unreadable(path: "(none given)",
                                                  reason: "text_encoder 'precomputed' needs a .npy file of [b, tokens, dim] embeddings")
            }
            return try PrecomputedTextEmbeddings(path: embeddingsPath, expectedDim: settings.textEmbedDim)
        }
        guard encoder.dim == settings.textEmbedDim else {
            throw TextEncoderError.widthMismatch(encoder: settings.textEncoder.rawValue, width: encoder.dim,
                                                 textEmbedDim: settings.textEmbedDim)
        }
        return encoder
    }
}
