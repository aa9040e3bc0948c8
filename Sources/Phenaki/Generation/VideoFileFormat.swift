import Foundation
import GraphRuntime
import MediaIO

/// The file formats a sampled video is written in, chosen by the output path's extension.
public enum VideoFileFormat: String, CaseIterable, Sendable {
    /// Animated GIF, 120 ms a frame, looping (phenaki-pytorch's `video_tensor_to_gif`).
    case gif
    /// H.264 MP4 at 8 frames per second, through ffmpeg.
    case mp4
    /// One PNG holding every frame on a grid, a row per video.
    case png

    /// The extensions accepted, lower case.
    public static var extensions: [String] { allCases.map(\.rawValue) }

    /// The format of `path` by its extension (any letter case).
    /// - Throws: `GenerationError.unknownOutputFormat` listing the valid extensions.
    public init(path: String) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard let format = VideoFileFormat(rawValue: ext) else {
            throw GenerationError.unknownOutputFormat(path: path, valid: Self.extensions)
        }
        self = format
    }

    /// Checks before a long run that the format can be written here (MP4 needs ffmpeg).
    /// - Throws: `MediaError.toolMissing` saying how to install ffmpeg.
    public func checkAvailable() throws {
        if self == .mp4 { _ = try FFmpegTool.locate() }
    }

    /// Writes batch row `row` of `video` f32 [b, c, f, H, W] at `path`, atomically (values
    /// clamped to [0, 1]).
    public func write(_ video: HostTensor, row: Int = 0, to path: String) throws {
        let frames = try VideoTensor.frames(of: video, row: row)
        switch self {
        case .gif: try GIFEncoder.write(frames, to: path)
        case .mp4: try FFmpegTool.locate().writeMP4(frames, framesPerSecond: 8, to: path)
        case .png: try PNGGrid.write([frames], columns: frames.frames, to: path)
        }
    }

    /// `path` with `.scene<index>` before its extension: `out/walk.gif` → `out/walk.scene1.gif`.
    public static func scenePath(_ path: String, scene index: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return stem + ".scene\(index)" + (ext.isEmpty ? "" : "." + ext)
    }

    /// Writes each `(video, path)` in turn; when one fails, the files written before it in this
    /// call are removed again, so a failed request leaves no partial set behind.
    public static func writeAll(_ outputs: [(video: HostTensor, path: String)]) throws {
        var written: [String] = []
        do {
            for output in outputs {
                try VideoFileFormat(path: output.path).write(output.video, to: output.path)
                written.append(output.path)
            }
        } catch {
            for path in written { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }
}
