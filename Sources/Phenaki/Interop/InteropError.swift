import TensorGraph

/// A tensor or file handed to the interop commands (`phenaki cvivit encode`, `maskgit logits`, ...)
/// that the model cannot take. Every message names the tensor and says what to change.
///
/// Weights that do not fit the config are reported as `WeightError.mismatches` (the whole
/// list), configs as `ConfigError`, unreadable `.npy` files as `NumPyError`.
public enum InteropError: Error, Equatable, CustomStringConvertible {
    /// The file named by `option` (`--weights`, `--input`, `--text-embeds`) does not exist.
    case fileNotFound(option: String, path: String)
    /// `name` has dtype `got`; it must be `expected` (words: "float", "integer").
    case wrongDType(name: String, got: DType, expected: String)
    /// `name` has shape `got`; `expected` describes the shapes the model takes.
    case wrongShape(name: String, got: [Int], expected: String)
    /// A codebook id outside `valid` at row-major element `index` of `name`.
    case idOutOfRange(name: String, index: Int, value: Int, valid: ClosedRange<Int>, meaning: String)
    /// Text embeddings of width `got` for a cross attention that reads `dimContext`-wide ones.
    case textEmbedDimMismatch(section: String, got: Int, dimContext: Int)
    /// Text embeddings given to a model without cross attention.
    case textNotUsed(section: String)
    /// The ids and the text embeddings disagree on the batch size.
    case batchMismatch(ids: Int, text: Int)
    /// More tokens than `section`'s position embedding has rows.
    case tooManyTokens(section: String, tokens: Int, maxSeqLen: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let option, let path):
            return "\(option) \(path): no such file; check the path"
        case .wrongDType(let name, let got, let expected):
            return "\(name) holds \(got.rawValue) values but must hold \(expected) values; "
                + (expected == "float" ? "save it with array.astype(numpy.float32)"
                    : "save the ids with array.astype(numpy.int64) (or int32)")
        case .wrongShape(let name, let got, let expected):
            return "\(name) has shape \(got) but must be \(expected)"
        case .idOutOfRange(let name, let index, let value, let valid, let meaning):
            return "element \(index) of \(name) is \(value), outside \(valid.lowerBound)...\(valid.upperBound) (\(meaning)); "
                + "check the ids were made with this config's codebook"
        case .textEmbedDimMismatch(let section, let got, let dimContext):
            return "the text embeddings are \(got) wide but \(section).dim_context is \(dimContext); "
                + "give embeddings of width \(dimContext) (the text encoder the model was trained with)"
        case .textNotUsed(let section):
            return "\(section) has no cross attention (unconditional), so it cannot read text embeddings; "
                + "leave out --text-embeds"
        case .batchMismatch(let ids, let text):
            return "the ids have a batch of \(ids) but the text embeddings a batch of \(text); give one text per video"
        case .tooManyTokens(let section, let tokens, let maxSeqLen):
            return "\(tokens) tokens exceed \(section).max_seq_len \(maxSeqLen); give fewer token frames"
        }
    }
}
