/// Reads PNG files of every colour type and bit depth (grey 1-16 bits, RGB, palette, grey +
/// alpha, RGBA), interlaced or not, into 8-bit-precise frames: grey and grey + alpha give one
/// channel, the others three. Alpha is dropped (pictures are used as frames, which have none)
/// and 16-bit samples are rounded to 8 bits. Chunk CRCs and the zlib Adler-32 are checked;
/// every damage throws `MediaError`.
public enum PNGDecoder {
    /// The fields of IHDR that decoding needs.
    struct Header {
        var width: Int
        var height: Int
        var bitDepth: Int
        var colorType: Int
        var interlaced: Bool

        var samplesPerPixel: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]! }
        var bitsPerPixel: Int { samplesPerPixel * bitDepth }
        var outputChannels: Int { colorType == 0 || colorType == 4 ? 1 : 3 }
        func rowBytes(_ width: Int) -> Int { (width * bitsPerPixel + 7) / 8 }
    }

    /// Decodes the PNG in `bytes` as a one-frame `VideoFrames`.
    public static func decode(_ bytes: [UInt8]) throws(MediaError) -> VideoFrames {
        var reader = ByteReader(bytes, format: "PNG")
        let signature = try? reader.take(8, "the signature")
        guard let signature, signature.elementsEqual(PNGEncoder.signature) else {
            throw .notFormat(format: "PNG", reason: "the data does not start with the 8-byte PNG signature")
        }
        var header: Header?
        var palette: [UInt8] = []
        var compressed: [UInt8] = []
        chunks: while true {
            let length = Int(try reader.u32BE("a chunk length (the file lacks its IEND chunk)"))
            guard length <= Int(Int32.max) else {
                throw .corrupt(format: "PNG", reason: "a chunk declares \(length) bytes, above the format's 2^31-1")
            }
            let typeBytes = try reader.take(4, "a chunk type")
            let type = String(decoding: typeBytes, as: UTF8.self)
            let data = try reader.take(length, "chunk \(type)")
            let storedCRC = try reader.u32BE("the CRC of chunk \(type)")
            guard Zlib.crc32(Array(typeBytes) + data) == storedCRC else {
                throw .corrupt(format: "PNG", reason: "chunk \(type) fails its CRC-32 check")
            }
            if header == nil && type != "IHDR" {
                throw .corrupt(format: "PNG", reason: "the first chunk is \(type), not IHDR")
            }
            switch type {
            case "IHDR":
                guard header == nil else { throw .corrupt(format: "PNG", reason: "a second IHDR chunk") }
                header = try parseHeader(Array(data))
            case "PLTE":
                guard length % 3 == 0, (3...768).contains(length) else {
                    throw .corrupt(format: "PNG", reason: "PLTE holds \(length) bytes, not 3 to 768 in whole RGB triples")
                }
                palette = Array(data)
            case "IDAT":
                compressed += data
            case "IEND":
                break chunks
            default:
                // Bit 5 of the first letter clear (upper case) marks a chunk a reader must understand.
                if typeBytes.first.map({ $0 & 0x20 == 0 }) ?? false {
                    throw .unsupported(format: "PNG", reason: "critical chunk \(type) is not known to this reader")
                }
            }
        }
        guard let header else { throw .corrupt(format: "PNG", reason: "no IHDR chunk") }
        if header.colorType == 3 && palette.isEmpty {
            throw .corrupt(format: "PNG", reason: "a palette image without a PLTE chunk")
        }
        guard !compressed.isEmpty else { throw .corrupt(format: "PNG", reason: "no IDAT chunk") }
        let passes = header.interlaced ? adam7 : [(0, 0, 1, 1)]
        var expected = 0
        var passSizes: [(width: Int, height: Int)] = []
        for (x0, y0, dx, dy) in passes {
            let w = (header.width - x0 + dx - 1) / dx
            let h = (header.height - y0 + dy - 1) / dy
            passSizes.append((w, h))
            if w > 0 && h > 0 { expected += h * (header.rowBytes(w) + 1) }
        }
        // Deflate expands at most about 1032:1; a header asking for more than the IDAT data
        // could hold is refused before the buffer is allocated.
        guard expected <= compressed.count * 1032 + 1024 else {
            throw .truncated(format: "PNG", reason: "\(compressed.count) bytes of image data cannot hold the \(expected) bytes a \(header.width)x\(header.height) image needs")
        }
        let raw = try Zlib.inflate(compressed, expected: expected, format: "PNG")
        let channels = header.outputChannels
        var pixels = [UInt8](repeating: 0, count: header.width * header.height * channels)
        var start = 0
        let bytesPerPixel = max(1, header.bitsPerPixel / 8)
        for (pass, (x0, y0, dx, dy)) in passes.enumerated() {
            let (w, h) = passSizes[pass]
            guard w > 0 && h > 0 else { continue }
            let rowBytes = header.rowBytes(w)
            let rows = try PNGFilter.unfilter(raw, start: start, height: h, rowBytes: rowBytes, bytesPerPixel: bytesPerPixel, format: "PNG")
            start += h * (rowBytes + 1)
            let picture = try convert(rows, header: header, width: w, height: h, palette: palette)
            for y in 0..<h {
                for x in 0..<w {
                    let target = ((y0 + y * dy) * header.width + x0 + x * dx) * channels
                    for c in 0..<channels { pixels[target + c] = picture[(y * w + x) * channels + c] }
                }
            }
        }
        return try VideoFrames(channels: channels, height: header.height, width: header.width, interleavedFrames: [pixels])
    }

    /// Reads and decodes the PNG at `path`.
    public static func read(path: String) throws(MediaError) -> VideoFrames {
        try decode(MediaFile.read(path: path))
    }

    /// Adam7's passes as (first column, first row, column step, row step).
    private static let adam7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]

    private static func parseHeader(_ data: [UInt8]) throws(MediaError) -> Header {
        guard data.count == 13 else { throw .corrupt(format: "PNG", reason: "IHDR holds \(data.count) bytes, not 13") }
        var reader = ByteReader(data, format: "PNG")
        let width = Int(try reader.u32BE("IHDR"))
        let height = Int(try reader.u32BE("IHDR"))
        let bitDepth = Int(try reader.u8("IHDR"))
        let colorType = Int(try reader.u8("IHDR"))
        let compression = try reader.u8("IHDR")
        let filter = try reader.u8("IHDR")
        let interlace = try reader.u8("IHDR")
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw .corrupt(format: "PNG", reason: "IHDR gives a \(width)x\(height) image; each side must be 1...2^31-1")
        }
        guard width * height <= VideoFrames.maxPixels else {
            throw .tooLarge(format: "PNG", width: width, height: height, frames: 1, limit: VideoFrames.maxPixels)
        }
        let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let depths = allowed[colorType], depths.contains(bitDepth) else {
            throw .corrupt(format: "PNG", reason: "colour type \(colorType) with bit depth \(bitDepth) is not a PNG combination")
        }
        guard compression == 0, filter == 0, interlace <= 1 else {
            throw .corrupt(format: "PNG", reason: "IHDR compression \(compression), filter \(filter), interlace \(interlace); PNG defines 0, 0, 0 or 1")
        }
        return Header(width: width, height: height, bitDepth: bitDepth, colorType: colorType, interlaced: interlace == 1)
    }

    /// 8-bit interleaved output pixels (1 or 3 channels) of unfiltered rows.
    private static func convert(_ rows: [UInt8], header: Header, width: Int, height: Int, palette: [UInt8]) throws(MediaError) -> [UInt8] {
        let channels = header.outputChannels
        let samples = header.samplesPerPixel
        let depth = header.bitDepth
        let rowBytes = header.rowBytes(width)
        let maxValue = (1 << depth) - 1
        var out = [UInt8](repeating: 0, count: width * height * channels)
        let colours = palette.count / 3
        for y in 0..<height {
            let row = y * rowBytes
            for x in 0..<width {
                let target = (y * width + x) * channels
                if header.colorType == 3 {
                    let index = sample(rows, row: row, index: x, depth: depth)
                    guard index < colours else {
                        throw .corrupt(format: "PNG", reason: "pixel (\(x), \(y)) uses colour \(index) of a \(colours)-colour palette")
                    }
                    for c in 0..<3 { out[target + c] = palette[3 * index + c] }
                    continue
                }
                for c in 0..<channels {
                    let value = sample(rows, row: row, index: x * samples + c, depth: depth)
                    // Rounds to the nearest 8-bit level (exact for 8 bits, v*255/max otherwise).
                    out[target + c] = depth == 8 ? UInt8(value) : UInt8((value * 255 + maxValue / 2) / maxValue)
                }
            }
        }
        return out
    }

    /// Sample `index` of the row starting at byte `row`, for any bit depth (big-endian,
    /// most significant bits first, as PNG packs them).
    @inline(__always)
    private static func sample(_ rows: [UInt8], row: Int, index: Int, depth: Int) -> Int {
        switch depth {
        case 8: return Int(rows[row + index])
        case 16: return Int(rows[row + 2 * index]) << 8 | Int(rows[row + 2 * index + 1])
        default:
            let bit = index * depth
            let byte = Int(rows[row + bit / 8])
            return (byte >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
        }
    }
}
