import Testing
@testable import MediaIO

/// Every decoder answers cut-short and damaged input with a typed `MediaError` (never a
/// crash, a hang, or a partial picture): every prefix of a valid file is refused, and
/// single-byte damage either decodes to a whole picture or is refused.
@Suite("MediaIO: damaged input")
struct CorruptInputTests {
    /// One decoder and a valid file for it.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var bytes: @Sendable () throws -> [UInt8]
        var decode: @Sendable ([UInt8]) throws(MediaError) -> VideoFrames
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "GIF (encoder)", bytes: {
            try GIFEncoder.encode(MediaTestSupport.video(channels: 3, frames: 2, height: 5, width: 7) { c, f, y, x in Float((x + y + c + f) % 4) / 3 })
        }, decode: { (bytes) throws(MediaError) in try GIFDecoder.decode(bytes).video }),
        Case(name: "GIF (Pillow, animated)", bytes: { try MediaTestSupport.fixture("animated.gif") },
             decode: { (bytes) throws(MediaError) in try GIFDecoder.decode(bytes).video }),
        Case(name: "PNG (encoder)", bytes: {
            try PNGEncoder.encode(MediaTestSupport.video(channels: 3, frames: 1, height: 5, width: 7) { c, _, y, x in Float(x * y + c) / 40 })
        }, decode: { (bytes) throws(MediaError) in try PNGDecoder.decode(bytes) }),
        Case(name: "PNG (Adam7)", bytes: { try MediaTestSupport.fixture("interlaced.png") },
             decode: { (bytes) throws(MediaError) in try PNGDecoder.decode(bytes) }),
        Case(name: "PNG (palette)", bytes: { try MediaTestSupport.fixture("palette4.png") },
             decode: { (bytes) throws(MediaError) in try PNGDecoder.decode(bytes) }),
        Case(name: "JPEG", bytes: { try MediaTestSupport.fixture("gradient_rgb.jpg") },
             decode: { (bytes) throws(MediaError) in try JPEGDecoder.decode(bytes) }),
    ]

    @Test(arguments: cases)
    func refusesEveryPrefix(_ testCase: Case) throws {
        let bytes = try testCase.bytes()
        _ = try testCase.decode(bytes)
        for length in 0..<bytes.count {
            do {
                let picture = try testCase.decode(Array(bytes[..<length]))
                Issue.record("\(testCase.name): a prefix of \(length) of \(bytes.count) bytes decoded to \(picture.frames) frame(s)")
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    /// Each byte in turn set to a damaging value: a whole picture of the right size or a
    /// typed error, nothing else.
    @Test(arguments: cases)
    func survivesByteDamage(_ testCase: Case) throws {
        let bytes = try testCase.bytes()
        _ = try testCase.decode(bytes)
        var refused = 0
        for position in 0..<bytes.count {
            for value: UInt8 in [bytes[position] ^ 0x5a, 0xff, 0x00] where value != bytes[position] {
                var damaged = bytes
                damaged[position] = value
                do {
                    let picture = try testCase.decode(damaged)
                    #expect(picture.pixels.count == picture.channels * picture.frames * picture.height * picture.width)
                } catch {
                    refused += 1
                }
            }
        }
        print("\(testCase.name): \(refused) of \(3 * bytes.count) damaged copies refused")
    }

    /// PNG checks every chunk's CRC, so damage anywhere after the signature is refused.
    @Test func pngRefusesAnyDamagedByte() throws {
        let bytes = PNGTests.redPixel
        for position in 0..<bytes.count {
            var damaged = bytes
            damaged[position] ^= 0x10
            #expect(throws: MediaError.self, "byte \(position)") { try PNGDecoder.decode(damaged) }
        }
    }

    /// Messages say what is wrong for representative damage.
    @Test func messagesNameTheProblem() throws {
        var png = PNGTests.redPixel
        png[45] ^= 1
        #expect(throws: MediaError.corrupt(format: "PNG", reason: "chunk IDAT fails its CRC-32 check")) { try PNGDecoder.decode(png) }
        #expect(throws: MediaError.notFormat(format: "GIF", reason: "the data does not start with GIF87a or GIF89a")) {
            try GIFDecoder.decode(PNGTests.redPixel)
        }
        #expect(throws: MediaError.notFormat(format: "JPEG", reason: "the data does not start with the JPEG start-of-image marker FF D8 FF")) {
            try JPEGDecoder.decode([0xff, 0xd8])
        }
        // A GIF whose screen claims 65535x65535 and whose image claims as much.
        let huge = MediaTestSupport.hex("474946383961 FFFF FFFF 80 00 00 FFFFFF 000000 2C 0000 0000 FFFF FFFF 00 02 02 4401 00 3B")
        #expect(throws: MediaError.tooLarge(format: "GIF", width: 65535, height: 65535, frames: 1, limit: VideoFrames.maxPixels)) {
            try GIFDecoder.decode(huge)
        }
        #expect(throws: MediaError.unreadable(path: "/nonexistent-mediaio/x.png", reason: "No such file or directory")) {
            try PNGDecoder.read(path: "/nonexistent-mediaio/x.png")
        }
    }
}
