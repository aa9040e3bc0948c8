import Foundation
import FuzzSupport
import Testing
@testable import MediaIO

/// Seeded mutation fuzzing of every MediaIO decoder (see `Fuzzer`): each mutant either
/// decodes to a well-formed picture or throws a `MediaError` with a message, and never
/// crashes, hangs or allocates beyond what its own bytes can justify.
@Suite("MediaIO: fuzzing")
struct FuzzDecoderTests {
    /// A decoded picture must be whole: as many pixels as its dimensions say, each in 0...1.
    static func checkWhole(_ picture: VideoFrames, _ name: String) {
        #expect(picture.pixels.count == picture.channels * picture.frames * picture.height * picture.width, "\(name)")
        #expect(picture.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(name) pixel outside 0...1")
    }

    /// Seeds written by our own encoders plus the reference files of Tests/Fixtures/media.
    static func gifSeeds() throws -> [[UInt8]] {
        let colour = try MediaTestSupport.video(channels: 3, frames: 3, height: 6, width: 9) { c, f, y, x in Float((x * y + c + f) % 5) / 4 }
        let grey = try MediaTestSupport.video(channels: 1, frames: 1, height: 4, width: 4) { _, _, y, x in Float(x ^ y) / 7 }
        return [try GIFEncoder.encode(colour), try GIFEncoder.encode(grey, loopCount: 3),
                try MediaTestSupport.fixture("animated.gif"), try MediaTestSupport.fixture("interlaced.gif")]
    }

    @Test func gifDecoder() throws {
        var decoded = 0, refused = 0
        let tried = Fuzzer.run("gif", seeds: try Self.gifSeeds()) { bytes in
            do {
                let animation = try GIFDecoder.decode(bytes)
                Self.checkWhole(animation.video, "GIF")
                #expect(animation.frameDurationsMs.count == animation.video.frames)
                decoded += 1
            } catch let error as MediaError {
                #expect(!error.description.isEmpty)
                refused += 1
            } catch {
                Issue.record("threw \(type(of: error)), not a MediaError: \(error)")
            }
        }
        print("GIF fuzz: \(tried) inputs, \(decoded) decoded, \(refused) refused")
        #expect(decoded >= 4, "the unmutated seeds must decode")
    }

    @Test func pngDecoder() throws {
        let rgb = try MediaTestSupport.video(channels: 3, frames: 1, height: 5, width: 7) { c, _, y, x in Float(x * y + c) / 40 }
        let grey = try MediaTestSupport.video(channels: 1, frames: 1, height: 3, width: 2) { _, _, y, x in Float(x + y) / 3 }
        let seeds = [try PNGEncoder.encode(rgb), try PNGEncoder.encode(grey)]
            + (try ["interlaced.png", "palette4.png", "gray16.png", "gray_alpha.png", "rgba.png", "gray1.png"].map(MediaTestSupport.fixture))
        var decoded = 0
        // PNG checks every chunk's CRC: without refreshing it the fuzzer never gets past the
        // chunk layer, so half of the mutants get every CRC recomputed.
        let tried = Fuzzer.run("png", seeds: seeds, transform: { fuzzer, bytes in
            fuzzer.below(2) == 0 ? bytes : Self.refreshPNGCRCs(bytes)
        }) { bytes in
            do {
                Self.checkWhole(try PNGDecoder.decode(bytes), "PNG")
                decoded += 1
            } catch let error as MediaError {
                #expect(!error.description.isEmpty)
            } catch {
                Issue.record("threw \(type(of: error)), not a MediaError: \(error)")
            }
        }
        print("PNG fuzz: \(tried) inputs, \(decoded) decoded")
        #expect(decoded >= seeds.count)
    }

    @Test func jpegDecoder() throws {
        let seeds = try ["gradient_rgb.jpg", "gradient_gray.jpg"].map(MediaTestSupport.fixture)
        var decoded = 0
        let tried = Fuzzer.run("jpeg", seeds: seeds) { bytes in
            do {
                Self.checkWhole(try JPEGDecoder.decode(bytes), "JPEG")
                decoded += 1
            } catch let error as MediaError {
                #expect(!error.description.isEmpty)
            } catch {
                Issue.record("threw \(type(of: error)), not a MediaError: \(error)")
            }
        }
        print("JPEG fuzz: \(tried) inputs, \(decoded) decoded")
        #expect(decoded >= seeds.count)
    }

    @Test func idxParser() throws {
        // Two small hand-made IDX files: u8 [2, 3] and i32 [2].
        let seeds: [[UInt8]] = [[0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6],
                                [0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff]]
        var parsed = 0
        let tried = Fuzzer.run("idx", seeds: seeds) { bytes in
            do {
                let file = try IDXFile.parse(bytes)
                #expect(file.payload.count == file.count * file.dataType.byteCount)
                parsed += 1
            } catch let error as MediaError {
                #expect(!error.description.isEmpty)
            } catch {
                Issue.record("threw \(type(of: error)), not a MediaError: \(error)")
            }
        }
        print("IDX fuzz: \(tried) inputs, \(parsed) parsed")
        #expect(parsed >= seeds.count)
    }

    /// Regression (found writing this fuzzer): a 26-byte GIF declaring a 16384x16384 screen with a
    /// background colour made the decoder allocate and paint 805 MB (tens of seconds in a debug
    /// build) before it noticed the file ends. Now it is refused at once.
    @Test func hugeScreenWithoutImageIsRefusedAtOnce() throws {
        var bytes = Array("GIF89a".utf8)
        bytes += [0x00, 0x40, 0x00, 0x40, 0x80, 0x01, 0x00] // 16384x16384, 2-colour table, background 1
        bytes += [0, 0, 0, 255, 255, 255]
        bytes += [0x2c, 0, 0, 0, 0, 0x01, 0, 0x01, 0, 0x00, 0x02] // a 1x1 image, its data missing
        let start = Date()
        #expect(throws: MediaError.self) { try GIFDecoder.decode(bytes) }
        #expect(Date().timeIntervalSince(start) < 1, "refusing a 26-byte file took \(Date().timeIntervalSince(start)) s")
    }

    /// Regression (found writing this fuzzer): an image descriptor claiming 16384x16384 pixels over a
    /// 3-byte LZW stream made the decoder allocate its 268 MB of indices first. The stream
    /// cannot spell that many pixels (at most 4096 a code), so it is refused before.
    @Test func lzwStreamTooShortForItsPixelsIsRefusedFirst() throws {
        #expect(throws: MediaError.truncated(format: "GIF", reason: "3 bytes of image data cannot hold 268435456 pixels")) {
            try GIFLZW.decode([0x04, 0x00, 0x01], minimumCodeSize: 2, pixelCount: 1 << 28)
        }
        // The bound is loose enough for real streams: a flat 64x64 picture in a few bytes decodes.
        let flat = [UInt8](repeating: 1, count: 4096)
        let stream = GIFLZW.encode(flat, minimumCodeSize: 2)
        #expect(try GIFLZW.decode(stream, minimumCodeSize: 2, pixelCount: 4096) == flat)
    }

    /// `bytes` with each whole chunk's CRC set to match its type and data (the signature and
    /// any bytes after the last whole chunk are kept as they are).
    static func refreshPNGCRCs(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        var at = 8
        while at + 12 <= out.count {
            let length = Int(out[at]) << 24 | Int(out[at + 1]) << 16 | Int(out[at + 2]) << 8 | Int(out[at + 3])
            guard length <= out.count - at - 12 else { break }
            let crc = Zlib.crc32(out[(at + 4)..<(at + 8 + length)])
            for k in 0..<4 { out[at + 8 + length + k] = UInt8(truncatingIfNeeded: crc >> UInt32(24 - 8 * k)) }
            at += 12 + length
        }
        return out
    }
}
