/// Requests to sample or make a video from a checkpoint that cannot be served as given; each
/// message says what to change.
public enum GenerationError: Error, Equatable, CustomStringConvertible {
    /// The output path's extension is not one of the formats this package writes.
    case unknownOutputFormat(path: String, valid: [String])
    /// A priming file's extension is not one of the formats this package reads.
    case unknownMediaFormat(path: String, valid: [String])
    /// The requested critic has no weights in the checkpoint (`available` is the one it has).
    case criticUnavailable(requested: SamplerCritic, checkpoint: String, available: SamplerCritic?)
    /// Priming frames of another size than the model's frames.
    case primeFrameSize(path: String, height: Int, width: Int, expectedHeight: Int, expectedWidth: Int)
    /// The model is text-conditioned and no text (or embeddings) were given.
    case missingText(encoder: TextEncoderKind)
    /// A `precomputed` model was given prompts without the embeddings that stand for them.
    case textNeedsEmbeddings
    /// The texts and the embedding rows do not pair up.
    case textCount(texts: Int, embeddingRows: Int)
    /// A request that takes one text got several.
    case oneTextOnly(count: Int)
    /// A sampling-step count below 1.
    case invalidSteps(Int)

    public var description: String {
        switch self {
        case .unknownOutputFormat(let path, let valid):
            return "cannot tell the output format of \(path): use a file name ending in "
                + valid.map { "." + $0 }.joined(separator: ", ")
        case .unknownMediaFormat(let path, let valid):
            return "cannot read priming frames from \(path): give a file ending in "
                + valid.map { "." + $0 }.joined(separator: ", ")
        case .criticUnavailable(let requested, let checkpoint, let available):
            let what = requested == .token ? "a TokenCritic (its config has no `critic` section)"
                : "a self critic (its config leaves phenaki.self_token_critic off)"
            let instead = available.map { "--critic \($0.rawValue) or --critic none" } ?? "--critic none"
            return "checkpoint \(checkpoint) lacks \(what), so --critic \(requested.rawValue) has no weights; "
                + "use \(instead), or train a checkpoint with that critic"
        case .primeFrameSize(let path, let height, let width, let expectedHeight, let expectedWidth):
            return "priming frames in \(path) are \(height)x\(width) pixels but the model's frames are "
                + "\(expectedHeight)x\(expectedWidth); resize and crop them first, e.g. "
                + "`ffmpeg -i \(path) -vf scale=\(expectedWidth):\(expectedHeight):force_original_aspect_ratio=increase,"
                + "crop=\(expectedWidth):\(expectedHeight) OUT.gif`"
        case .missingText(let encoder):
            return encoder == .precomputed
                ? "this model is text-conditioned with precomputed embeddings: pass --text-embeds FILE.npy"
                : "this model is text-conditioned: pass --text \"a prompt\""
        case .textNeedsEmbeddings:
            return "this checkpoint's text encoder is 'precomputed', so prompts cannot be encoded here: "
                + "pass --text-embeds FILE.npy (e.g. made by `phenaki embed-text`) instead of, or with, --text"
        case .textCount(let texts, let rows):
            return "\(texts) texts but \(rows) embedding rows; give one row for all texts or one row per text"
        case .oneTextOnly(let count):
            return "sample takes one text but got \(count); use `phenaki make-video` for a scene per text"
        case .invalidSteps(let steps):
            return "--steps must be at least 1, got \(steps)"
        }
    }
}
