import Testing
@testable import MediaIO

/// GIF: round trips of the encoder through the decoder (and through ffmpeg, an independent
/// decoder), known bytes, and files written by Pillow (an independent encoder).
@Suite("MediaIO: GIF")
struct GIFTests {
    /// The classic 35-byte GIF87a of one white pixel (a 2-colour global table, LZW codes
    /// clear, 0, end packed in 0x44 0x01).
    @Test func decodesKnownOnePixelBytes() throws {
        let bytes = MediaTestSupport.hex("474946383761 0100 0100 80 00 00 FFFFFF 000000 2C 0000 0000 0100 0100 00 02 02 4401 00 3B")
        let gif = try GIFDecoder.decode(bytes)
        #expect(gif.video.channels == 1 && gif.video.frames == 1 && gif.video.height == 1 && gif.video.width == 1)
        #expect(gif.video.pixels == [1])
        #expect(gif.loopCount == nil)
        #expect(gif.frameDurationsMs == [0])
    }

    /// Few-colour frames keep an exact palette: every pixel comes back to its 8-bit level.
    @Test func roundTripsFewColourFramesExactly() throws {
        let video = try MediaTestSupport.video(channels: 3, frames: 5, height: 12, width: 20) { c, f, y, x in
            Float((x / 4 + y / 3 + f + 7 * c) % 6) / 5
        }
        let bytes = try GIFEncoder.encode(video, frameDurationMs: 80, loopCount: 0)
        let gif = try GIFDecoder.decode(bytes)
        #expect(gif.video.channels == 3 && gif.video.frames == 5 && gif.video.height == 12 && gif.video.width == 20)
        #expect(MediaTestSupport.maxLevelError(gif.video, video) <= 0.5 + 1e-3)
        #expect(gif.frameDurationsMs == [Int](repeating: 80, count: 5))
        #expect(gif.loopCount == 0)
        // NETSCAPE2.0 block with loop 0, and a graphic control extension with 8 centiseconds.
        let loopBlock: [UInt8] = [0x21, 0xff, 0x0b] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00]
        #expect(contains(bytes, loopBlock))
        #expect(contains(bytes, [0x21, 0xf9, 0x04, 0x04, 0x08, 0x00, 0x00, 0x00]))
    }

    /// Grey video: 256 levels fit a palette, so it comes back exactly, as one channel.
    @Test func roundTripsGreyExactly() throws {
        let video = try MediaTestSupport.video(channels: 1, frames: 3, height: 16, width: 16) { _, f, y, x in
            Float((y * 16 + x + 37 * f) % 256) / 255
        }
        let gif = try GIFDecoder.decode(GIFEncoder.encode(video, frameDurationMs: 120, loopCount: 2))
        #expect(gif.video.channels == 1)
        #expect(MediaTestSupport.maxLevelError(gif.video, video) <= 0.5 + 1e-3)
        #expect(gif.loopCount == 2)
        #expect(gif.frameDurationsMs == [120, 120, 120])
    }

    /// A smooth frame of 4096 colours goes through median cut: the error of each pixel is
    /// bounded by its box (here a 16x16x16 cube split finer, so at most 16 levels per
    /// channel) and small on average. Values outside [0, 1] are clamped.
    @Test func medianCutKeepsErrorWithinBoxBound() throws {
        let video = try MediaTestSupport.video(channels: 3, frames: 2, height: 64, width: 64) { c, f, y, x in
            let values: [Float] = [Float(x) / 63, Float(y) / 63, Float((x + y + 16 * f) % 64) / 63]
            return values[c] * 1.2 - 0.1
        }
        let clamped = try VideoFrames(channels: 3, frames: 2, height: 64, width: 64, pixels: video.pixels.map { min(max($0, 0), 1) })
        let gif = try GIFDecoder.decode(GIFEncoder.encode(video))
        #expect(gif.video.frames == 2)
        var total: Float = 0
        for i in 0..<clamped.pixels.count { total += abs(gif.video.pixels[i] - clamped.pixels[i]) * 255 }
        let mean = total / Float(clamped.pixels.count)
        let worst = MediaTestSupport.maxLevelError(gif.video, clamped)
        #expect(worst <= 32, "max error \(worst) levels")
        #expect(mean <= 6, "mean error \(mean) levels")
        print("GIF median cut: max \(worst), mean \(mean) levels")
    }

    /// The table restarts (clear code) when it fills: a long noisy frame exercises 12-bit
    /// codes and several clears, and must come back exactly (few colours).
    @Test func lzwSurvivesTableResets() throws {
        var state: UInt32 = 12345
        let indices: [UInt8] = (0..<40_000).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8((state >> 16) % 13)
        }
        let stream = GIFLZW.encode(indices, minimumCodeSize: 4)
        #expect(try GIFLZW.decode(stream, minimumCodeSize: 4, pixelCount: indices.count) == indices)
        let ones = [UInt8](repeating: 1, count: 100_000)
        #expect(try GIFLZW.decode(GIFLZW.encode(ones, minimumCodeSize: 2), minimumCodeSize: 2, pixelCount: ones.count) == ones)
    }

    /// Pillow's animated GIF: global palette for frame 0, local for frame 1, delays, loop.
    @Test func decodesPillowAnimation() throws {
        let gif = try GIFDecoder.decode(MediaTestSupport.fixture("animated.gif"))
        #expect(gif.video.channels == 3 && gif.video.frames == 2 && gif.video.height == 16 && gif.video.width == 16)
        #expect(gif.frameDurationsMs == [50, 70])
        #expect(gif.loopCount == 3)
        var mismatches = 0
        for f in 0..<2 {
            for y in 0..<16 {
                for x in 0..<16 {
                    let colour = Self.palette[(x / 2 + y + 3 * f) % 4 + f]
                    for c in 0..<3 where MediaTestSupport.at(gif.video, c, f, y, x) != Float(colour[c]) / 255 { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// Pillow's interlaced GIF: rows come back in screen order.
    @Test func decodesInterlacedImage() throws {
        let gif = try GIFDecoder.decode(MediaTestSupport.fixture("interlaced.gif"))
        #expect(gif.video.frames == 1 && gif.video.height == 16 && gif.video.width == 16)
        var mismatches = 0
        for y in 0..<16 {
            for x in 0..<16 {
                let colour = Self.palette[(x + 2 * y) % 10]
                for c in 0..<3 where MediaTestSupport.at(gif.video, c, 0, y, x) != Float(colour[c]) / 255 { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    /// Frame duration and loop count outside what GIF stores are refused with a reason.
    @Test func refusesBadArguments() throws {
        let video = try MediaTestSupport.video(channels: 1, frames: 1, height: 2, width: 2) { _, _, _, _ in 0.5 }
        #expect(throws: MediaError.self) { try GIFEncoder.encode(video, frameDurationMs: 5) }
        #expect(throws: MediaError.self) { try GIFEncoder.encode(video, frameDurationMs: 1_000_000) }
        #expect(throws: MediaError.self) { try GIFEncoder.encode(video, loopCount: -1) }
    }

    /// The colours of make_media_fixtures.py's PALETTE.
    static let palette: [[Int]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255],
                                   [255, 0, 255], [10, 20, 30], [200, 100, 50], [90, 90, 90], [255, 255, 255]]

    private func contains(_ bytes: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard bytes.count >= pattern.count else { return false }
        for start in 0...(bytes.count - pattern.count) where bytes[start..<start + pattern.count].elementsEqual(pattern) {
            return true
        }
        return false
    }
}
