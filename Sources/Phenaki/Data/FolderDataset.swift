import Foundation
import MediaIO

/// Files on disk with optional captions: a folder searched recursively (a `.txt` with the same
/// name beside a file is its caption), or the entries of a JSON Lines manifest.
///
/// With `options.frames` nil it reads still images (png, jpg, jpeg); otherwise videos (gif,
/// mp4), each forced to `frames` frames. Files are listed once, in sorted path order, so the
/// example indices do not depend on the file system's listing order.
struct FolderDataset: EpochExampleSource {
    /// One file and its caption.
    struct Entry: Sendable, Equatable {
        var path: String
        var caption: String?
    }

    static let imageExtensions = ["png", "jpg", "jpeg"]
    static let videoExtensions = ["gif", "mp4"]

    let entries: [Entry]
    let options: DatasetOptions
    /// ffmpeg, found when the dataset holds MP4 files.
    let ffmpeg: FFmpegTool?

    var count: Int { entries.count }

    /// Every matching file under `folder`, captioned from `.txt` files beside them.
    init(folder: String, options: DatasetOptions) throws(DatasetError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingFolder(path: folder)
        }
        let extensions = options.frames == nil ? Self.imageExtensions : Self.videoExtensions
        let root = URL(fileURLWithPath: folder)
        var paths: [String] = []
        if let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker where extensions.contains(url.pathExtension.lowercased()) {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                    paths.append(url.path)
                }
            }
        }
        guard !paths.isEmpty else { throw .emptyFolder(path: folder, extensions: extensions) }
        var entries: [Entry] = []
        for path in paths.sorted() {
            entries.append(Entry(path: path, caption: try Self.sidecarCaption(of: path)))
        }
        try self.init(entries: entries, options: options)
    }

    /// The entries of the JSON Lines manifest at `manifest`.
    init(manifest: String, options: DatasetOptions) throws(DatasetError) {
        let entries = try CaptionManifest.read(path: manifest)
        let extensions = options.frames == nil ? Self.imageExtensions : Self.videoExtensions
        for (line, entry) in entries.enumerated() {
            let ext = URL(fileURLWithPath: entry.path).pathExtension.lowercased()
            guard extensions.contains(ext) else {
                let kind = options.frames == nil ? "images (no frame count given)" : "videos (a frame count is given)"
                throw .badManifest(path: manifest, line: line + 1,
                                   reason: "\(entry.path) is not one of \(extensions.joined(separator: ", ")), which \(kind) are read from")
            }
        }
        try self.init(entries: entries, options: options)
    }

    init(entries: [Entry], options: DatasetOptions) throws(DatasetError) {
        self.entries = entries
        self.options = options
        if entries.contains(where: { $0.path.lowercased().hasSuffix(".mp4") }) {
            do {
                ffmpeg = try FFmpegTool.locate()
            } catch {
                throw .unreadableFile(path: entries.first { $0.path.lowercased().hasSuffix(".mp4") }!.path, reason: "\(error)")
            }
        } else {
            ffmpeg = nil
        }
    }

    /// The text of `name.txt` beside `name.ext`, trimmed; nil when there is none.
    static func sidecarCaption(of path: String) throws(DatasetError) -> String? {
        let sidecar = URL(fileURLWithPath: path).deletingPathExtension().appendingPathExtension("txt").path
        guard FileManager.default.fileExists(atPath: sidecar) else { return nil }
        guard let data = FileManager.default.contents(atPath: sidecar) else {
            throw .unreadableFile(path: sidecar, reason: "the caption file cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadableFile(path: sidecar, reason: "the caption is not UTF-8 text")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func example(at index: Int, epoch: Int) throws -> TrainingExample {
        let entry = entries[index]
        var video: VideoFrames
        do {
            video = try decode(entry.path)
        } catch {
            throw DatasetError.unreadableFile(path: entry.path, reason: "\(error)")
        }
        let flip = options.horizontalFlip && DataRandom.flips(seed: options.seed, index: index, epoch: epoch)
        video = FrameResampler.convert(video, channels: options.channels)
        video = FrameResampler.fit(video, to: options.imageSize, flip: flip)
        if let frames = options.frames { video = FrameResampler.castFrames(video, to: frames) }
        return TrainingExample(video: video, caption: entry.caption)
    }

    /// The frames of the file at `path`, chosen by its extension.
    func decode(_ path: String) throws -> VideoFrames {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "png": return try PNGDecoder.read(path: path)
        case "jpg", "jpeg": return try JPEGDecoder.read(path: path)
        case "gif": return try GIFDecoder.read(path: path).video
        default:
            // Only mp4 remains: the listing and the manifest check admit nothing else.
            guard let ffmpeg else { throw MediaError.toolMissing(tool: "ffmpeg") }
            return try ffmpeg.readVideo(path: path).video
        }
    }
}
