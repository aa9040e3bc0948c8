import Testing
@testable import MediaIO

/// PNG: exact 8-bit round trips, known bytes, Pillow-written files of every colour type,
/// a hand-written Adam7 file, and grids.
@Suite("MediaIO: PNG")
struct PNGTests {
    /// 1x1 red, 8-bit RGB: IHDR CRC 907753DE and IEND CRC AE426082 are the values every PNG
    /// of this header carries; the IDAT is Python's zlib of filter 0 + FF 00 00.
    static let redPixel = MediaTestSupport.hex("""
        89504e470d0a1a0a 0000000d49484452 00000001 00000001 0802000000 907753de
        0000000c49444154 789c63f8cfc0000003010100 c9fe92ef 0000000049454e44 ae426082
        """)

    @Test func decodesKnownRedPixel() throws {
        let image = try PNGDecoder.decode(Self.redPixel)
        #expect(image.channels == 3 && image.frames == 1 && image.height == 1 && image.width == 1)
        #expect(image.pixels == [1, 0, 0])
    }

    /// The encoder's header and trailer chunks equal the known bytes (its IDAT may compress
    /// differently, which the decoder test of the round trip covers).
    @Test func encodesKnownHeaderAndTrailer() throws {
        let image = try VideoFrames(channels: 3, frames: 1, height: 1, width: 1, pixels: [1, 0, 0])
        let bytes = try PNGEncoder.encode(image)
        #expect(Array(bytes.prefix(33)) == Array(Self.redPixel.prefix(33)))
        #expect(Array(bytes.suffix(12)) == Array(Self.redPixel.suffix(12)))
        #expect(try PNGDecoder.decode(bytes) == image)
    }

    /// 8-bit values survive exactly, grey and RGB, odd sizes, every filter type in play.
    @Test(arguments: [1, 3])
    func roundTripsExactly(channels: Int) throws {
        let video = try MediaTestSupport.video(channels: channels, frames: 2, height: 13, width: 17) { c, f, y, x in
            Float((x * x * 7 + y * 31 + c * 101 + f * 53) % 256) / 255
        }
        for frame in 0..<2 {
            let image = try PNGDecoder.decode(PNGEncoder.encode(video, frame: frame))
            #expect(image.channels == channels && image.height == 13 && image.width == 17)
            for c in 0..<channels {
                for y in 0..<13 {
                    for x in 0..<17 where MediaTestSupport.at(image, c, 0, y, x) != MediaTestSupport.at(video, c, frame, y, x) {
                        Issue.record("pixel (\(c), \(y), \(x)) of frame \(frame) differs")
                    }
                }
            }
        }
    }

    /// Files written by Pillow: 16-bit grey, 1-bit grey, 4-bit palette, RGBA and grey + alpha
    /// (alpha dropped), each against the formula that made it.
    @Test func decodesPillowFiles() throws {
        let gray16 = try PNGDecoder.decode(MediaTestSupport.fixture("gray16.png"))
        #expect(gray16.channels == 1 && gray16.height == 3 && gray16.width == 5)
        for y in 0..<3 {
            for x in 0..<5 {
                let value = 4099 * (x + 5 * y) + 1
                #expect(MediaTestSupport.at(gray16, 0, 0, y, x) == Float((value * 255 + 32767) / 65535) / 255)
            }
        }
        let gray1 = try PNGDecoder.decode(MediaTestSupport.fixture("gray1.png"))
        #expect(gray1.channels == 1 && gray1.height == 2 && gray1.width == 9)
        for y in 0..<2 {
            for x in 0..<9 { #expect(MediaTestSupport.at(gray1, 0, 0, y, x) == Float((x + y) % 2)) }
        }
        let palette = try PNGDecoder.decode(MediaTestSupport.fixture("palette4.png"))
        #expect(palette.channels == 3 && palette.height == 2 && palette.width == 6)
        for y in 0..<2 {
            for x in 0..<6 {
                let colour = GIFTests.palette[(x + 3 * y) % 10]
                for c in 0..<3 { #expect(MediaTestSupport.at(palette, c, 0, y, x) == Float(colour[c]) / 255) }
            }
        }
        let rgba = try PNGDecoder.decode(MediaTestSupport.fixture("rgba.png"))
        #expect(rgba.channels == 3 && rgba.height == 3 && rgba.width == 4)
        for y in 0..<3 {
            for x in 0..<4 {
                let expected = [60 * x, 80 * y, 7]
                for c in 0..<3 { #expect(MediaTestSupport.at(rgba, c, 0, y, x) == Float(expected[c]) / 255) }
            }
        }
        let greyAlpha = try PNGDecoder.decode(MediaTestSupport.fixture("gray_alpha.png"))
        #expect(greyAlpha.channels == 1 && greyAlpha.height == 2 && greyAlpha.width == 3)
        for y in 0..<2 {
            for x in 0..<3 { #expect(MediaTestSupport.at(greyAlpha, 0, 0, y, x) == Float(40 * x + 100 * y) / 255) }
        }
    }

    /// Adam7: seven passes scattered back to their pixels (10x9 leaves some passes short).
    @Test func decodesInterlaced() throws {
        let image = try PNGDecoder.decode(MediaTestSupport.fixture("interlaced.png"))
        #expect(image.channels == 3 && image.height == 9 && image.width == 10)
        var mismatches = 0
        for y in 0..<9 {
            for x in 0..<10 {
                let expected = [25 * x, 28 * y, (x * y) % 256]
                for c in 0..<3 where MediaTestSupport.at(image, c, 0, y, x) != Float(expected[c]) / 255 { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    /// A grid of two 2-frame videos, one per row, with padding; grey promoted to RGB.
    @Test func composesGrid() throws {
        let grey = try MediaTestSupport.video(channels: 1, frames: 2, height: 3, width: 4) { _, f, y, x in Float(f * 12 + y * 4 + x) / 100 }
        let colour = try MediaTestSupport.video(channels: 3, frames: 2, height: 3, width: 4) { c, f, _, _ in Float(c + 3 * f) / 10 }
        let grid = try PNGGrid.compose([grey, colour], columns: 2, padding: 1, paddingValue: 1)
        #expect(grid.channels == 3 && grid.height == 2 * 3 + 3 && grid.width == 2 * 4 + 3)
        #expect(MediaTestSupport.at(grid, 1, 0, 0, 0) == 1)
        #expect(MediaTestSupport.at(grid, 2, 0, 1 + 2, 1 + 3) == Float(2 * 4 + 3) / 100)
        #expect(MediaTestSupport.at(grid, 2, 0, 1, 1 + 4 + 1 + 1) == Float(12 + 1) / 100)
        #expect(MediaTestSupport.at(grid, 1, 0, 1 + 3 + 1, 1 + 4 + 1) == Float(1 + 3) / 10)
        let directory = try MediaTestSupport.temporaryDirectory()
        try PNGGrid.write([grey, colour], columns: 2, padding: 1, to: directory + "/grid.png")
        let read = try PNGDecoder.read(path: directory + "/grid.png")
        #expect(MediaTestSupport.maxLevelError(read, grid) <= 0.5 + 1e-3)
        #expect(throws: MediaError.self) { try PNGGrid.compose([], columns: 1) }
        #expect(throws: MediaError.self) { try PNGGrid.compose([grey], columns: 0) }
    }
}
