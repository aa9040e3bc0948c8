import CMediaSupport

/// An IDX file, the format of MNIST and Fashion-MNIST: a magic number (two zero bytes, a type
/// byte, a dimension count), one big-endian 32-bit extent per dimension, then the values in
/// row-major order, big-endian.
///
/// `read(path:)` also takes the gzip-compressed files the datasets ship as (`*.gz`).
public struct IDXFile: Equatable, Sendable {
    /// The element types the format defines (the third magic byte).
    public enum DataType: UInt8, Sendable {
        case uint8 = 0x08
        case int8 = 0x09
        case int16 = 0x0b
        case int32 = 0x0c
        case float32 = 0x0d
        case float64 = 0x0e

        /// Bytes per element.
        public var byteCount: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16: return 2
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }
    }

    /// The element type.
    public var dataType: DataType
    /// The extents, outermost first (Fashion-MNIST images: [count, 28, 28]; labels: [count]).
    public var shape: [Int]
    /// The values as stored (big-endian for multi-byte types), `shape.product * byteCount` bytes.
    public var payload: [UInt8]

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The largest payload accepted (2^31 bytes): a larger header means a damaged file.
    public static let maxPayloadBytes = 1 << 31

    /// Parses the IDX bytes in `bytes` (not compressed). Trailing bytes after the announced
    /// values are refused, since they mean the header and the data disagree.
    public static func parse(_ bytes: [UInt8]) throws(MediaError) -> IDXFile {
        var reader = ByteReader(bytes, format: "IDX")
        let magic = try reader.take(4, "the magic number")
        guard magic[magic.startIndex] == 0, magic[magic.startIndex + 1] == 0 else {
            throw .notFormat(format: "IDX", reason: "the magic number does not start with two zero bytes")
        }
        let typeByte = magic[magic.startIndex + 2]
        guard let dataType = DataType(rawValue: typeByte) else {
            throw .corrupt(format: "IDX", reason: "unknown element type 0x\(String(typeByte, radix: 16))")
        }
        let rank = Int(magic[magic.startIndex + 3])
        guard rank >= 1 else { throw .corrupt(format: "IDX", reason: "zero dimensions") }
        var shape: [Int] = []
        var total = dataType.byteCount
        for axis in 0..<rank {
            let extent = Int(try reader.u32BE("extent \(axis)"))
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= maxPayloadBytes else {
                throw .corrupt(format: "IDX", reason: "the extents \(shape + [extent]) announce more than \(maxPayloadBytes) bytes")
            }
            shape.append(extent)
            total = product
        }
        let payload = try reader.take(total, "the \(shape.map(String.init).joined(separator: "x")) values")
        guard reader.isAtEnd else {
            throw .corrupt(format: "IDX", reason: "\(reader.remaining) bytes follow the \(total) bytes of values the header announces")
        }
        return IDXFile(dataType: dataType, shape: shape, payload: Array(payload))
    }

    /// Reads the IDX file at `path`, inflating it first when it is gzip-compressed (starts
    /// with the gzip signature 1f 8b), as the Fashion-MNIST files are.
    public static func read(path: String) throws(MediaError) -> IDXFile {
        var bytes = try MediaFile.read(path: path)
        if bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b {
            bytes = try Gzip.inflate(bytes)
        }
        do {
            return try parse(bytes)
        } catch .truncated(let format, let reason) {
            throw .truncated(format: format, reason: "\(path): \(reason)")
        } catch .corrupt(let format, let reason) {
            throw .corrupt(format: format, reason: "\(path): \(reason)")
        } catch .notFormat(let format, let reason) {
            throw .notFormat(format: format, reason: "\(path): \(reason)")
        }
    }

    /// The values of a `uint8` file; other types throw `MediaError.unsupported`.
    public func uint8Values() throws(MediaError) -> [UInt8] {
        guard dataType == .uint8 else {
            throw .unsupported(format: "IDX", reason: "element type \(dataType) where unsigned bytes were expected")
        }
        return payload
    }
}

/// One gzip member (RFC 1952) inflated through the system zlib.
///
/// The header and trailer are read here first, so a damaged stored length is refused before
/// anything is allocated; zlib (in gzip mode) then inflates into exactly ISIZE bytes and checks
/// the CRC-32 and length itself, and the CRC-32 is checked once more over the output.
enum Gzip {
    static func inflate(_ bytes: [UInt8]) throws(MediaError) -> [UInt8] {
        var reader = ByteReader(bytes, format: "gzip")
        let header = try reader.take(10, "the header")
        let h = header.startIndex
        guard header[h] == 0x1f, header[h + 1] == 0x8b, header[h + 2] == 8 else {
            throw .notFormat(format: "gzip", reason: "the header is not gzip with deflate")
        }
        let flags = header[h + 3]
        if flags & 0x04 != 0 { try reader.skip(try reader.u16LE("the extra field length"), "the extra field") }
        for (bit, what) in [(UInt8(0x08), "the file name"), (0x10, "the comment")] where flags & bit != 0 {
            while try reader.u8(what) != 0 {}
        }
        if flags & 0x02 != 0 { try reader.skip(2, "the header CRC") }
        guard reader.remaining >= 8 else { throw .truncated(format: "gzip", reason: "the trailer is missing") }
        let trailer = Array(bytes[(bytes.count - 8)...])
        func le32(_ at: Int) -> UInt32 {
            UInt32(trailer[at]) | UInt32(trailer[at + 1]) << 8 | UInt32(trailer[at + 2]) << 16 | UInt32(trailer[at + 3]) << 24
        }
        let crc = le32(0)
        let size = Int(le32(4))
        guard size < IDXFile.maxPayloadBytes else {
            throw .tooLarge(format: "gzip", width: size, height: 1, frames: 1, limit: IDXFile.maxPayloadBytes)
        }
        // Deflate expands at most 1032:1, so a larger stored length is damage; refusing it
        // keeps a damaged trailer from allocating up to 2 GiB.
        guard size <= (bytes.count - reader.offset) * 1032 else {
            throw .corrupt(format: "gzip", reason: "the stored length \(size) is more than the compressed data can hold")
        }
        var out = [UInt8](repeating: 0, count: size)
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                message.withUnsafeMutableBufferPointer {
                    ms_gunzip_exact(source.baseAddress, source.count, target.baseAddress, size, $0.baseAddress, $0.count)
                }
            }
        }
        let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard status == 0 else {
            if status == 2 { throw .truncated(format: "gzip", reason: "the compressed data: \(reason)") }
            throw .corrupt(format: "gzip", reason: "the compressed data: \(reason)")
        }
        let actual = out.withUnsafeBufferPointer { ms_crc32(0, $0.baseAddress, $0.count) }
        guard actual == crc else {
            throw .corrupt(format: "gzip", reason: "CRC-32 \(String(actual, radix: 16)) differs from the stored \(String(crc, radix: 16))")
        }
        return out
    }
}
