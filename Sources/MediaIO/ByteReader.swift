/// A cursor over bytes whose every read checks the bounds first and throws
/// `MediaError.truncated` naming the format and the structure being read, so a cut-short
/// file can never make a decoder read past its input.
struct ByteReader {
    let bytes: [UInt8]
    let format: String
    private(set) var offset: Int = 0

    init(_ bytes: [UInt8], format: String) {
        self.bytes = bytes
        self.format = format
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset >= bytes.count }

    mutating func u8(_ what: @autoclosure () -> String) throws(MediaError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(format: format, reason: "the data ends inside \(what())") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16LE(_ what: @autoclosure () -> String) throws(MediaError) -> Int {
        let slice = try take(2, what())
        return Int(slice[slice.startIndex]) | Int(slice[slice.startIndex + 1]) << 8
    }

    mutating func u32BE(_ what: @autoclosure () -> String) throws(MediaError) -> UInt32 {
        let slice = try take(4, what())
        var value: UInt32 = 0
        for byte in slice { value = value << 8 | UInt32(byte) }
        return value
    }

    /// The next `count` bytes.
    mutating func take(_ count: Int, _ what: @autoclosure () -> String) throws(MediaError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw .truncated(format: format, reason: "\(what()) needs \(count) bytes but \(remaining) remain")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws(MediaError) {
        _ = try take(count, what())
    }
}

/// Big-endian and little-endian appends for the writers.
extension Array where Element == UInt8 {
    mutating func appendU16LE(_ value: Int) {
        append(UInt8(value & 0xff))
        append(UInt8((value >> 8) & 0xff))
    }

    mutating func appendU32BE(_ value: UInt32) {
        append(UInt8(value >> 24))
        append(UInt8((value >> 16) & 0xff))
        append(UInt8((value >> 8) & 0xff))
        append(UInt8(value & 0xff))
    }
}
