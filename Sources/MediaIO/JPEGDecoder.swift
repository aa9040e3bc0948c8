import CMediaSupport

/// Reads baseline and progressive JPEG files through the system libjpeg-turbo. Grey files
/// give one channel, colour files three (YCbCr converted to RGB by the library). A C shim
/// turns libjpeg's fatal errors (normally `exit()`) and its corrupt-data warnings into
/// `MediaError`, so a cut-short file never yields a partly grey picture.
public enum JPEGDecoder {
    /// Decodes the JPEG in `bytes` as a one-frame `VideoFrames`.
    public static func decode(_ bytes: [UInt8]) throws(MediaError) -> VideoFrames {
        guard bytes.count >= 3, bytes[0] == 0xff, bytes[1] == 0xd8, bytes[2] == 0xff else {
            throw .notFormat(format: "JPEG", reason: "the data does not start with the JPEG start-of-image marker FF D8 FF")
        }
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0
        var height: Int32 = 0
        var channels: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { source in
            message.withUnsafeMutableBufferPointer {
                ms_jpeg_decode(source.baseAddress, source.count, UInt64(VideoFrames.maxPixels),
                               &pixels, &width, &height, &channels, $0.baseAddress, $0.count)
            }
        }
        let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard status == 0, let pixels else {
            if status == 2 { throw .unsupported(format: "JPEG", reason: reason) }
            // libjpeg words a cut-short file as "Premature end of JPEG file".
            if reason.contains("Premature end") { throw .truncated(format: "JPEG", reason: reason) }
            throw .corrupt(format: "JPEG", reason: reason)
        }
        defer { ms_free(pixels) }
        let (w, h, c) = (Int(width), Int(height), Int(channels))
        guard c == 1 || c == 3 else { throw .unsupported(format: "JPEG", reason: "\(c) decoded channels") }
        let interleaved = Array(UnsafeBufferPointer(start: pixels, count: w * h * c))
        return try VideoFrames(channels: c, height: h, width: w, interleavedFrames: [interleaved])
    }

    /// Reads and decodes the JPEG at `path`.
    public static func read(path: String) throws(MediaError) -> VideoFrames {
        try decode(MediaFile.read(path: path))
    }
}
