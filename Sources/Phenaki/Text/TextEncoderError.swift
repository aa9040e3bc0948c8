/// Problems a user can cause when encoding text: a missing or damaged model folder, a
/// tokenizer this package does not implement, mismatched embeddings.
public enum TextEncoderError: Error, Equatable, CustomStringConvertible {
    /// The model folder lacks `file`; `setup` is the command that provides it.
    case modelMissing(directory: String, file: String, setup: String)
    /// A file of the model folder could not be read or parsed.
    case unreadable(path: String, reason: String)
    /// `tokenizer.json` uses a component (`kind`, e.g. a normalizer type) this package lacks.
    case unsupportedTokenizer(path: String, component: String)
    /// The model's `config.json` asks for something the graph does not implement.
    case unsupportedConfig(path: String, key: String, value: String)
    /// Precomputed embeddings of the wrong rank or width.
    case badEmbeddings(path: String, shape: [Int], expectedDim: Int?)
    /// The encoder's embeddings are not `text_embed_dim` wide.
    case widthMismatch(encoder: String, width: Int, textEmbedDim: Int)
    /// An empty list of texts.
    case noTexts
    /// More texts than precomputed embedding rows.
    case batchMismatch(texts: Int, rows: Int, path: String)

    public var description: String {
        switch self {
        case .modelMissing(let directory, let file, let setup):
            return "no \(file) in the text model folder \(directory); run `\(setup)` (it needs the network once), "
                + "or point PHENAKI_TEXT_MODEL_DIR / --text-model-dir at a folder that has it"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unsupportedTokenizer(let path, let component):
            return "\(path) uses \(component), which this package's tokenizers do not implement; "
                + "use a tokenizer.json with a WordPiece (BERT) or Unigram (Metaspace) model"
        case .unsupportedConfig(let path, let key, let value):
            return "\(path): \(key) = \(value) is not supported by this encoder graph"
        case .badEmbeddings(let path, let shape, let expectedDim):
            let want = expectedDim.map { "[b, tokens, \($0)]" } ?? "[b, tokens, dim]"
            return "\(path) holds embeddings of shape \(shape); expected float32 \(want) or [tokens, dim] "
                + (expectedDim.map { "(text_embed_dim is \($0))" } ?? "")
        case .widthMismatch(let encoder, let width, let textEmbedDim):
            return "the \(encoder) text encoder makes \(width)-wide embeddings but phenaki.text_embed_dim is "
                + "\(textEmbedDim); set text_embed_dim (and maskgit.dim_context) to \(width)"
        case .noTexts:
            return "no texts to encode; pass at least one prompt"
        case .batchMismatch(let texts, let rows, let path):
            return "\(texts) texts but \(path) holds \(rows) embedding rows; give one row, or one per text"
        }
    }
}
