/// A video (or a still image, as one frame) in memory: float32 values in [0, 1] laid out as
/// `[channels, frames, height, width]`, the layout phenaki-pytorch uses for one video.
///
/// Channels are 1 (grey) or 3 (RGB). Writers clamp values to [0, 1] (NaN counts as 0)
/// before rounding to 8 bits, so a model's slightly out-of-range output still saves.
public struct VideoFrames: Equatable, Sendable {
    /// 1 (grey) or 3 (RGB).
    public let channels: Int
    /// Number of frames (1 for a still image).
    public let frames: Int
    /// Rows per frame.
    public let height: Int
    /// Columns per frame.
    public let width: Int
    /// `channels * frames * height * width` values, channel-major.
    public var pixels: [Float]

    /// Wraps `pixels` after checking that the extents are positive, the channel count is 1 or
    /// 3 and the value count matches.
    public init(channels: Int, frames: Int, height: Int, width: Int, pixels: [Float]) throws(MediaError) {
        guard channels == 1 || channels == 3 else {
            throw .invalidVideo(reason: "\(channels) channels; use 1 (grey) or 3 (RGB)")
        }
        guard frames > 0, height > 0, width > 0 else {
            throw .invalidVideo(reason: "extent frames \(frames) x height \(height) x width \(width); all must be at least 1")
        }
        let (count, overflow) = channels.multipliedReportingOverflow(by: frames * height * width)
        guard !overflow, pixels.count == count else {
            throw .invalidVideo(reason: "\(pixels.count) values for \(channels)x\(frames)x\(height)x\(width), which needs \(count)")
        }
        self.channels = channels
        self.frames = frames
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// Builds frames from 8-bit interleaved pictures (`height * width * channels` bytes each,
    /// rows top to bottom), mapping 0...255 to 0...1.
    init(channels: Int, height: Int, width: Int, interleavedFrames: [[UInt8]]) throws(MediaError) {
        let plane = height * width
        var values = [Float](repeating: 0, count: channels * interleavedFrames.count * plane)
        values.withUnsafeMutableBufferPointer { out in
            for (f, bytes) in interleavedFrames.enumerated() {
                precondition(bytes.count == plane * channels, "interleaved frame of the wrong size")
                bytes.withUnsafeBufferPointer { source in
                    for c in 0..<channels {
                        let base = (c * interleavedFrames.count + f) * plane
                        for p in 0..<plane { out[base + p] = Float(source[p * channels + c]) / 255 }
                    }
                }
            }
        }
        try self.init(channels: channels, frames: interleavedFrames.count, height: height, width: width, pixels: values)
    }

    /// Frame `index` as 8-bit interleaved bytes (`height * width * channels`, rows top to
    /// bottom), each value clamped to [0, 1] and rounded to the nearest of 0...255.
    public func interleavedBytes(frame index: Int) -> [UInt8] {
        precondition(index >= 0 && index < frames, "frame \(index) outside 0..<\(frames)")
        let plane = height * width
        var bytes = [UInt8](repeating: 0, count: plane * channels)
        bytes.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { source in
                for c in 0..<channels {
                    let base = (c * frames + index) * plane
                    for p in 0..<plane { out[p * channels + c] = Self.byte(source[base + p]) }
                }
            }
        }
        return bytes
    }

    /// Frame `index` as 8-bit RGB (grey repeated in the three channels).
    func rgbBytes(frame index: Int) -> [UInt8] {
        let bytes = interleavedBytes(frame: index)
        if channels == 3 { return bytes }
        var rgb = [UInt8](repeating: 0, count: bytes.count * 3)
        for p in 0..<bytes.count {
            rgb[3 * p] = bytes[p]
            rgb[3 * p + 1] = bytes[p]
            rgb[3 * p + 2] = bytes[p]
        }
        return rgb
    }

    /// Clamps to [0, 1] (NaN to 0) and rounds to 8 bits.
    @inline(__always)
    static func byte(_ value: Float) -> UInt8 {
        let clamped = value > 0 ? min(value, 1) : 0
        return UInt8((clamped * 255).rounded())
    }

    /// The pixel count above which readers refuse a picture or video (2^28, 1 GiB of RGBA
    /// bytes): a larger size field means a damaged or hostile file, and honouring it would
    /// allocate without bound.
    public static let maxPixels = 1 << 28
}
