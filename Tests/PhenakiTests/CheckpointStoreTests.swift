import Foundation
import GraphRuntime
import Phenaki
import Testing

/// Numbered checkpoints in a results folder: the `latest` lookup, retention, and that a save
/// that fails part-way leaves the previous checkpoint the latest and intact.
@Suite struct CheckpointStoreTests {
    /// An error the write hook throws, standing in for a crash.
    struct SimulatedCrash: Error, Equatable {}

    @Test func namesSortByStep() {
        #expect(CheckpointStore.name(step: 100) == "step-000100")
        #expect(CheckpointStore.name(step: 12_345_678) == "step-12345678")
        #expect(CheckpointStore.step(ofName: "step-000100") == 100)
        #expect(CheckpointStore.step(ofName: ".step-000100.tmp-1-2") == nil)
        #expect(CheckpointStore.step(ofName: "step-") == nil)
        #expect(CheckpointStore.step(ofName: "step-1x") == nil)
    }

    /// Three saves keeping two: the oldest goes, `latest` names the newest.
    @Test func latestAndRetention() throws {
        let scratch = try CheckpointScratch()
        let store = CheckpointStore(directory: scratch.path + "/checkpoints", keepLast: 2)
        #expect(store.latest() == nil)
        var saved: [Checkpoint] = []
        for step in [100, 200, 300] {
            let checkpoint = try filledCheckpoint(step: step)
            #expect(try store.save(checkpoint) == store.directory + "/" + CheckpointStore.name(step: step))
            saved.append(checkpoint)
        }
        #expect(store.steps() == [200, 300])
        #expect(scratch.list("checkpoints") == ["latest", "step-000200", "step-000300"])
        #expect(try String(contentsOfFile: store.directory + "/latest", encoding: .utf8) == "step-000300\n")
        let latest = try #require(store.latest())
        #expect(latest == store.directory + "/step-000300")
        #expect(try store.loadLatest(config: .tiny) == saved[2])
        #expect(try CheckpointStore(directory: scratch.path + "/none").loadLatest(config: .tiny) == nil)
        #expect(try Checkpoint.read(directory: store.directory + "/step-000200") == saved[1])
    }

    /// A save that fails after some files (here: after MaskGit's weights) leaves no step-200
    /// directory and no temporary one; step 100 stays the latest, byte for byte.
    @Test func failedSaveKeepsThePreviousCheckpoint() throws {
        let scratch = try CheckpointScratch()
        let directory = scratch.path + "/checkpoints"
        let first = try filledCheckpoint(step: 100)
        try CheckpointStore(directory: directory).save(first)
        let before = try snapshot(directory + "/step-000100")

        var written: [String] = []
        let failing = CheckpointWriter { file in
            written.append(file)
            if file == "maskgit.safetensors" { throw SimulatedCrash() }
        }
        let store = CheckpointStore(directory: directory, keepLast: 1, writer: failing)
        #expect(throws: SimulatedCrash()) { try store.save(try filledCheckpoint(step: 200)) }
        #expect(written == ["config.json", "state.json", "cvivit.safetensors", "maskgit.safetensors"])
        #expect(scratch.list("checkpoints") == ["latest", "step-000100"])
        #expect(store.latest() == directory + "/step-000100")
        #expect(try snapshot(directory + "/step-000100") == before)
        #expect(try Checkpoint.load(directory: directory + "/step-000100", config: .tiny) == first)

        // Replacing the same step fails the same way: the old step 100 stays whole.
        #expect(throws: SimulatedCrash()) { try store.save(try filledCheckpoint(step: 100)) }
        #expect(try snapshot(directory + "/step-000100") == before)
        #expect(scratch.list("checkpoints") == ["latest", "step-000100"])
    }

    /// What a killed process leaves — a temporary directory, a directory without format.json, a
    /// `latest` naming a checkpoint that is gone — is never taken for the latest checkpoint,
    /// and the next save clears the temporary directories.
    @Test func leftoversOfAKilledSaveAreIgnored() throws {
        let scratch = try CheckpointScratch()
        let directory = scratch.path + "/checkpoints"
        let store = CheckpointStore(directory: directory)
        try store.save(try filledCheckpoint(step: 100))
        let manager = FileManager.default
        try manager.copyItem(atPath: directory + "/step-000100", toPath: directory + "/.step-000200.tmp-99-1")
        try manager.copyItem(atPath: directory + "/step-000100", toPath: directory + "/step-000300")
        try manager.removeItem(atPath: directory + "/step-000300/format.json")
        #expect(store.latest() == directory + "/step-000100")
        #expect(store.steps() == [100])

        try Data("step-000400\n".utf8).write(to: URL(fileURLWithPath: directory + "/latest"))
        #expect(store.latest() == directory + "/step-000100")

        try store.save(try filledCheckpoint(step: 150))
        #expect(scratch.list("checkpoints") == ["latest", "step-000100", "step-000150", "step-000300"])
        #expect(store.latest() == directory + "/step-000150")
    }

    /// Every file under `path` by relative path, with its bytes.
    private func snapshot(_ path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for relative in try FileManager.default.subpathsOfDirectory(atPath: path) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue { files[relative] = try Data(contentsOf: URL(fileURLWithPath: path + "/" + relative)) }
        }
        return files
    }
}
