import Foundation
import MediaIO
import Testing

/// Crash safety (issue 7): a `phenaki train-cvivit` run killed with SIGKILL at a random moment
/// after its first checkpoint, then resumed with `--resume`, ends with checkpoint files equal byte
/// for byte to an uninterrupted run's: checkpoints are written atomically and resume is exact.
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
struct CrashResumeTests {
    static let steps = 20

    func arguments(data: String, results: String) -> [String] {
        ["train-cvivit", "--variant", "tiny", "--data", data, "--images", "--steps", "\(Self.steps)", "--batch", "2",
         "--lr", "1e-3", "--save-model-every", "1", "--save-results-every", "100", "--results", results,
         "--seed", "5", "--threads", "2", "--quiet"]
    }

    /// The regular files of the final checkpoint, relative to it.
    func finalCheckpointFiles(_ results: String) throws -> [String: Data] {
        try InterruptTests.checkpointFiles(results, step: Self.steps)
    }

    @Test("SIGKILL mid-training, then --resume: the same final checkpoint as an uninterrupted run",
          arguments: [0, 1])
    func killAndResume(trial: Int) throws {
        let executable = try #require(phenakiExecutable)
        let data = trainerTemporaryFolder("crash-data")
        for i in 0..<4 {
            let pixels = (0..<(3 * 16 * 16)).map { (j: Int) -> Float in Float(0.5 + 0.45 * sin(0.31 * Double(j) + Double(i))) }
            try PNGEncoder.write(VideoFrames(channels: 3, frames: 1, height: 16, width: 16, pixels: pixels), to: data + "/\(i).png")
        }
        let whole = trainerTemporaryFolder("crash-whole"), killed = trainerTemporaryFolder("crash-killed")
        defer { for p in [data, whole, killed] { try? FileManager.default.removeItem(atPath: p) } }

        let reference = try runProcess(executable, arguments(data: data, results: whole), timeout: 300)
        #expect(reference.status == 0, "\(reference.stderr)")

        // Start the same run, wait for its first checkpoint, then kill it after a random delay.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments(data: data, results: killed)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let latest = killed + "/checkpoints/latest"
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: latest), process.isRunning, Date() < deadline {
            usleep(2_000)
        }
        var generator = SystemRandomNumberGenerator()
        usleep(UInt32.random(in: 0...(trial == 0 ? 10_000 : 200_000), using: &generator))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The kill must have landed mid-run, after a checkpoint and before the last one.
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL,
                "the run ended before the kill (status \(process.terminationStatus))")
        let pointer = try String(contentsOfFile: latest, encoding: .utf8)
        #expect(!pointer.contains(String(format: "step-%06d", Self.steps)), "killed after the last checkpoint: \(pointer)")

        let resumed = try runProcess(executable, arguments(data: data, results: killed) + ["--resume", killed],
                                     timeout: 300)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let expected = try finalCheckpointFiles(whole)
        let got = try finalCheckpointFiles(killed)
        #expect(expected.keys.contains("cvivit.safetensors"))
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (name, bytes) in expected { #expect(got[name] == bytes, "\(name) differs after the kill and resume") }
    }
}
