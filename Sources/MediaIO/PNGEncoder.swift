/// Writes 8-bit grey or RGB PNG files: one IDAT, filter chosen per row (the PNG spec's
/// minimum-sum-of-absolute-differences heuristic), zlib level 6.
public enum PNGEncoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

    /// The PNG bytes of frame `frame` of `video` (values clamped to [0, 1]).
    public static func encode(_ video: VideoFrames, frame: Int = 0) throws(MediaError) -> [UInt8] {
        guard (0..<video.frames).contains(frame) else {
            throw .invalidArgument(reason: "frame \(frame) is outside 0..<\(video.frames)")
        }
        guard video.width <= Int(Int32.max), video.height <= Int(Int32.max) else {
            throw .invalidArgument(reason: "PNG images are at most 2^31-1 pixels on a side")
        }
        let channels = video.channels
        let rowBytes = video.width * channels
        let pixels = video.interleavedBytes(frame: frame)
        var filtered = [UInt8](repeating: 0, count: video.height * (rowBytes + 1))
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        var best = [UInt8](repeating: 0, count: rowBytes)
        let zeroRow = [UInt8](repeating: 0, count: rowBytes)
        for y in 0..<video.height {
            let row = Array(pixels[y * rowBytes..<(y + 1) * rowBytes])
            let above = y > 0 ? Array(pixels[(y - 1) * rowBytes..<y * rowBytes]) : zeroRow
            var bestType = 0
            var bestScore = Int.max
            for type in 0..<5 {
                PNGFilter.apply(type: type, row: row, above: above, bytesPerPixel: channels, into: &candidate)
                var score = 0
                for byte in candidate { score += byte < 128 ? Int(byte) : 256 - Int(byte) }
                if score < bestScore {
                    bestScore = score
                    bestType = type
                    swap(&best, &candidate)
                }
            }
            let base = y * (rowBytes + 1)
            filtered[base] = UInt8(bestType)
            for i in 0..<rowBytes { filtered[base + 1 + i] = best[i] }
        }
        var header: [UInt8] = []
        header.appendU32BE(UInt32(video.width))
        header.appendU32BE(UInt32(video.height))
        header += [8, channels == 3 ? 2 : 0, 0, 0, 0]
        var out = signature
        appendChunk("IHDR", header, to: &out)
        appendChunk("IDAT", Zlib.compress(filtered), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Writes frame `frame` of `video` as a PNG at `path` atomically.
    public static func write(_ video: VideoFrames, frame: Int = 0, to path: String) throws(MediaError) {
        try MediaFile.writeAtomically(encode(video, frame: frame), to: path)
    }

    /// Appends length, type, data and the CRC-32 of type and data.
    static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        out.appendU32BE(UInt32(data.count))
        out += typeBytes
        out += data
        out.appendU32BE(Zlib.crc32(typeBytes + data))
    }
}

/// The five PNG row filters (spec section 9) and their inverses.
enum PNGFilter {
    /// Filters `row` with filter `type` given the unfiltered row `above`.
    static func apply(type: Int, row: [UInt8], above: [UInt8], bytesPerPixel bpp: Int, into out: inout [UInt8]) {
        for i in 0..<row.count {
            let a = i >= bpp ? row[i - bpp] : 0
            let b = above[i]
            let c = i >= bpp ? above[i - bpp] : 0
            out[i] = row[i] &- predictor(type, a, b, c)
        }
    }

    /// Reverses the filters of `height` rows of `rowBytes` bytes (each preceded by its
    /// filter type byte) in place in `data`, starting at `start`; returns the rows without
    /// their type bytes.
    static func unfilter(_ data: [UInt8], start: Int = 0, height: Int, rowBytes: Int, bytesPerPixel bpp: Int, format: String) throws(MediaError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: height * rowBytes)
        for y in 0..<height {
            let type = Int(data[start + y * (rowBytes + 1)])
            guard type <= 4 else { throw .corrupt(format: format, reason: "row \(y) has filter type \(type); PNG defines 0...4") }
            let source = start + y * (rowBytes + 1) + 1
            let base = y * rowBytes
            for i in 0..<rowBytes {
                let a = i >= bpp ? out[base + i - bpp] : 0
                let b = y > 0 ? out[base - rowBytes + i] : 0
                let c = i >= bpp && y > 0 ? out[base - rowBytes + i - bpp] : 0
                out[base + i] = data[source + i] &+ predictor(type, a, b, c)
            }
        }
        return out
    }

    @inline(__always)
    static func predictor(_ type: Int, _ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        switch type {
        case 1: return a
        case 2: return b
        case 3: return UInt8((Int(a) + Int(b)) / 2)
        case 4:
            let p = Int(a) + Int(b) - Int(c)
            let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
            return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
        default: return 0
        }
    }
}
