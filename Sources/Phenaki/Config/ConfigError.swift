/// A configuration a user wrote (or asked for) that cannot describe a working model.
///
/// Every message names the section, the key and the numbers involved, so the fix is obvious
/// without reading the code.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    /// The file at `path` could not be read.
    case unreadable(path: String, reason: String)
    /// The text is not JSON (or not a JSON object at the top).
    case invalidJSON(source: String, reason: String)
    /// `keys` are not accepted in `section`; `valid` lists the keys that are.
    case unknownKeys(section: String, keys: [String], valid: [String])
    /// A key without a default is absent.
    case missingKey(section: String, key: String)
    /// `key` holds a value of the wrong JSON type.
    case wrongType(section: String, key: String, expected: String)
    /// `key` has the right type but a value the model cannot use.
    case invalidValue(section: String, key: String, message: String)
    /// A variant name that `PhenakiConfig.variant(named:)` does not know.
    case unknownVariant(name: String, valid: [String])
    /// `section`'s `num_tokens` is not the C-ViViT codebook size.
    case numTokensMismatch(section: String, numTokens: Int, codebookSize: Int)
    /// Lookup-free quantization needs a power-of-two codebook.
    case codebookNotPowerOfTwo(codebookSize: Int)
    /// The product of `cvivit.fsq_levels` is not `cvivit.codebook_size`.
    case fsqLevelsMismatch(levels: [Int], product: Int, codebookSize: Int)
    /// The image does not tile into whole patches.
    case imageNotDivisible(imageSize: SpatialSize, patchSize: SpatialSize)
    /// `section`'s `max_seq_len` is shorter than the token sequence of `frames` frames.
    case sequenceTooLong(section: String, maxSeqLen: Int, tokens: Int, frames: Int)
    /// The text embedding width is not the width `section`'s cross attention expects.
    case textEmbedDimMismatch(section: String, textEmbedDim: Int, dimContext: Int)
    /// `frames - 1` is not a multiple of the temporal patch size.
    case framesNotAligned(frames: Int, temporalPatchSize: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read config \(path): \(reason)"
        case .invalidJSON(let source, let reason):
            return "\(source) is not a valid config: \(reason)"
        case .unknownKeys(let section, let keys, let valid):
            let names = keys.map { "'\($0)'" }.joined(separator: ", ")
            return "unknown key\(keys.count == 1 ? "" : "s") \(names) in \(sectionName(section)); "
                + "valid keys are: \(valid.joined(separator: ", "))"
        case .missingKey(let section, let key):
            return "\(qualified(section, key)) is required"
        case .wrongType(let section, let key, let expected):
            return "\(qualified(section, key)) must be \(expected)"
        case .invalidValue(let section, let key, let message):
            return "\(qualified(section, key)) \(message)"
        case .unknownVariant(let name, let valid):
            return "unknown variant '\(name)'; valid variants are: \(valid.joined(separator: ", "))"
        case .numTokensMismatch(let section, let numTokens, let codebookSize):
            return "\(section).num_tokens is \(numTokens) but cvivit.codebook_size is \(codebookSize); "
                + "they must be equal (the transformer predicts C-ViViT codebook ids)"
        case .codebookNotPowerOfTwo(let codebookSize):
            var suggestion = 1
            while suggestion < codebookSize { suggestion *= 2 }
            return "cvivit.codebook_size is \(codebookSize) but lookup-free quantization needs a power of two "
                + "(try \(suggestion), or set lookup_free_quantization to false)"
        case .fsqLevelsMismatch(let levels, let product, let codebookSize):
            let shown = levels.map(String.init).joined(separator: " × ")
            return "cvivit.fsq_levels \(levels) make \(shown) = \(product == Int.max ? "too many" : String(product)) codes "
                + "but cvivit.codebook_size is \(codebookSize); set codebook_size to \(product == Int.max ? "their product" : String(product)) "
                + "or change the levels"
        case .imageNotDivisible(let image, let patch):
            return "cvivit.image_size \(image.height) × \(image.width) is not divisible by "
                + "cvivit.patch_size \(patch.height) × \(patch.width)"
        case .sequenceTooLong(let section, let maxSeqLen, let tokens, let frames):
            return "\(section).max_seq_len is \(maxSeqLen) but \(frames) frame\(frames == 1 ? "" : "s") "
                + "make \(tokens) tokens; raise max_seq_len to at least \(tokens) or use fewer frames"
        case .textEmbedDimMismatch(let section, let textEmbedDim, let dimContext):
            return "phenaki.text_embed_dim is \(textEmbedDim) but \(section).dim_context is \(dimContext); "
                + "they must be equal (the cross attention reads the text embeddings)"
        case .framesNotAligned(let frames, let temporalPatchSize):
            let lower = frames - 1 - (frames - 1) % temporalPatchSize + 1
            return "\(frames) frames do not fit cvivit.temporal_patch_size \(temporalPatchSize): "
                + "frames - 1 must be a multiple of \(temporalPatchSize) (try \(lower) or \(lower + temporalPatchSize))"
        }
    }

    private func sectionName(_ section: String) -> String {
        section.isEmpty ? "the top level" : "section '\(section)'"
    }

    private func qualified(_ section: String, _ key: String) -> String {
        section.isEmpty ? key : "\(section).\(key)"
    }
}
