/// Writes animated GIF89a files: a palette of its own per frame (exact when the frame has at
/// most 256 colours, median cut otherwise), LZW with clear codes, the NETSCAPE2.0 loop
/// extension and a graphic control extension per frame carrying its duration.
public enum GIFEncoder {
    /// The frame duration of phenaki-pytorch's `video_tensor_to_gif` (120 ms).
    public static let defaultFrameDurationMs = 120

    /// The GIF bytes of `video` (grey or RGB; values clamped to [0, 1]).
    ///
    /// - Parameters:
    ///   - frameDurationMs: how long each frame shows, 10...655_350 ms; GIF stores
    ///     hundredths of a second, so it is rounded to the nearest 10 ms.
    ///   - loopCount: how many times to play; 0 loops forever (as phenaki-pytorch writes).
    public static func encode(
        _ video: VideoFrames, frameDurationMs: Int = defaultFrameDurationMs, loopCount: Int = 0
    ) throws(MediaError) -> [UInt8] {
        guard video.width <= 0xffff, video.height <= 0xffff else {
            throw .invalidArgument(reason: "GIF frames are at most 65535x65535 pixels, got \(video.width)x\(video.height); resize the video")
        }
        let centiseconds = (frameDurationMs + 5) / 10
        guard frameDurationMs >= 10, centiseconds <= 0xffff else {
            throw .invalidArgument(reason: "GIF frame duration \(frameDurationMs) ms is outside 10...655350 ms")
        }
        guard (0...0xffff).contains(loopCount) else {
            throw .invalidArgument(reason: "GIF loop count \(loopCount) is outside 0...65535 (0 loops forever)")
        }
        var out: [UInt8] = Array("GIF89a".utf8)
        // Logical screen: no global colour table, every frame brings its own.
        out.appendU16LE(video.width)
        out.appendU16LE(video.height)
        out += [0x00, 0x00, 0x00]
        // NETSCAPE2.0 application extension: sub-block id 1 holds the loop count.
        out += [0x21, 0xff, 0x0b] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01]
        out.appendU16LE(loopCount)
        out.append(0x00)
        for frame in 0..<video.frames {
            let quantized = PaletteQuantizer.quantize(rgb: video.rgbBytes(frame: frame))
            // Graphic control extension: disposal 1 (leave in place), no transparency.
            out += [0x21, 0xf9, 0x04, 0x04]
            out.appendU16LE(centiseconds)
            out += [0x00, 0x00]
            // Image descriptor covering the screen, with a local colour table of 2^bits entries.
            var bits = 1
            while 1 << bits < quantized.count { bits += 1 }
            out.append(0x2c)
            out.appendU16LE(0)
            out.appendU16LE(0)
            out.appendU16LE(video.width)
            out.appendU16LE(video.height)
            out.append(0x80 | UInt8(bits - 1))
            out += quantized.palette
            out += [UInt8](repeating: 0, count: 3 * (1 << bits) - quantized.palette.count)
            let minimumCodeSize = max(2, bits)
            out.append(UInt8(minimumCodeSize))
            let stream = GIFLZW.encode(quantized.indices, minimumCodeSize: minimumCodeSize)
            var start = 0
            while start < stream.count {
                let length = min(255, stream.count - start)
                out.append(UInt8(length))
                out += stream[start..<start + length]
                start += length
            }
            out.append(0x00)
        }
        out.append(0x3b)
        return out
    }

    /// Writes `video` as a GIF at `path` atomically (a temporary file beside it, then a rename).
    public static func write(
        _ video: VideoFrames, to path: String, frameDurationMs: Int = defaultFrameDurationMs, loopCount: Int = 0
    ) throws(MediaError) {
        try MediaFile.writeAtomically(encode(video, frameDurationMs: frameDurationMs, loopCount: loopCount), to: path)
    }
}
