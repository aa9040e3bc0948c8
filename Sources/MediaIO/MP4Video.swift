#if canImport(Glibc)
import Glibc
#endif

/// A video read through ffmpeg, with its frame rate.
public struct DecodedVideo: Equatable, Sendable {
    /// The frames, three channels (ffmpeg decodes to RGB).
    public var video: VideoFrames
    /// Frames per second as the container states it.
    public var framesPerSecond: Double
}

extension FFmpegTool {
    /// Encodes `video` as H.264 (libx264, CRF 18; MPEG-4 part 2 where libx264 is missing)
    /// in yuv420p MP4 at `path`, streaming 8-bit RGB frames to `ffmpeg`'s standard input.
    /// yuv420p needs even sides, so an odd width or height gets one column or row of black.
    /// The file appears whole or not at all: ffmpeg writes a temporary file beside `path`
    /// which is renamed only after ffmpeg succeeds.
    public func writeMP4(_ video: VideoFrames, framesPerSecond: Double = 8, to path: String) throws(MediaError) {
        guard framesPerSecond > 0, framesPerSecond <= 1000, framesPerSecond.isFinite else {
            throw .invalidArgument(reason: "frame rate \(framesPerSecond) is outside (0, 1000] frames per second")
        }
        let codec = try hasLibx264() ? ["-c:v", "libx264", "-crf", "18", "-preset", "medium"] : ["-c:v", "mpeg4", "-q:v", "2"]
        let temporary = MediaFile.temporaryPath(beside: path, suffix: ".mp4")
        let arguments = [
            "-hide_banner", "-nostats", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(video.width)x\(video.height)", "-r", "\(framesPerSecond)",
            "-i", "pipe:0",
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
        ] + codec + ["-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", temporary]
        let frames = (0..<video.frames).map { video.rgbBytes(frame: $0) }
        let outcome: Outcome
        do {
            outcome = try run(ffmpegPath, arguments, input: frames)
        } catch {
            unlink(temporary)
            throw error
        }
        guard outcome.status == 0 else {
            unlink(temporary)
            throw .toolFailed(tool: "ffmpeg", status: outcome.status, message: outcome.errorText)
        }
        try MediaFile.commit(temporary: temporary, to: path)
    }

    /// Decodes the video at `path` (MP4 or anything ffmpeg reads) to RGB frames. Any decoding
    /// error stops ffmpeg (`-xerror`), so a damaged file throws instead of giving fewer frames.
    public func readVideo(path: String) throws(MediaError) -> DecodedVideo {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadable(path: path, reason: MediaFile.errnoText()) }
        let probe = try run(ffprobePath, [
            "-v", "error", "-select_streams", "v:0",
            "-show_entries", "stream=width,height,r_frame_rate", "-of", "default=noprint_wrappers=1", path,
        ], collectOutput: true)
        guard probe.status == 0 else {
            throw .corrupt(format: "video", reason: "ffprobe cannot read \(path): \(probe.errorText)")
        }
        var fields: [String: String] = [:]
        for line in String(decoding: probe.output, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let width = fields["width"].flatMap({ Int($0) }), let height = fields["height"].flatMap({ Int($0) }),
              width > 0, height > 0 else {
            throw .corrupt(format: "video", reason: "\(path) has no video stream with a size ffprobe can tell")
        }
        var fps = 0.0
        if let rate = fields["r_frame_rate"] {
            let parts = rate.split(separator: "/").compactMap { Double($0) }
            if parts.count == 2, parts[1] != 0 { fps = parts[0] / parts[1] }
        }
        guard width * height <= VideoFrames.maxPixels else {
            throw .tooLarge(format: "video", width: width, height: height, frames: 1, limit: VideoFrames.maxPixels)
        }
        let frameLimit = VideoFrames.maxPixels / (width * height)
        let decoded = try run(ffmpegPath, [
            "-hide_banner", "-nostdin", "-v", "error", "-xerror", "-i", path,
            "-frames:v", "\(frameLimit + 1)", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
        ], collectOutput: true)
        guard decoded.status == 0, decoded.errorText.isEmpty else {
            throw .corrupt(format: "video", reason: "ffmpeg cannot decode \(path): \(decoded.errorText)")
        }
        let frameBytes = width * height * 3
        guard !decoded.output.isEmpty, decoded.output.count % frameBytes == 0 else {
            throw .corrupt(format: "video", reason: "ffmpeg gave \(decoded.output.count) bytes, not whole \(width)x\(height) RGB frames")
        }
        let count = decoded.output.count / frameBytes
        guard count <= frameLimit else {
            throw .tooLarge(format: "video", width: width, height: height, frames: count, limit: VideoFrames.maxPixels)
        }
        let frames = (0..<count).map { Array(decoded.output[$0 * frameBytes..<($0 + 1) * frameBytes]) }
        let video = try VideoFrames(channels: 3, height: height, width: width, interleavedFrames: frames)
        return DecodedVideo(video: video, framesPerSecond: fps)
    }
}
