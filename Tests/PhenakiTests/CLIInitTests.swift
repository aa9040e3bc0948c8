import Foundation
import GraphRuntime
import Phenaki
import Testing

/// `phenaki init` through the built executable.
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
final class CLIInitTests {
    let scratch: CheckpointScratch

    init() throws {
        scratch = try CheckpointScratch()
    }

    private func phenaki(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(try #require(phenakiExecutable), arguments)
    }

    /// `init --variant tiny` writes the initial checkpoint of the seed, prints its path last,
    /// and the checkpoint loads against the tiny config and its graphs.
    @Test func initWritesTheSeedsCheckpoint() throws {
        let out = scratch.path + "/run/ckpt"
        try FileManager.default.createDirectory(atPath: scratch.path + "/run", withIntermediateDirectories: false)
        let result = try phenaki(["init", "--variant", "tiny", "--out", out, "--seed", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").last.map(String.init) == out, "\(result.stdout)")
        let checkpoint = try Checkpoint.load(directory: out, config: .tiny)
        #expect(checkpoint == (try Checkpoint.initial(config: .tiny, seed: 3)))
        #expect(scratch.list("run") == ["ckpt"])
        #expect(try String(contentsOfFile: out + "/config.json", encoding: .utf8) == PhenakiConfig.tiny.jsonString())
    }

    /// A non-empty --out is refused with a message naming --force, and left alone; --force
    /// replaces it.
    @Test func nonEmptyDirectoryNeedsForce() throws {
        let out = scratch.path + "/ckpt"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
        let refused = try phenaki(["init", "--variant", "tiny", "--out", out])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("is not empty") && refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(scratch.list("ckpt") == ["notes.txt"])

        let forced = try phenaki(["init", "--variant", "tiny", "--out", out, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(!scratch.list("ckpt").contains("notes.txt"))
        _ = try Checkpoint.load(directory: out, config: .tiny)
    }

    /// A config file works like a variant; a config that does not validate is refused before
    /// anything is written.
    @Test func configFileAndInvalidConfig() throws {
        let config = scratch.path + "/config.json"
        try Data(PhenakiConfig.tiny.jsonString().utf8).write(to: URL(fileURLWithPath: config))
        let ok = try phenaki(["init", "--config", config, "--out", scratch.path + "/a", "--seed", "3"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try Checkpoint.read(directory: scratch.path + "/a").weights
            == (try Checkpoint.initial(config: .tiny, seed: 3)).weights)

        try Data(configJSON(.tiny, ["maskgit.num_tokens": 100]).utf8).write(to: URL(fileURLWithPath: config))
        let bad = try phenaki(["init", "--config", config, "--out", scratch.path + "/b"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("num_tokens"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/b"))
    }
}
