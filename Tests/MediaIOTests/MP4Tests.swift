import Foundation
import Testing
@testable import MediaIO

/// MP4 through ffmpeg (Debian package `ffmpeg`, installed by .ci/install-packages): round
/// trip, the missing-tool error, and that a failed write leaves no file behind.
@Suite("MediaIO: MP4 via ffmpeg", .serialized)
struct MP4Tests {
    static func smoothVideo(height: Int, width: Int) throws -> VideoFrames {
        try MediaTestSupport.video(channels: 3, frames: 6, height: height, width: width) { c, f, y, x in
            let values = [Float(x) / Float(width), Float(y) / Float(height), Float(f) / 6]
            return 0.1 + 0.8 * values[c]
        }
    }

    @Test func roundTripsFrameCountAndPixels() throws {
        let tool = try FFmpegTool.locate()
        let directory = try MediaTestSupport.temporaryDirectory()
        let path = directory + "/clip.mp4"
        let video = try Self.smoothVideo(height: 24, width: 32)
        try tool.writeMP4(video, framesPerSecond: 8, to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["clip.mp4"])
        let decoded = try tool.readVideo(path: path)
        #expect(decoded.video.frames == 6 && decoded.video.height == 24 && decoded.video.width == 32)
        #expect(abs(decoded.framesPerSecond - 8) < 1e-9)
        var total: Float = 0
        for i in 0..<video.pixels.count { total += abs(decoded.video.pixels[i] - video.pixels[i]) * 255 }
        let mean = total / Float(video.pixels.count)
        print("MP4 round trip mean error \(mean) levels")
        #expect(mean <= 4)
    }

    /// yuv420p needs even sides: an odd-sized grey video comes back one row/column larger.
    @Test func padsOddSizes() throws {
        let tool = try FFmpegTool.locate()
        let directory = try MediaTestSupport.temporaryDirectory()
        let video = try MediaTestSupport.video(channels: 1, frames: 3, height: 9, width: 11) { _, f, _, _ in Float(f) / 3 }
        try tool.writeMP4(video, to: directory + "/odd.mp4")
        let decoded = try tool.readVideo(path: directory + "/odd.mp4")
        #expect(decoded.video.frames == 3 && decoded.video.height == 10 && decoded.video.width == 12)
    }

    /// ffmpeg, an independent decoder, reads our GIF and PNG files to the same pixels our
    /// decoders give (few colours, so the GIF palette is exact).
    @Test func ffmpegReadsOurGIFAndPNG() throws {
        let tool = try FFmpegTool.locate()
        let directory = try MediaTestSupport.temporaryDirectory()
        let video = try MediaTestSupport.video(channels: 3, frames: 4, height: 10, width: 14) { c, f, y, x in
            Float((x / 3 + y / 2 + 2 * f + 5 * c) % 7) / 6
        }
        try GIFEncoder.write(video, to: directory + "/clip.gif", frameDurationMs: 100)
        let gif = try tool.readVideo(path: directory + "/clip.gif")
        #expect(gif.video.frames == 4 && gif.video.height == 10 && gif.video.width == 14)
        #expect(MediaTestSupport.maxLevelError(gif.video, video) <= 0.5 + 1e-3)
        #expect(abs(gif.framesPerSecond - 10) < 1e-9)
        try PNGEncoder.write(video, frame: 2, to: directory + "/frame.png")
        let png = try tool.readVideo(path: directory + "/frame.png")
        #expect(png.video.frames == 1)
        let expected = try VideoFrames(channels: 3, height: 10, width: 14, interleavedFrames: [video.interleavedBytes(frame: 2)])
        #expect(png.video == expected)
    }

    @Test func missingToolNamesTheInstallCommand() throws {
        #expect(throws: MediaError.toolMissing(tool: "ffmpeg")) { try FFmpegTool.locate(searchPath: "/nonexistent-mediaio") }
        let directory = try MediaTestSupport.temporaryDirectory()
        let tool = FFmpegTool(ffmpegPath: "/nonexistent-mediaio/ffmpeg", ffprobePath: "/nonexistent-mediaio/ffprobe")
        let video = try Self.smoothVideo(height: 4, width: 4)
        #expect(throws: MediaError.toolMissing(tool: "ffmpeg")) { try tool.writeMP4(video, to: directory + "/x.mp4") }
        #expect(MediaError.toolMissing(tool: "ffmpeg").description.contains("apt-get install ffmpeg"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    /// An "ffmpeg" that writes part of its output file and fails: the error carries its
    /// message and neither the target nor the temporary file remains.
    @Test func failedWriteLeavesNoFile() throws {
        let directory = try MediaTestSupport.temporaryDirectory()
        let fake = directory + "/fake-ffmpeg"
        try "#!/bin/sh\nfor last; do :; done\necho partial > \"$last\"\necho 'encoder exploded' >&2\nexit 3\n"
            .write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let output = try MediaTestSupport.temporaryDirectory()
        let tool = FFmpegTool(ffmpegPath: fake, ffprobePath: fake)
        #expect(throws: MediaError.toolFailed(tool: "ffmpeg", status: 3, message: "encoder exploded")) {
            try tool.writeMP4(Self.smoothVideo(height: 4, width: 4), to: output + "/clip.mp4")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: output).isEmpty)
    }

    /// Cut-short and damaged MP4 files are refused with a typed error, never fewer frames.
    @Test func refusesTruncatedFiles() throws {
        let tool = try FFmpegTool.locate()
        let directory = try MediaTestSupport.temporaryDirectory()
        try tool.writeMP4(Self.smoothVideo(height: 24, width: 32), to: directory + "/clip.mp4")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/clip.mp4")))
        for length in [0, 16, bytes.count / 3, bytes.count / 2, bytes.count - 200] {
            let path = directory + "/cut-\(length).mp4"
            try Data(bytes[..<length]).write(to: URL(fileURLWithPath: path))
            #expect(throws: MediaError.self, "prefix of \(length) bytes") { try tool.readVideo(path: path) }
        }
        #expect(throws: MediaError.self) { try tool.readVideo(path: directory + "/absent.mp4") }
    }
}
