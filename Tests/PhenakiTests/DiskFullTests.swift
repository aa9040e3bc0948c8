import Foundation
import MediaIO
@testable import Phenaki
import Testing

/// A full disk while saving (issue 7), simulated by the operating system: once a
/// `phenaki train-cvivit` run has written its first checkpoints, `prlimit` lowers its file-size
/// limit (RLIMIT_FSIZE) below a weight file's size, so the next checkpoint's writes fail with
/// EFBIG part way through, as they would with ENOSPC. The run must stop with a message (no
/// signal: it ignores SIGXFSZ), leave the previous complete checkpoint as the latest and no
/// half-written directory, and `--resume` with the space back must end as an uninterrupted run.
@Suite(.enabled(if: phenakiExecutable != nil && executableOnPath("prlimit") != nil,
                "needs the phenaki executable beside the tests and prlimit (util-linux)"))
struct DiskFullTests {
    static let steps = 40

    func arguments(data: String, results: String) -> [String] {
        ["train-cvivit", "--variant", "tiny", "--data", data, "--images", "--steps", "\(Self.steps)", "--batch", "2",
         "--lr", "1e-3", "--save-model-every", "1", "--save-results-every", "100", "--results", results,
         "--seed", "11", "--threads", "2", "--quiet"]
    }

    @Test("a write failing mid-checkpoint: a clear error, the previous checkpoint stays the latest, resume is exact")
    func fileSizeLimitDuringASave() throws {
        let executable = try #require(phenakiExecutable)
        let folder = trainerTemporaryFolder("disk-full")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = folder + "/data", whole = folder + "/whole", full = folder + "/full"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for i in 0..<4 {
            let pixels = (0..<(3 * 16 * 16)).map { (j: Int) -> Float in Float(0.5 + 0.45 * cos(0.29 * Double(j) + Double(i))) }
            try PNGEncoder.write(VideoFrames(channels: 3, frames: 1, height: 16, width: 16, pixels: pixels), to: data + "/\(i).png")
        }
        let reference = try runProcess(executable, arguments(data: data, results: whole), timeout: 300)
        #expect(reference.status == 0 && !reference.signaled, "\(reference.stderr)")
        // The limit: above every small file (the JSON files, `latest`, metrics.csv of 40 rows),
        // below the weights file, so a save fails inside the checkpoint's directory.
        let weightsSize = try #require(try InterruptTests.checkpointFiles(whole, step: Self.steps)["cvivit.safetensors"]).count
        let limit = 16 * 1024
        #expect(weightsSize > 2 * limit)
        #expect(try Data(contentsOf: URL(fileURLWithPath: whole + "/metrics.csv")).count < limit / 2)

        let child = try InterruptTests.Child(arguments(data: data, results: full))
        InterruptTests.waitForFirstCheckpoint(full, child)
        let limiter = try runProcess(try #require(executableOnPath("prlimit")),
                                     ["--pid", "\(child.process.processIdentifier)", "--fsize=\(limit)"])
        #expect(limiter.status == 0, "\(limiter.stderr)")
        let stderr = child.wait()
        #expect(child.process.terminationReason == .exit && child.process.terminationStatus == 1,
                "status \(child.process.terminationStatus) (\(child.process.terminationReason)): \(stderr)")
        #expect(stderr.hasPrefix("error: ") && stderr.contains("File too large"), "\(stderr)")

        // The latest checkpoint is the previous complete one and loads; nothing half-written is left.
        let store = CheckpointStore(directory: URL(fileURLWithPath: full).standardizedFileURL.path + "/checkpoints")
        let latest = try #require(store.latest())
        let step = try Checkpoint.load(directory: latest, config: .tiny, components: [.cvivit]).state.step
        #expect(step >= 1 && step < Self.steps)
        #expect(stderr.contains("the latest checkpoint is still \(latest)"), "\(stderr)")
        let pointer = try String(contentsOfFile: store.directory + "/latest", encoding: .utf8)
        #expect(pointer == CheckpointStore.name(step: step) + "\n")
        let names = try FileManager.default.contentsOfDirectory(atPath: store.directory)
        #expect(!names.contains { $0.hasPrefix(".") }, "leftovers of the failed save: \(names)")
        #expect(store.steps().last == step, "a step directory beyond the latest: \(names)")
        for name in names where name.hasPrefix("step-") {
            _ = try Checkpoint.load(directory: store.directory + "/" + name, config: .tiny, components: [.cvivit])
        }

        // With the space back, --resume goes on from there and ends as the uninterrupted run.
        let resumed = try runProcess(executable, arguments(data: data, results: full) + ["--resume", full], timeout: 300)
        #expect(resumed.status == 0 && !resumed.signaled, "\(resumed.stderr)")
        let expected = try InterruptTests.checkpointFiles(whole, step: Self.steps)
        let got = try InterruptTests.checkpointFiles(full, step: Self.steps)
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (name, bytes) in expected { #expect(got[name] == bytes, "\(name) differs after the failed save and resume") }
    }
}
