import Foundation
import GraphRuntime
import MediaIO

/// Priming frames read from a picture or video file, shaped for `PhenakiSampler.sample(primeVideo:)`.
public struct PrimingMedia {
    /// The extensions read: GIF, PNG and JPEG here, MP4 through ffmpeg.
    public static let extensions = ["gif", "mp4", "png", "jpg", "jpeg"]

    /// f32 [1, channels, used, H, W]: the last `used` frames of the file.
    public var video: HostTensor
    /// Frames in the file.
    public var framesRead: Int
    /// Frames kept: the largest count of the form 1 + k·temporal_patch_size that the file has,
    /// taken from its end (the frames the new ones continue).
    public var framesUsed: Int { video.shape[2] }

    /// Reads `path` for a model of `config`: the frames must be the model's size (they are not
    /// resized); grey frames are repeated into RGB and RGB frames averaged to grey (ITU-R
    /// BT.601 luma) when the model's channel count differs.
    ///
    /// - Throws: `GenerationError.unknownMediaFormat`, `.primeFrameSize`, `MediaError`.
    public init(path: String, config: CViViTConfig) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        let frames: MediaIO.VideoFrames
        switch ext {
        case "gif": frames = try GIFDecoder.read(path: path).video
        case "png": frames = try PNGDecoder.read(path: path)
        case "jpg", "jpeg": frames = try JPEGDecoder.read(path: path)
        case "mp4": frames = try FFmpegTool.locate().readVideo(path: path).video
        default: throw GenerationError.unknownMediaFormat(path: path, valid: Self.extensions)
        }
        let (height, width) = (config.imageSize.height, config.imageSize.width)
        guard frames.height == height, frames.width == width else {
            throw GenerationError.primeFrameSize(path: path, height: frames.height, width: frames.width,
                                                 expectedHeight: height, expectedWidth: width)
        }
        framesRead = frames.frames
        let used = 1 + (frames.frames - 1) / config.temporalPatchSize * config.temporalPatchSize
        video = Self.tensor(frames, from: frames.frames - used, channels: config.channels)
    }

    /// Frames `start...` of `frames` as f32 [1, channels, f, H, W], converting the channel count.
    static func tensor(_ frames: MediaIO.VideoFrames, from start: Int, channels: Int) -> HostTensor {
        let (plane, count) = (frames.height * frames.width, frames.frames - start)
        var scalars = [Double](repeating: 0, count: channels * count * plane)
        frames.pixels.withUnsafeBufferPointer { source in
            scalars.withUnsafeMutableBufferPointer { out in
                for c in 0..<channels {
                    for f in 0..<count {
                        let target = (c * count + f) * plane
                        // Offsets of the source channels this output channel is made of.
                        let sourceFrame = start + f
                        if frames.channels == channels || frames.channels == 1 {
                            let from = ((frames.channels == 1 ? 0 : c) * frames.frames + sourceFrame) * plane
                            for p in 0..<plane { out[target + p] = Double(source[from + p]) }
                        } else {
                            let (r, g, b) = ((0 * frames.frames + sourceFrame) * plane, (1 * frames.frames + sourceFrame) * plane,
                                             (2 * frames.frames + sourceFrame) * plane)
                            for p in 0..<plane {
                                out[target + p] = Double(0.299 * source[r + p] + 0.587 * source[g + p] + 0.114 * source[b + p])
                            }
                        }
                    }
                }
            }
        }
        return HostTensor(shape: [1, channels, count, frames.height, frames.width], dtype: .float32, scalars: scalars)
    }
}
