import GraphRuntime

/// Turns the text arguments of a request (`--text`, `--text-embeds`, `--text-model-dir`) into
/// one embedding tensor per scene, following the checkpoint config's `phenaki.text_encoder`.
public struct SceneText {
    /// Per scene: f32 [1, tokens, text_embed_dim]; nil for an unconditional model.
    public var scenes: [HostTensor]?
    /// Things worth telling the user (text that the model ignores).
    public var notes: [String]

    /// - Parameters:
    ///   - texts: prompts, one per scene.
    ///   - embeddingFiles: `.npy` files of precomputed embeddings ([tokens, dim] or [rows, tokens,
    ///     dim]); their rows, in order, are the scenes. Given with `texts`, one row stands for every
    ///     text or there is one row per text; the prompts themselves are then not encoded.
    ///   - modelDirectory: the MiniLM/T5 model folder (see `TextEncoderFactory.make`).
    /// - Throws: `GenerationError.missingText`, `.textNeedsEmbeddings`, `.textCount`,
    ///   `TextEncoderError` from the encoder or the files.
    public init(config: PhenakiConfig, texts: [String], embeddingFiles: [String] = [],
                modelDirectory: String? = nil, threads: Int? = nil) throws {
        let settings = config.phenaki
        if config.maskgit.unconditional {
            scenes = nil
            notes = texts.isEmpty && embeddingFiles.isEmpty ? []
                : ["the model is unconditional (maskgit.unconditional), so the text is ignored"]
            return
        }
        notes = []
        if !embeddingFiles.isEmpty {
            var rows: [HostTensor] = []
            for path in embeddingFiles {
                let file = try PrecomputedTextEmbeddings(path: path, expectedDim: settings.textEmbedDim)
                rows += Self.rows(of: file.embeddings)
            }
            if !texts.isEmpty {
                guard rows.count == 1 || rows.count == texts.count else {
                    throw GenerationError.textCount(texts: texts.count, embeddingRows: rows.count)
                }
                if rows.count == 1 { rows = Array(repeating: rows[0], count: texts.count) }
                if settings.textEncoder != .precomputed {
                    notes.append("--text-embeds given: the prompts are not encoded with \(settings.textEncoder.rawValue)")
                }
            }
            scenes = rows
            return
        }
        if settings.textEncoder == .precomputed {
            throw texts.isEmpty ? GenerationError.missingText(encoder: .precomputed) : GenerationError.textNeedsEmbeddings
        }
        guard !texts.isEmpty else { throw GenerationError.missingText(encoder: settings.textEncoder) }
        let encoder = try TextEncoderFactory.make(settings, modelDirectory: modelDirectory, threads: threads)
        // One text at a time: a scene's embeddings are then exactly those of its prompt alone.
        scenes = try texts.map { try encoder.encode([$0]).embeddings }
    }

    /// Each row of [rows, tokens, dim] as [1, tokens, dim].
    static func rows(of embeddings: HostTensor) -> [HostTensor] {
        let (count, tokens, dim) = (embeddings.shape[0], embeddings.shape[1], embeddings.shape[2])
        let size = tokens * dim
        return (0..<count).map { row in
            HostTensor(shape: [1, tokens, dim], dtype: .float32,
                       scalars: Array(embeddings.scalars[(row * size)..<((row + 1) * size)]))
        }
    }
}
