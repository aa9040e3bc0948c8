import MediaIO

/// Why a dataset could not be opened or an example not loaded. Each message names the folder,
/// file or manifest line and says what to change.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// The folder does not exist or is not a directory.
    case missingFolder(path: String)
    /// The folder holds no file with one of the extensions the dataset reads.
    case emptyFolder(path: String, extensions: [String])
    /// A manifest line is not valid (not JSON, no `path`, an unreadable extension).
    case badManifest(path: String, line: Int, reason: String)
    /// A file could not be decoded; `reason` is the decoder's message.
    case unreadableFile(path: String, reason: String)
    /// The Fashion-MNIST files are missing or damaged.
    case fashionMNISTUnavailable(directory: String, reason: String)
    /// An option is out of range.
    case invalidOption(reason: String)
    /// A resumed data order does not fit this loader.
    case orderMismatch(reason: String)
    /// An example's extent differs from the batch's first example.
    case shapeMismatch(index: Int, reason: String)

    public var description: String {
        switch self {
        case .missingFolder(let path):
            return "dataset folder \(path) does not exist or is not a directory; pass an existing folder, a .jsonl manifest, "
                + "\"fashion-mnist\" or \"fashion-mnist-video\""
        case .emptyFolder(let path, let extensions):
            return "dataset folder \(path) holds no file ending in \(extensions.map { "." + $0 }.joined(separator: ", ")) "
                + "(subfolders included); add files or point at another folder"
                + (extensions.contains("gif") ? "" : " (videos are read only when a frame count is given)")
        case .badManifest(let path, let line, let reason):
            return "manifest \(path), line \(line): \(reason); each line must be a JSON object "
                + "{\"path\": \"file relative to the manifest\", \"caption\": \"text\"}"
        case .unreadableFile(let path, let reason):
            return "cannot load dataset file \(path): \(reason)"
        case .fashionMNISTUnavailable(let directory, let reason):
            return "Fashion-MNIST in \(directory): \(reason); install it with `apt-get install dataset-fashion-mnist` "
                + "or pass the folder holding the IDX files"
        case .invalidOption(let reason):
            return "invalid dataset option: \(reason)"
        case .orderMismatch(let reason):
            return "cannot resume the data order: \(reason)"
        case .shapeMismatch(let index, let reason):
            return "example \(index) does not fit the batch: \(reason); every example must have the same extent"
        }
    }
}
