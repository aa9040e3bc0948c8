import Foundation
@testable import MediaIO

/// Helpers shared by the MediaIO suites.
enum MediaTestSupport {
    /// Bytes of `Tests/Fixtures/media/<name>` (written by make_media_fixtures.py).
    static func fixture(_ name: String) throws -> [UInt8] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/media/\(name)").standardizedFileURL.path
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mediaio-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Bytes from a hex literal; whitespace is ignored so long literals can wrap.
    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    /// A video whose value at (c, f, y, x) is `value(c, f, y, x)`.
    static func video(channels: Int, frames: Int, height: Int, width: Int, _ value: (Int, Int, Int, Int) -> Float) throws -> VideoFrames {
        var pixels: [Float] = []
        pixels.reserveCapacity(channels * frames * height * width)
        for c in 0..<channels {
            for f in 0..<frames {
                for y in 0..<height {
                    for x in 0..<width { pixels.append(value(c, f, y, x)) }
                }
            }
        }
        return try VideoFrames(channels: channels, frames: frames, height: height, width: width, pixels: pixels)
    }

    /// The value at (c, f, y, x).
    static func at(_ video: VideoFrames, _ c: Int, _ f: Int, _ y: Int, _ x: Int) -> Float {
        video.pixels[((c * video.frames + f) * video.height + y) * video.width + x]
    }

    /// Largest absolute difference, in 8-bit levels, between two videos of one shape.
    static func maxLevelError(_ a: VideoFrames, _ b: VideoFrames) -> Float {
        precondition(a.pixels.count == b.pixels.count)
        var worst: Float = 0
        for i in 0..<a.pixels.count { worst = max(worst, abs(a.pixels[i] - b.pixels[i]) * 255) }
        return worst
    }

    /// Every prefix length and a few single-byte damages of `bytes`, for refusal tables.
    static func truncations(of bytes: [UInt8]) -> [[UInt8]] {
        (0..<bytes.count).map { Array(bytes[..<$0]) }
    }
}
