import Foundation

/// What a finished child process left behind.
struct ProcessResult {
    /// The exit status, or the signal number when `signaled`.
    var status: Int32
    var stdout: String
    var stderr: String
    /// The child died of a signal (a trap, a crash) instead of exiting.
    var signaled = false
    /// The child ran past its time limit and was killed; a hang fails the test, never CI.
    var timedOut = false
}

/// Runs `executable` with `arguments`, feeding `stdin`, and collects both output streams.
/// A child still running after `timeout` seconds is killed (SIGKILL) and reported `timedOut`.
func runProcess(_ executable: String, _ arguments: [String], stdin: String = "",
                timeout: TimeInterval = 600) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let input = Pipe(), output = Pipe(), errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let watchdog = TimeoutFlag()
    let pid = process.processIdentifier
    let killer = DispatchWorkItem {
        // SIGKILL rather than terminate(): a hung child may ignore SIGTERM.
        watchdog.fired = true
        _ = Glibc.kill(pid, SIGKILL)
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    // Feed and drain on separate threads so no pipe fills up and blocks the child.
    let writer = Thread {
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
    }
    writer.start()
    let stderrBox = DataBox()
    let done = DispatchSemaphore(value: 0)
    let reader = Thread {
        stderrBox.data = errors.fileHandleForReading.readDataToEndOfFile()
        done.signal()
    }
    reader.start()
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    killer.cancel()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderrBox.data, as: UTF8.self),
        signaled: process.terminationReason == .uncaughtSignal,
        timedOut: watchdog.fired)
}

/// The first executable called `name` on PATH.
func executableOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The `phenaki` executable `swift test` built beside the test bundle, if any.
let phenakiExecutable: String? = {
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidate = here.appendingPathComponent("phenaki").path
    return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
}()

private final class TimeoutFlag: @unchecked Sendable {
    var fired = false
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}
