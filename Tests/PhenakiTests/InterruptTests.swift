import Foundation
import MediaIO
@testable import Phenaki
import Testing

/// Ctrl-C (issue 7): SIGINT during `phenaki train-cvivit` and `phenaki train` saves a checkpoint
/// of the last finished update, prints where it is and how to resume, and exits with status 130;
/// more SIGINTs while it saves change nothing; `--resume` from it ends with checkpoint files
/// equal byte for byte to an uninterrupted run's.
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
struct InterruptTests {
    static let steps = 30
    static let saveEvery = 4

    /// A child `phenaki` run, its standard error collected.
    final class Child {
        let process = Process()
        let errors = Pipe()
        private let box = Box()
        private let done = DispatchSemaphore(value: 0)

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: try #require(phenakiExecutable))
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            let (handle, box, done) = (errors.fileHandleForReading, box, done)
            Thread {
                box.data = handle.readDataToEndOfFile()
                done.signal()
            }.start()
        }

        /// Waits (at most `timeout` seconds, then SIGKILL) and returns the standard error.
        func wait(timeout: TimeInterval = 300) -> String {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            done.wait()
            return String(decoding: box.data, as: UTF8.self)
        }

        private final class Box: @unchecked Sendable { var data = Data() }
    }

    /// Waits until `results` has its first checkpoint (or the child ended).
    static func waitForFirstCheckpoint(_ results: String, _ child: Child) {
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: results + "/checkpoints/latest"), child.process.isRunning,
              Date() < deadline {
            usleep(2_000)
        }
    }

    /// The regular files of checkpoint `step` of `results`, by path inside it.
    static func checkpointFiles(_ results: String, step: Int) throws -> [String: Data] {
        let folder = results + "/checkpoints/" + CheckpointStore.name(step: step)
        let fm = FileManager.default
        var files: [String: Data] = [:]
        for path in try fm.subpathsOfDirectory(atPath: folder) {
            var directory: ObjCBool = false
            guard fm.fileExists(atPath: folder + "/" + path, isDirectory: &directory), !directory.boolValue else { continue }
            files[path] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))
        }
        return files
    }

    /// Interrupts the run `arguments(results)` describes with `signals` SIGINTs after its first
    /// checkpoint, checks the exit, the message and the checkpoint, resumes it and compares the
    /// final checkpoint with an uninterrupted run's.
    func interruptAndResume(_ arguments: (String) -> [String], config: PhenakiConfig, component: CheckpointComponent,
                            signals: Int, folder: String) throws {
        let executable = try #require(phenakiExecutable)
        let whole = folder + "/whole", interrupted = folder + "/interrupted"
        let reference = try runProcess(executable, arguments(whole), timeout: 300)
        #expect(reference.status == 0 && !reference.signaled, "\(reference.stderr)")

        let child = try Child(arguments(interrupted))
        Self.waitForFirstCheckpoint(interrupted, child)
        for i in 0..<signals {
            kill(child.process.processIdentifier, SIGINT)
            usleep(i == 0 ? 1_000 : 20_000)  // the later ones land during the update or the save
        }
        let stderr = child.wait()
        #expect(child.process.terminationReason == .exit && child.process.terminationStatus == 130,
                "status \(child.process.terminationStatus) (\(child.process.terminationReason)): \(stderr)")

        // The message names the checkpoint and the resume flag; the checkpoint is the latest,
        // complete, loads, and holds the update the message names.
        let store = CheckpointStore(directory: URL(fileURLWithPath: interrupted).standardizedFileURL.path + "/checkpoints")
        let latest = try #require(store.latest())
        let checkpoint = try Checkpoint.load(directory: latest, config: config, components: [component])
        let step = checkpoint.state.step
        #expect(step >= Self.saveEvery && step < Self.steps, "interrupted at \(step)")
        #expect(stderr.contains("interrupted after update \(step); the checkpoint of update \(step) is \(latest)"), "\(stderr)")
        #expect(stderr.contains("--resume \(store.directory.dropLast("/checkpoints".count))"), "\(stderr)")
        #expect(stderr.contains("stopping after the current update"), "\(stderr)")
        #expect(!stderr.contains("error:"), "\(stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: store.directory)
        #expect(!names.contains { $0.hasPrefix(".") }, "leftovers of a save: \(names)")

        let resumed = try runProcess(executable, arguments(interrupted) + ["--resume", interrupted], timeout: 300)
        #expect(resumed.status == 0 && !resumed.signaled, "\(resumed.stderr)")
        let expected = try Self.checkpointFiles(whole, step: Self.steps)
        let got = try Self.checkpointFiles(interrupted, step: Self.steps)
        #expect(expected.keys.contains(component.fileName))
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (name, bytes) in expected { #expect(got[name] == bytes, "\(name) differs after the interrupt and resume") }
    }

    @Test("train-cvivit: SIGINT saves the last update, exits 130; --resume ends as an uninterrupted run",
          arguments: [1, 4])
    func trainCViViT(signals: Int) throws {
        let folder = trainerTemporaryFolder("interrupt-cvivit")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = folder + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for i in 0..<4 {
            let pixels = (0..<(3 * 16 * 16)).map { (j: Int) -> Float in Float(0.5 + 0.45 * sin(0.23 * Double(j) + Double(i))) }
            try PNGEncoder.write(VideoFrames(channels: 3, frames: 1, height: 16, width: 16, pixels: pixels), to: data + "/\(i).png")
        }
        try interruptAndResume({ results in
            ["train-cvivit", "--variant", "tiny", "--data", data, "--images", "--steps", "\(Self.steps)", "--batch", "2",
             "--lr", "1e-3", "--save-model-every", "\(Self.saveEvery)", "--save-results-every", "100",
             "--results", results, "--seed", "7", "--threads", "2", "--quiet"]
        }, config: .tiny, component: .cvivit, signals: signals, folder: folder)
    }

    @Test("train (unconditional MaskGit): SIGINT saves the last update, exits 130; --resume ends as an uninterrupted run")
    func trainPhenaki() throws {
        let folder = trainerTemporaryFolder("interrupt-phenaki")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var config = PhenakiConfig.tiny
        config.maskgit.unconditional = true
        let configFile = folder + "/config.json", cvivit = folder + "/cvivit", data = folder + "/clips"
        try Data(config.jsonString().utf8).write(to: URL(fileURLWithPath: configFile))
        try CheckpointWriter().write(try Checkpoint.initial(config: .tiny, seed: 5), to: cvivit)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for i in 0..<4 {
            let pixels = (0..<(3 * 7 * 256)).map { (j: Int) -> Float in Float(0.5 + 0.45 * sin(0.17 * Double(j) + Double(i))) }
            try GIFEncoder.write(VideoFrames(channels: 3, frames: 7, height: 16, width: 16, pixels: pixels),
                                 to: data + "/clip\(i).gif")
        }
        try interruptAndResume({ results in
            ["train", "--config", configFile, "--cvivit", cvivit, "--data", data, "--steps", "\(Self.steps)", "--batch", "2",
             "--lr", "1e-3", "--save-model-every", "\(Self.saveEvery)", "--save-results-every", "0",
             "--results", results, "--seed", "3", "--threads", "2", "--quiet"]
        }, config: config, component: .maskgit, signals: 1, folder: folder)
    }

    @Test("the interruption message: the checkpoint and --resume, or why there is none")
    func message() {
        let saved = TrainingInterrupted(step: 7, checkpoint: "/r/checkpoints/step-000007", checkpointStep: 7, results: "/r")
        #expect(saved.description == "interrupted after update 7; the checkpoint of update 7 is /r/checkpoints/step-000007. "
            + "To go on, run the same command with --resume /r")
        let skipped = TrainingInterrupted(step: 8, checkpoint: "/r/checkpoints/step-000007", checkpointStep: 7, results: "/r")
        #expect(skipped.description.contains("the checkpoint of update 7 (update 8 was skipped) is /r/checkpoints/step-000007"))
        let none = TrainingInterrupted(step: 1, checkpoint: nil, checkpointStep: nil, results: "/r")
        #expect(none.description.contains("before any checkpoint was saved"))
    }
}
