/// A decoded GIF: the composed frames and the timing the file asks for.
public struct GIFAnimation: Equatable, Sendable {
    /// The frames as the screen shows them after each image (disposal and transparency
    /// applied). One channel when every pixel of every frame is grey, three otherwise.
    public var video: VideoFrames
    /// Each frame's duration in milliseconds (the file's hundredths of a second times 10;
    /// 0 where the file gives none).
    public var frameDurationsMs: [Int]
    /// The NETSCAPE2.0 loop count (0 loops forever), or nil when the file has none.
    public var loopCount: Int?
}

/// Reads GIF87a / GIF89a files: LZW, global and local colour tables, interlaced images,
/// transparency and disposal methods 0-3. Every read is bounds-checked; a cut-short or
/// damaged file throws `MediaError` and never yields a partial animation.
public enum GIFDecoder {
    /// Decodes the GIF in `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(MediaError) -> GIFAnimation {
        var reader = ByteReader(bytes, format: "GIF")
        let signature = try? reader.take(6, "the signature")
        guard let signature, signature.elementsEqual("GIF89a".utf8) || signature.elementsEqual("GIF87a".utf8) else {
            throw .notFormat(format: "GIF", reason: "the data does not start with GIF87a or GIF89a")
        }
        let width = try reader.u16LE("the logical screen descriptor")
        let height = try reader.u16LE("the logical screen descriptor")
        let flags = try reader.u8("the logical screen descriptor")
        let backgroundIndex = Int(try reader.u8("the logical screen descriptor"))
        _ = try reader.u8("the logical screen descriptor")
        guard width > 0, height > 0 else {
            throw .corrupt(format: "GIF", reason: "the logical screen is \(width)x\(height)")
        }
        // Checked before the screen is allocated, so a damaged size cannot take gigabytes.
        guard width * height <= VideoFrames.maxPixels else {
            throw .tooLarge(format: "GIF", width: width, height: height, frames: 1, limit: VideoFrames.maxPixels)
        }
        var globalPalette: [UInt8] = []
        if flags & 0x80 != 0 {
            globalPalette = Array(try reader.take(3 << (Int(flags & 7) + 1), "the global colour table"))
        }
        // The screen is painted only once the first image has decoded: a header that claims
        // a 16384x16384 screen and then ends must not cost gigabytes and seconds first.
        var canvas: [UInt8] = []
        var background: [UInt8] = []
        func paintScreen() {
            canvas = [UInt8](repeating: 0, count: width * height * 3)
            if backgroundIndex * 3 + 2 < globalPalette.count {
                let colour = globalPalette[(3 * backgroundIndex)..<(3 * backgroundIndex + 3)]
                canvas.withUnsafeMutableBufferPointer { screen in
                    for p in 0..<width * height {
                        for (c, value) in colour.enumerated() { screen[3 * p + c] = value }
                    }
                }
            }
            background = canvas
        }
        var frames: [[UInt8]] = []
        var durations: [Int] = []
        var loopCount: Int?
        var control: (disposal: Int, delay: Int, transparent: Int?)?
        var pendingDisposal: (mode: Int, left: Int, top: Int, width: Int, height: Int, saved: [UInt8]?)?
        blocks: while true {
            let introducer = try reader.u8("the next block (the file lacks its 0x3B trailer)")
            switch introducer {
            case 0x3b:
                break blocks
            case 0x21:
                let label = try reader.u8("an extension label")
                let data = try subBlocks(&reader, "an extension")
                if label == 0xf9 {
                    guard data.count >= 4 else {
                        throw .corrupt(format: "GIF", reason: "a graphic control extension holds \(data.count) bytes, not 4")
                    }
                    let packed = Int(data[0])
                    control = (
                        disposal: (packed >> 2) & 7,
                        delay: Int(data[1]) | Int(data[2]) << 8,
                        transparent: packed & 1 != 0 ? Int(data[3]) : nil
                    )
                } else if label == 0xff, data.count >= 14, data[0..<11].elementsEqual("NETSCAPE2.0".utf8), data[11] == 1 {
                    loopCount = Int(data[12]) | Int(data[13]) << 8
                }
            case 0x2c:
                let left = try reader.u16LE("an image descriptor")
                let top = try reader.u16LE("an image descriptor")
                let frameWidth = try reader.u16LE("an image descriptor")
                let frameHeight = try reader.u16LE("an image descriptor")
                let imageFlags = try reader.u8("an image descriptor")
                var palette = globalPalette
                if imageFlags & 0x80 != 0 {
                    palette = Array(try reader.take(3 << (Int(imageFlags & 7) + 1), "a local colour table"))
                }
                guard !palette.isEmpty else {
                    throw .corrupt(format: "GIF", reason: "image \(frames.count) has neither a local nor a global colour table")
                }
                let total = (frames.count + 1) * width * height
                guard total <= VideoFrames.maxPixels, frameWidth * frameHeight <= VideoFrames.maxPixels else {
                    throw .tooLarge(format: "GIF", width: width, height: height, frames: frames.count + 1, limit: VideoFrames.maxPixels)
                }
                let minimumCodeSize = Int(try reader.u8("the LZW minimum code size"))
                let stream = try subBlocks(&reader, "image data")
                let indices = try GIFLZW.decode(stream, minimumCodeSize: minimumCodeSize, pixelCount: frameWidth * frameHeight)
                if frames.isEmpty { paintScreen() }
                // The previous image's disposal applies now, before this one is drawn.
                if let previous = pendingDisposal {
                    if previous.mode == 2 {
                        fill(&canvas, from: background, width: width, height: height, rect: (previous.left, previous.top, previous.width, previous.height))
                    } else if previous.mode == 3, let saved = previous.saved {
                        canvas = saved
                    }
                }
                let disposal = control?.disposal ?? 0
                pendingDisposal = (disposal, left, top, frameWidth, frameHeight, disposal == 3 ? canvas : nil)
                let rowOrder = imageFlags & 0x40 != 0 ? interlacedRows(frameHeight) : Array(0..<frameHeight)
                let transparent = control?.transparent ?? -1
                let colours = palette.count / 3
                for (sourceRow, row) in rowOrder.enumerated() {
                    let y = top + row
                    guard y < height else { continue }
                    for x in 0..<frameWidth where left + x < width {
                        let index = Int(indices[sourceRow * frameWidth + x])
                        if index == transparent { continue }
                        guard index < colours else {
                            throw .corrupt(format: "GIF", reason: "image \(frames.count) uses colour \(index) of a \(colours)-colour table")
                        }
                        let target = 3 * (y * width + left + x)
                        canvas[target] = palette[3 * index]
                        canvas[target + 1] = palette[3 * index + 1]
                        canvas[target + 2] = palette[3 * index + 2]
                    }
                }
                frames.append(canvas)
                durations.append((control?.delay ?? 0) * 10)
                control = nil
            default:
                throw .corrupt(format: "GIF", reason: "byte 0x\(String(introducer, radix: 16)) at offset \(reader.offset - 1) starts no GIF block")
            }
        }
        guard !frames.isEmpty else { throw .corrupt(format: "GIF", reason: "the file holds no image") }
        let grey = frames.allSatisfy(isGrey)
        let channels = grey ? 1 : 3
        let pictures = grey ? frames.map(firstChannel) : frames
        let video = try VideoFrames(channels: channels, height: height, width: width, interleavedFrames: pictures)
        return GIFAnimation(video: video, frameDurationsMs: durations, loopCount: loopCount)
    }

    /// Reads and decodes the GIF at `path`.
    public static func read(path: String) throws(MediaError) -> GIFAnimation {
        try decode(MediaFile.read(path: path))
    }

    /// The data of a chain of sub-blocks (length byte, bytes, ..., zero length).
    private static func subBlocks(_ reader: inout ByteReader, _ what: String) throws(MediaError) -> [UInt8] {
        var data: [UInt8] = []
        while true {
            let length = Int(try reader.u8("the sub-blocks of \(what)"))
            if length == 0 { return data }
            data += try reader.take(length, "a sub-block of \(what)")
        }
    }

    /// The screen row of each stored row of an interlaced image (rows 0, 8, ...; 4, 12, ...;
    /// 2, 6, ...; 1, 3, ...).
    private static func interlacedRows(_ height: Int) -> [Int] {
        var rows: [Int] = []
        for (start, step) in [(0, 8), (4, 8), (2, 4), (1, 2)] {
            rows += stride(from: start, to: height, by: step)
        }
        return rows
    }

    private static func isGrey(_ rgb: [UInt8]) -> Bool {
        for p in stride(from: 0, to: rgb.count, by: 3) where rgb[p] != rgb[p + 1] || rgb[p] != rgb[p + 2] {
            return false
        }
        return true
    }

    private static func firstChannel(_ rgb: [UInt8]) -> [UInt8] {
        var grey = [UInt8](repeating: 0, count: rgb.count / 3)
        for p in 0..<grey.count { grey[p] = rgb[3 * p] }
        return grey
    }

    private static func fill(_ canvas: inout [UInt8], from background: [UInt8], width: Int, height: Int, rect: (Int, Int, Int, Int)) {
        let (left, top, rectWidth, rectHeight) = rect
        // An image may lie partly or wholly outside the screen; only the overlap is cleared.
        guard left < width, top < height, rectWidth > 0, rectHeight > 0 else { return }
        for y in top..<min(height, top + rectHeight) {
            for x in left..<min(width, left + rectWidth) {
                for c in 0..<3 { canvas[3 * (y * width + x) + c] = background[3 * (y * width + x) + c] }
            }
        }
    }
}
