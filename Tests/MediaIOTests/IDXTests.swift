import Foundation
import Testing
@testable import MediaIO

/// IDX (the MNIST container): hand-made headers, damaged headers, and the gzip wrapper the
/// datasets ship in (bytes written by Python's gzip module, an independent encoder).
@Suite("MediaIO: IDX")
struct IDXTests {
    /// 0x00 0x00, type 0x08 (unsigned byte), 2 dimensions: 2 x 3, then six values.
    @Test func parsesHandMadeBytes() throws {
        let file = try IDXFile.parse(MediaTestSupport.hex("00000802 00000002 00000003 010203 FAFBFC"))
        #expect(file.dataType == .uint8)
        #expect(file.shape == [2, 3])
        #expect(file.count == 6)
        #expect(try file.uint8Values() == [1, 2, 3, 250, 251, 252])
    }

    /// Multi-byte types keep their big-endian bytes; asking them for bytes is refused.
    @Test func keepsWideTypesAndRefusesThemAsBytes() throws {
        let file = try IDXFile.parse(MediaTestSupport.hex("00000B01 00000002 0102 FFFE"))
        #expect(file.dataType == .int16)
        #expect(file.payload == [1, 2, 0xff, 0xfe])
        #expect(throws: MediaError.self) { try file.uint8Values() }
    }

    @Test func refusesDamagedHeaders() throws {
        // A value short.
        #expect(throws: MediaError.truncated(format: "IDX", reason: "the 2x3 values needs 6 bytes but 5 remain")) {
            try IDXFile.parse(MediaTestSupport.hex("00000802 00000002 00000003 0102030405"))
        }
        // An extent cut short.
        #expect(throws: MediaError.truncated(format: "IDX", reason: "extent 1 needs 4 bytes but 2 remain")) {
            try IDXFile.parse(MediaTestSupport.hex("00000802 00000002 0000"))
        }
        // Not starting with two zero bytes.
        #expect(throws: MediaError.notFormat(format: "IDX", reason: "the magic number does not start with two zero bytes")) {
            try IDXFile.parse(MediaTestSupport.hex("89504E47 0D0A1A0A"))
        }
        // An unknown element type.
        #expect(throws: MediaError.corrupt(format: "IDX", reason: "unknown element type 0x7")) {
            try IDXFile.parse(MediaTestSupport.hex("00000701 00000001 00"))
        }
        // More bytes than the header announces.
        #expect(throws: MediaError.corrupt(format: "IDX", reason: "1 bytes follow the 1 bytes of values the header announces")) {
            try IDXFile.parse(MediaTestSupport.hex("00000801 00000001 0000"))
        }
        // Extents whose product exceeds the limit.
        #expect(throws: MediaError.self) { try IDXFile.parse(MediaTestSupport.hex("00000803 FFFFFFFF FFFFFFFF 00000002")) }
    }

    /// `gzip.compress(idx, mtime=0)` and a gzip member with a file name (FNAME flag), both of
    /// the 1-D byte file [3, 1, 4, 1, 5].
    @Test func readsGzipCompressedFiles() throws {
        let plain = "1f8b08000000000002036360e0606460606065666461640500ed2ddc9b0d000000"
        let named = "1f8b08080000000002ff782e696478006360e0606460606065666461640500ed2ddc9b0d000000"
        let directory = try MediaTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, hex) in [("plain", plain), ("named", named)] {
            let path = directory + "/\(name).idx.gz"
            try Data(MediaTestSupport.hex(hex)).write(to: URL(fileURLWithPath: path))
            let file = try IDXFile.read(path: path)
            #expect(file.shape == [5])
            #expect(try file.uint8Values() == [3, 1, 4, 1, 5])
        }
    }

    /// A flipped bit in the stored CRC-32, a wrong stored length and a cut-short stream throw.
    @Test func refusesDamagedGzip() throws {
        var bytes = MediaTestSupport.hex("1f8b08000000000002036360e0606460606065666461640500ed2ddc9b0d000000")
        var badCRC = bytes
        badCRC[badCRC.count - 8] ^= 1
        #expect(throws: MediaError.self) { try Gzip.inflate(badCRC) }
        var badLength = bytes
        badLength[badLength.count - 4] = 12
        #expect(throws: MediaError.self) { try Gzip.inflate(badLength) }
        bytes.removeLast(12)
        #expect(throws: MediaError.self) { try Gzip.inflate(bytes) }
        let wrongCRCMessage = try? Gzip.inflate(badCRC)
        #expect(wrongCRCMessage == nil)
    }
}
