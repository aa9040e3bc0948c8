import Foundation
import GraphRuntime
import MediaIO
@testable import Phenaki
import Testing

/// `phenaki train` through the built executable (registered in Tools/phenaki/Phenaki.swift), on
/// the tiny config with MiniLM captions (dim_context 384) and the self critic.
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
struct CLITrainTests {
    private func phenaki(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(try #require(phenakiExecutable), arguments)
    }

    /// Tiny, but with MiniLM text (384 wide) and the self critic.
    static var config: PhenakiConfig {
        var config = PhenakiConfig.tiny
        config.phenaki.textEncoder = .minilm
        config.phenaki.textEmbedDim = 384
        config.maskgit.dimContext = 384
        config.phenaki.selfTokenCritic = true
        return config
    }

    /// A scratch folder with the config file, a C-ViViT checkpoint, captioned 7-frame clips and
    /// captioned still images (both as .jsonl manifests).
    struct Inputs {
        let folder: String
        var config: String { folder + "/config.json" }
        var cvivit: String { folder + "/cvivit" }
        var clips: String { folder + "/clips.jsonl" }
        var images: String { folder + "/images.jsonl" }

        init() throws {
            folder = trainerTemporaryFolder("cli-train")
            try Data(CLITrainTests.config.jsonString().utf8).write(to: URL(fileURLWithPath: config))
            // C-ViViT from a run of another config (precomputed text): only its cvivit section must match.
            try CheckpointWriter().write(try Checkpoint.initial(config: .tiny, seed: 5), to: cvivit)
            let words = ["a red square moving left", "a blue ring moving up", "a green bar moving right",
                         "a grey dot moving down"]
            var clipLines: [String] = [], imageLines: [String] = []
            for (i, caption) in words.enumerated() {
                let pixels = { (frames: Int) in
                    (0..<(3 * frames * 256)).map { (j: Int) -> Float in Float(0.5 + 0.45 * sin(0.13 * Double(j) + Double(i))) }
                }
                try GIFEncoder.write(VideoFrames(channels: 3, frames: 7, height: 16, width: 16, pixels: pixels(7)),
                                     to: folder + "/clip\(i).gif")
                try PNGEncoder.write(VideoFrames(channels: 3, frames: 1, height: 16, width: 16, pixels: pixels(1)),
                                     to: folder + "/image\(i).png")
                clipLines.append("{\"path\": \"clip\(i).gif\", \"caption\": \"\(caption)\"}")
                imageLines.append("{\"path\": \"image\(i).png\", \"caption\": \"\(caption)\"}")
            }
            try Data(clipLines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: clips))
            try Data(imageLines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: images))
        }
    }

    /// The flags every run here shares.
    private func common(_ inputs: Inputs) -> [String] {
        ["train", "--config", inputs.config, "--cvivit", inputs.cvivit, "--data", inputs.clips, "--image-data", inputs.images,
         "--batch", "2", "--lr", "1e-3", "--seed", "3", "--threads", "2", "--quiet"]
    }

    /// One update on images then two on clips, sampling after each: metrics.csv has a row per
    /// update, each sample caption has a PNG (image phase) or GIF (clip phase) named after it,
    /// the checkpoint keeps C-ViViT exactly as given (frozen), holds MaskGit and the self
    /// critic's head, and `phenaki sample` runs on it.
    @Test(.enabled(if: MiniLMAvailability.shouldRun, MiniLMAvailability.skipReason))
    func trainsSamplesAndCheckpoints() throws {
        let inputs = try Inputs()
        defer { try? FileManager.default.removeItem(atPath: inputs.folder) }
        let results = inputs.folder + "/results"
        let run = try phenaki(common(inputs) + ["--steps", "3", "--image-steps", "1", "--save-results-every", "1",
                                                "--sample-texts", "A sneaker, moving left!;a blue ring moving up",
                                                "--results", results])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == URL(fileURLWithPath: results).standardizedFileURL.path)
        let csv = try String(contentsOfFile: results + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 4 && csv[0].hasPrefix("step,loss,maskgit_loss,critic_loss,"), "\(csv)")
        let fm = FileManager.default
        for file in ["loss_curve.svg", "samples/step-000001/a-sneaker-moving-left.png", "samples/step-000001/a-blue-ring-moving-up.png",
                     "samples/step-000002/a-sneaker-moving-left.gif", "samples/step-000003/a-blue-ring-moving-up.gif",
                     "checkpoints/step-000003/critic.safetensors"] {
            #expect(fm.fileExists(atPath: results + "/" + file), "\(file) missing")
        }
        let saved = try Checkpoint.load(directory: results + "/checkpoints/step-000003", config: Self.config)
        let given = try Checkpoint.read(directory: inputs.cvivit)
        #expect(saved.state.step == 3)
        #expect(saved.weights[.cvivit] == given.weights[.cvivit])
        let start = try Checkpoint.initial(config: Self.config, seed: 3)
        #expect(saved.weights[.maskgit] != nil && saved.weights[.maskgit] != start.weights[.maskgit])
        #expect(saved.weights[.critic]?.keys.sorted() == ["to_pred.0.bias", "to_pred.0.weight"])

        let out = inputs.folder + "/sampled.gif"
        let sample = try phenaki(["sample", "--checkpoint", results + "/checkpoints/step-000003", "--text", "a cat",
                                  "--frames", "7", "--out", out, "--threads", "2"])
        #expect(sample.status == 0, "\(sample.stderr)")
        let frames = try GIFDecoder.read(path: out).video
        #expect(frames.frames == 7 && frames.height == 16 && frames.width == 16)
    }

    /// Four updates (two on images, two on clips) straight through, and two + `--resume` for the
    /// rest: the final checkpoints hold bit-equal MaskGit, critic and Adam state, and the
    /// metrics agree.
    @Test(.enabled(if: MiniLMAvailability.shouldRun, MiniLMAvailability.skipReason))
    func resumeIsExact() throws {
        let inputs = try Inputs()
        defer { try? FileManager.default.removeItem(atPath: inputs.folder) }
        let (a, b) = (inputs.folder + "/a", inputs.folder + "/b")
        let flags = common(inputs) + ["--image-steps", "2", "--grad-accum-every", "2", "--save-model-every", "2",
                                      "--save-results-every", "0"]
        let straight = try phenaki(flags + ["--steps", "4", "--results", a])
        #expect(straight.status == 0, "\(straight.stderr)")
        let half = try phenaki(flags + ["--steps", "2", "--results", b])
        #expect(half.status == 0, "\(half.stderr)")
        let resumed = try phenaki(flags + ["--steps", "4", "--resume", b])
        #expect(resumed.status == 0, "\(resumed.stderr)")

        let x = try Checkpoint.load(directory: a + "/checkpoints/step-000004", config: Self.config)
        let y = try Checkpoint.load(directory: b + "/checkpoints/step-000004", config: Self.config)
        #expect(x.state.step == 4 && y.state.step == 4)
        #expect(x.optimizer[.maskgit]?.isEmpty == false && x.optimizer[.critic]?.isEmpty == false)
        for component in [CheckpointComponent.maskgit, .critic] {
            let (p, q) = (x.weights[component] ?? [:], y.weights[component] ?? [:])
            #expect(!p.isEmpty && p == q, "\(component) weights differ: \(p.keys.filter { p[$0] != q[$0] }.sorted().prefix(4))")
            #expect(x.optimizer[component] == y.optimizer[component], "\(component) moments differ")
        }
        // The two-update checkpoint of the straight run is the one the resume started from.
        let mid = try Checkpoint.load(directory: a + "/checkpoints/step-000002", config: Self.config)
        let resumedFrom = try Checkpoint.load(directory: b + "/checkpoints/step-000002", config: Self.config)
        #expect(mid.weights == resumedFrom.weights && mid.optimizer == resumedFrom.optimizer)
        let rowsA = try String(contentsOfFile: a + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        let rowsB = try String(contentsOfFile: b + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(rowsA.count == 5 && rowsB.count == 5)
        // Same losses, learning rate and gradient norm (the seconds column differs).
        func values(_ row: Substring) -> [Substring] { Array(row.split(separator: ",").dropLast()) }
        #expect(zip(rowsA, rowsB).allSatisfy { values($0) == values($1) }, "\(rowsA) vs \(rowsB)")
    }

    /// Bad values exit with status 1 and a message naming the flag.
    @Test func badValuesFail() throws {
        let inputs = try Inputs()
        defer { try? FileManager.default.removeItem(atPath: inputs.folder) }
        let base = ["train", "--config", inputs.config, "--data", inputs.clips, "--quiet", "--results", inputs.folder + "/r"]
        let cvivit = ["--cvivit", inputs.cvivit, "--sample-texts", "a cat"]
        for (flags, message) in [(cvivit + ["--batch", "0"], "--batch 0: it must be at least 1"),
                                 (cvivit + ["--image-steps=-1"], "--image-steps -1: it must be 0 or more"),
                                 (cvivit + ["--train", "all"], "--train all: it must be both, generator or critic"),
                                 (cvivit + ["--save-results-every=-2"], "--save-results-every -2: it must be 0 or more"),
                                 (["--cvivit", inputs.cvivit, "--sample-texts", ";;"], "--sample-texts ';;'"),
                                 (["--cvivit", inputs.cvivit], "--sample-texts (none): it must be given"),
                                 (["--sample-texts", "a cat"], "--cvivit (none): it must be a checkpoint"),
                                 (["--cvivit", inputs.folder, "--sample-texts", "a cat"], "is not a complete checkpoint")] {
            let run = try phenaki(base + flags)
            #expect(run.status == 1, "\(flags): \(run.status)")
            #expect(run.stderr.contains(message), "\(flags): \(run.stderr)")
        }
        // A config with precomputed text cannot encode training captions.
        let tiny = try phenaki(["train", "--variant", "tiny", "--cvivit", inputs.cvivit, "--data", inputs.clips, "--quiet",
                                "--results", inputs.folder + "/r"])
        #expect(tiny.status == 1 && tiny.stderr.contains("--config (phenaki.text_encoder 'precomputed')"), "\(tiny.stderr)")
        // C-ViViT of another cvivit section is refused, naming the keys.
        var other = PhenakiConfig.tiny
        other.cvivit.dim = 16
        try CheckpointWriter().write(try Checkpoint.initial(config: other, seed: 1), to: inputs.folder + "/other")
        let mismatch = try phenaki(base + ["--cvivit", inputs.folder + "/other", "--save-results-every", "0"])
        #expect(mismatch.status == 1 && mismatch.stderr.contains("cvivit.dim: checkpoint 16, given 32"), "\(mismatch.stderr)")
    }

    /// Sample file names: captions slugified, repeats numbered.
    @Test func sampleNames() {
        #expect(SampleNames.slug("A sneaker, moving left!") == "a-sneaker-moving-left")
        #expect(SampleNames.slug("  --Ünïcode 42 ") == "n-code-42")
        #expect(SampleNames.slug("!!!") == "sample")
        #expect(SampleNames.unique(["a", "b", "a", "a"]) == ["a", "b", "a-2", "a-3"])
    }
}
