import GraphRuntime

/// Precomputed text embeddings of the 40 evaluation prompts: a `.npy` of [40, tokens, dim],
/// row `i` the embeddings of `ClipCaption.all[i]` (for checkpoints whose text encoder is
/// `precomputed`, or to evaluate with another encoder's output).
public struct PromptEmbeddings {
    /// Per prompt of `ClipCaption.all`: [1, tokens, dim].
    public let rows: [HostTensor]

    /// Reads `path`, checking its width against `config`'s text_embed_dim.
    /// - Throws: `TextEncoderError` (the file), `EvaluationError.invalidCount` when it does not
    ///   hold 40 rows.
    public init(path: String, config: PhenakiConfig) throws {
        let file = try PrecomputedTextEmbeddings(path: path, expectedDim: config.phenaki.textEmbedDim)
        let rows = SceneText.rows(of: file.embeddings)
        guard rows.count == ClipCaption.all.count else {
            throw EvaluationError.invalidCount(option: "rows of --text-embeds \(path) (one per prompt of --list-prompts)",
                                               value: rows.count, minimum: ClipCaption.all.count)
        }
        self.rows = rows
    }

    /// The embeddings of `caption`.
    public func embedding(of caption: ClipCaption) -> HostTensor {
        rows[ClipCaption.all.firstIndex(of: caption)!]
    }
}
