import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `ffmpeg` and `ffprobe` programs (Debian package `ffmpeg`), run as child processes.
///
/// Raw frames travel over a socket pair rather than a pipe: writes use `MSG_NOSIGNAL`, so a
/// child that dies early makes a write fail with `EPIPE` instead of killing this process
/// with `SIGPIPE`, without changing the process-wide signal disposition.
public struct FFmpegTool: Sendable {
    /// Path of the `ffmpeg` executable.
    public let ffmpegPath: String
    /// Path of the `ffprobe` executable.
    public let ffprobePath: String

    /// Uses the given executables (checked when first run).
    public init(ffmpegPath: String, ffprobePath: String) {
        self.ffmpegPath = ffmpegPath
        self.ffprobePath = ffprobePath
    }

    /// Finds `ffmpeg` and `ffprobe` on `PATH` (or on `searchPath`, a colon-separated list).
    public static func locate(searchPath: String? = nil) throws(MediaError) -> FFmpegTool {
        let path = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        func find(_ name: String) throws(MediaError) -> String {
            for folder in path.split(separator: ":") where !folder.isEmpty {
                let candidate = "\(folder)/\(name)"
                if access(candidate, X_OK) == 0 { return candidate }
            }
            throw .toolMissing(tool: name)
        }
        return FFmpegTool(ffmpegPath: try find("ffmpeg"), ffprobePath: try find("ffprobe"))
    }

    /// What a finished child process left.
    struct Outcome {
        var status: Int32
        var output: [UInt8]
        var errorText: String
    }

    /// Runs `executable` with `arguments`. `input`, when given, is streamed to its standard
    /// input; its standard output is collected only when `collectOutput` is set (else
    /// discarded). Standard error goes to a temporary file, so no pipe can fill and stall.
    func run(_ executable: String, _ arguments: [String], input: [[UInt8]]? = nil, collectOutput: Bool = false) throws(MediaError) -> Outcome {
        let tool = URL(fileURLWithPath: executable).lastPathComponent
        guard access(executable, X_OK) == 0 else { throw .toolMissing(tool: tool) }
        let errorPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("mediaio-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).stderr").path
        guard FileManager.default.createFile(atPath: errorPath, contents: nil),
              let errorHandle = FileHandle(forWritingAtPath: errorPath) else {
            throw .toolFailed(tool: tool, status: -1, message: "cannot create a temporary file for its messages in \(errorPath)")
        }
        defer {
            try? errorHandle.close()
            unlink(errorPath)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = errorHandle
        var sockets: [Int32] = [-1, -1]
        if input != nil {
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &sockets) == 0 else {
                throw .toolFailed(tool: tool, status: -1, message: "cannot create a socket pair: \(MediaFile.errnoText())")
            }
            process.standardInput = FileHandle(fileDescriptor: sockets[1], closeOnDealloc: false)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let outputPipe = Pipe()
        process.standardOutput = collectOutput ? outputPipe : FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            if input != nil { close(sockets[0]); close(sockets[1]) }
            throw .toolFailed(tool: tool, status: -1, message: "could not start: \(error)")
        }
        var writeFailure: String?
        if let input {
            close(sockets[1])
            writing: for chunk in input {
                let failed: String? = chunk.withUnsafeBytes { buffer in
                    var done = 0
                    while done < buffer.count {
                        let n = send(sockets[0], buffer.baseAddress! + done, buffer.count - done, Int32(MSG_NOSIGNAL))
                        if n < 0 && errno == EINTR { continue }
                        if n <= 0 { return MediaFile.errnoText() }
                        done += n
                    }
                    return nil
                }
                if let failed {
                    writeFailure = failed
                    break writing
                }
            }
            close(sockets[0])
        }
        var output: [UInt8] = []
        if collectOutput {
            output = Array(outputPipe.fileHandleForReading.readDataToEndOfFile())
        }
        process.waitUntilExit()
        let errorText = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        var status = process.terminationStatus
        if process.terminationReason == .uncaughtSignal { status = 128 + status }
        if status == 0, let writeFailure {
            throw .toolFailed(tool: tool, status: status, message: "it stopped reading frames (\(writeFailure))")
        }
        return Outcome(status: status, output: output, errorText: errorText.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether this `ffmpeg` has the libx264 encoder (Debian's build has; others may not).
    func hasLibx264() throws(MediaError) -> Bool {
        let outcome = try run(ffmpegPath, ["-hide_banner", "-encoders"], collectOutput: true)
        return String(decoding: outcome.output, as: UTF8.self).contains(" libx264 ")
    }
}
