import CMediaSupport

/// zlib streams and CRC-32 through the system zlib.
enum Zlib {
    /// CRC-32 of `bytes` (the polynomial PNG chunks use).
    static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let contiguous = Array(bytes)
        return contiguous.withUnsafeBufferPointer { ms_crc32(0, $0.baseAddress, $0.count) }
    }

    /// A zlib stream holding `bytes`.
    static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var capacity = ms_deflate_bound(bytes.count)
        var out = [UInt8](repeating: 0, count: capacity)
        let status = bytes.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { ms_deflate(source.baseAddress, source.count, level, $0.baseAddress, &capacity) }
        }
        // compress2 only fails for a bad level or too small a buffer, and both are chosen here.
        precondition(status == 0, "zlib compress2 failed with status \(status)")
        out.removeSubrange(capacity...)
        return out
    }

    /// The `expected` bytes a zlib stream holds; a damaged stream, a wrong Adler-32, or a
    /// stream holding fewer or more bytes throws a `MediaError` naming `format`.
    static func inflate(_ stream: [UInt8], expected: Int, format: String) throws(MediaError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expected)
        var message = [CChar](repeating: 0, count: 256)
        let status = stream.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                message.withUnsafeMutableBufferPointer {
                    ms_inflate_exact(source.baseAddress, source.count, target.baseAddress, expected, $0.baseAddress, $0.count)
                }
            }
        }
        let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case 0: return out
        case 2: throw .truncated(format: format, reason: "the compressed image data: \(reason)")
        default: throw .corrupt(format: format, reason: "the compressed image data: \(reason)")
        }
    }
}
