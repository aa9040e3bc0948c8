/// Why a picture or video could not be read or written. Each message names the format (and
/// the file, where there is one), says what is wrong and what to change.
public enum MediaError: Error, Equatable, CustomStringConvertible {
    /// A `VideoFrames` value is inconsistent (pixel count, channel count, empty extent).
    case invalidVideo(reason: String)
    /// An argument the caller chose is out of range (frame duration, grid shape, quality).
    case invalidArgument(reason: String)
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)
    /// The bytes do not start with the format's signature.
    case notFormat(format: String, reason: String)
    /// The data ends before the structure it announces is complete.
    case truncated(format: String, reason: String)
    /// The data has the right signature but a field or stream is damaged.
    case corrupt(format: String, reason: String)
    /// A valid file uses a feature this reader does not implement.
    case unsupported(format: String, reason: String)
    /// The image or video is larger than the reader accepts (a damaged size field usually).
    case tooLarge(format: String, width: Int, height: Int, frames: Int, limit: Int)
    /// `ffmpeg` or `ffprobe` was not found.
    case toolMissing(tool: String)
    /// `ffmpeg` or `ffprobe` ran and failed.
    case toolFailed(tool: String, status: Int32, message: String)

    public var description: String {
        switch self {
        case .invalidVideo(let reason):
            return "invalid video frames: \(reason)"
        case .invalidArgument(let reason):
            return "invalid argument: \(reason)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unwritable(let path, let reason):
            return "cannot write \(path): \(reason); check that the directory exists and is writable"
        case .notFormat(let format, let reason):
            return "not a \(format) file: \(reason); check the file name and that the file was saved as \(format)"
        case .truncated(let format, let reason):
            return "\(format) data is cut short: \(reason); the file is incomplete, save or download it again"
        case .corrupt(let format, let reason):
            return "\(format) data is damaged: \(reason); save or download the file again"
        case .unsupported(let format, let reason):
            return "\(format) feature not supported: \(reason); convert the file (e.g. with ffmpeg) to a plainer form"
        case .tooLarge(let format, let width, let height, let frames, let limit):
            return "\(format) announces \(frames) frame(s) of \(width)x\(height) pixels, above the limit of \(limit) "
                + "pixels in all; the size fields are damaged or the file is too large for this reader"
        case .toolMissing(let tool):
            return "\(tool) was not found on PATH; install it with `apt-get install ffmpeg` "
                + "(it provides ffmpeg and ffprobe) or pass its path explicitly"
        case .toolFailed(let tool, let status, let message):
            let detail = message.isEmpty ? "no message" : message
            return "\(tool) failed with exit status \(status): \(detail)"
        }
    }
}
