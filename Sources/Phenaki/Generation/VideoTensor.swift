import GraphRuntime
import MediaIO

/// Moves videos between the sampler's tensors, f32 [b, c, frames, H, W], and MediaIO's
/// `VideoFrames` ([c, frames, H, W] of one video): the same layout per batch row, so each
/// conversion is one contiguous copy.
public enum VideoTensor {
    /// Batch row `row` of `video` [b, c, f, H, W] as frames, values clamped to [0, 1]
    /// (NaN to 0), as every writer stores them.
    /// - Throws: `MediaError.invalidVideo` for a tensor that is not a grey or RGB video.
    public static func frames(of video: HostTensor, row: Int = 0) throws -> MediaIO.VideoFrames {
        guard video.shape.count == 5, row >= 0, row < video.shape[0] else {
            throw MediaError.invalidVideo(reason: "expected a video [batch, channels, frames, height, width] with row \(row), got \(video.shape)")
        }
        let size = video.shape[1...].reduce(1, *)
        var pixels = [Float](repeating: 0, count: size)
        video.scalars.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { out in
                let base = row * size
                for i in 0..<size {
                    let value = Float(source[base + i])
                    out[i] = value > 0 ? min(value, 1) : 0
                }
            }
        }
        return try MediaIO.VideoFrames(channels: video.shape[1], frames: video.shape[2], height: video.shape[3],
                                       width: video.shape[4], pixels: pixels)
    }

    /// `frames` as a batch of one, f32 [1, c, f, H, W].
    public static func tensor(of frames: MediaIO.VideoFrames) -> HostTensor {
        var scalars = [Double](repeating: 0, count: frames.pixels.count)
        frames.pixels.withUnsafeBufferPointer { source in
            scalars.withUnsafeMutableBufferPointer { out in
                for i in 0..<source.count { out[i] = Double(source[i]) }
            }
        }
        return HostTensor(shape: [1, frames.channels, frames.frames, frames.height, frames.width], dtype: .float32,
                          scalars: scalars)
    }
}
