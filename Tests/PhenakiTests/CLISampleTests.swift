import Foundation
import GraphRuntime
import MediaIO
import Phenaki
import Testing

/// `phenaki sample` and `phenaki make-video` through the built executable, on random tiny
/// checkpoints. The oracle is the library run in-process with the same arguments: the files
/// must hold exactly its video.
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
final class CLISampleTests {
    let scratch: GenerationScratch
    let checkpoint: String
    /// Two rows (two scenes); `single` holds the first row alone.
    let text: (path: String, tensor: HostTensor)
    let single: String

    init() throws {
        scratch = try GenerationScratch()
        checkpoint = try scratch.checkpoint(seed: 6)
        text = try scratch.embeddings(rows: 2)
        single = try scratch.embeddings(rows: 1, name: "one.npy").path
    }

    private func phenaki(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(try #require(phenakiExecutable), arguments)
    }

    private func out(_ name: String) -> String { scratch.path + "/" + name }

    /// The video the library samples for these settings (tiny checkpoint, first text row).
    private func expected(frames: Int, seed: UInt64, condScale: Double = 3, prime: HostTensor? = nil,
                          checkpoint: String? = nil, critic: CriticSelection = .implied) throws -> HostTensor {
        let sampler = try SamplingCheckpoint.load(directory: checkpoint ?? self.checkpoint, critic: critic).sampler()
        return try Generation.sample(sampler, frames: frames, text: embeddingRow(text.tensor, 0), primeVideo: prime,
                                     options: SamplingOptions(condScale: condScale, seed: seed))
    }

    private func gifBytes(_ video: HostTensor) throws -> [UInt8] {
        try GIFEncoder.encode(try VideoTensor.frames(of: video))
    }

    private func fileBytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A GIF of --frames frames of the model's size, holding the library's video; a line per
    /// step on stderr (not a terminal) and the path on stdout; the same seed gives the same
    /// bytes, another seed others.
    @Test func sampleWritesTheLibrarysGIF() throws {
        let args = ["sample", "--checkpoint", checkpoint, "--text-embeds", single, "--frames", "7", "--seed", "5",
                    "--cond-scale", "2"]
        let result = try phenaki(args + ["--out", out("a.gif")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == out("a.gif") + "\n")
        #expect(result.stderr.split(separator: "\n") == ["step 1/4", "step 2/4", "step 3/4", "step 4/4"], "\(result.stderr)")
        let gif = try GIFDecoder.read(path: out("a.gif")).video
        #expect(gif.frames == 7 && gif.height == 16 && gif.width == 16)
        #expect(try fileBytes(out("a.gif")) == (try gifBytes(try expected(frames: 7, seed: 5, condScale: 2))))

        #expect(try phenaki(args + ["--out", out("b.gif")]).status == 0)
        #expect(try fileBytes(out("b.gif")) == (try fileBytes(out("a.gif"))))
        let other = try phenaki(["sample", "--checkpoint", checkpoint, "--text-embeds", single, "--frames", "7",
                                 "--seed", "6", "--cond-scale", "2", "--out", out("c.gif")])
        #expect(other.status == 0, "\(other.stderr)")
        #expect(try fileBytes(out("c.gif")) != (try fileBytes(out("a.gif"))))
    }

    /// Without --frames a checkpoint whose max_seq_len allows fewer than 17 frames samples as many
    /// as it allows (7 for tiny) instead of failing on 17.
    @Test func framesDefaultToWhatTheCheckpointAllows() throws {
        let result = try phenaki(["sample", "--checkpoint", checkpoint, "--text-embeds", single, "--seed", "5",
                                  "--out", out("default.gif")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(PhenakiConfig.tiny.maxFrames == 7)
        #expect(try fileBytes(out("default.gif")) == (try gifBytes(try expected(frames: 7, seed: 5))))
    }

    /// `.png` writes the frames as a one-row grid; `.mp4` goes through ffmpeg; --steps overrides
    /// the config's step count.
    @Test func pngGridMP4AndSteps() throws {
        let common = ["sample", "--checkpoint", checkpoint, "--text-embeds", single, "--text", "a", "--frames", "5"]
        let png = try phenaki(common + ["--steps", "2", "--out", out("grid.png")])
        #expect(png.status == 0, "\(png.stderr)")
        #expect(png.stderr.split(separator: "\n") == ["step 1/2", "step 2/2"], "\(png.stderr)")
        let sampler = try SamplingCheckpoint.load(directory: checkpoint).sampler(steps: 2)
        let video = try sampler.sample(frames: 5, text: embeddingRow(text.tensor, 0), options: SamplingOptions())
        let grid = try PNGGrid.compose([try VideoTensor.frames(of: video)], columns: 5)
        #expect(try PNGDecoder.read(path: out("grid.png")) == grid.quantized)

        guard let ffmpeg = try? FFmpegTool.locate() else { return }
        let mp4 = try phenaki(common + ["--out", out("clip.mp4")])
        #expect(mp4.status == 0, "\(mp4.stderr)")
        let decoded = try ffmpeg.readVideo(path: out("clip.mp4"))
        #expect(decoded.video.frames == 5 && decoded.video.height == 16 && decoded.video.width == 16)
        #expect(decoded.framesPerSecond == 8)
    }

    /// --prime continues the GIF's frames: the output is the library's primed sample of the
    /// decoded GIF, and differs from a sample primed with other frames under the same seed.
    @Test func primePassesTheFramesThrough() throws {
        let first = try phenaki(["sample", "--checkpoint", checkpoint, "--text-embeds", single, "--text", "a",
                                 "--frames", "3", "--out", out("prime.gif")])
        #expect(first.status == 0, "\(first.stderr)")
        let primed = try phenaki(["sample", "--checkpoint", checkpoint, "--text-embeds", single, "--text", "a",
                                  "--frames", "4", "--seed", "2", "--prime", out("prime.gif"), "--out", out("next.gif")])
        #expect(primed.status == 0, "\(primed.stderr)")
        let gif = try GIFDecoder.read(path: out("next.gif")).video
        #expect(gif.frames == 4)
        let primeVideo = try PrimingMedia(path: out("prime.gif"), config: PhenakiConfig.tiny.cvivit).video
        #expect(primeVideo.shape == [1, 3, 3, 16, 16])
        let want = try expected(frames: 4, seed: 2, prime: primeVideo)
        #expect(try fileBytes(out("next.gif")) == (try gifBytes(want)))
        let grey = HostTensor(shape: primeVideo.shape, dtype: .float32, repeating: 0.5)
        #expect(try gifBytes(try expected(frames: 4, seed: 2, prime: grey)) != (try fileBytes(out("next.gif"))))
    }

    /// make-video with two scenes writes the whole video and each scene beside it, prints all
    /// paths, and the files hold the library's make_video.
    @Test func makeVideoWritesTheWholeAndEachScene() throws {
        let result = try phenaki(["make-video", "--checkpoint", checkpoint, "--text-embeds", text.path,
                                  "--frames", "5,4", "--prime", "3", "--steps", "2", "--seed", "4", "--out", out("film.gif")])
        #expect(result.status == 0, "\(result.stderr)")
        let paths = [out("film.gif"), out("film.scene1.gif"), out("film.scene2.gif")]
        #expect(result.stdout.split(separator: "\n").map(String.init) == paths)
        #expect(result.stderr.split(separator: "\n").first == "scene 1/2 step 1/2")
        #expect(result.stderr.split(separator: "\n").last == "scene 2/2 step 2/2")
        let frames = try paths.map { try GIFDecoder.read(path: $0).video.frames }
        #expect(frames == [9, 5, 4])

        let sampler = try SamplingCheckpoint.load(directory: checkpoint).sampler(steps: 2)
        let made = try sampler.makeVideo(texts: [embeddingRow(text.tensor, 0), embeddingRow(text.tensor, 1)],
                                         frames: [5, 4], primeLengths: [3], options: SamplingOptions(seed: 4))
        for (path, video) in zip(paths, [made.video] + made.scenes) {
            #expect(try fileBytes(path) == (try gifBytes(video)), "\(path)")
        }
    }

    /// A self-critic checkpoint samples with its critic by default; `--critic none` without it.
    @Test func criticDefaultsToTheCheckpoints() throws {
        let selfCritic = try scratch.checkpoint(tinyWithSelfCritic, seed: 8, name: "self")
        for (flag, selection) in [(nil, CriticSelection.implied), ("none", .none)] as [(String?, CriticSelection)] {
            let name = "critic-\(flag ?? "default").gif"
            let result = try phenaki(["sample", "--checkpoint", selfCritic, "--text-embeds", single, "--text", "a",
                                      "--frames", "5", "--out", out(name)] + (flag.map { ["--critic", $0] } ?? []))
            #expect(result.status == 0, "\(result.stderr)")
            let want = try expected(frames: 5, seed: 0, checkpoint: selfCritic, critic: selection)
            #expect(try fileBytes(out(name)) == (try gifBytes(want)), "\(name)")
        }
        #expect(try fileBytes(out("critic-default.gif")) != (try fileBytes(out("critic-none.gif"))))
    }

    /// Mistakes a user can make exit with status 1, a message saying what to change, and no file.
    @Test func errorsExitOneAndWriteNothing() throws {
        try PNGEncoder.write(try MediaIO.VideoFrames(channels: 3, frames: 1, height: 8, width: 8,
                                                     pixels: [Float](repeating: 0.5, count: 192)), to: out("small.png"))
        let base = ["sample", "--text-embeds", single, "--text", "a", "--frames", "5"]
        let cases: [(arguments: [String], message: String, output: String)] = [
            (base + ["--checkpoint", out("missing"), "--out", out("e1.gif")], "does not exist", "e1.gif"),
            (base + ["--checkpoint", checkpoint, "--out", out("e2.avi")], ".gif, .mp4, .png", "e2.avi"),
            (base + ["--checkpoint", checkpoint, "--critic", "token", "--out", out("e3.gif")], "--critic none", "e3.gif"),
            (["sample", "--checkpoint", checkpoint, "--text-embeds", single, "--text", "a", "--frames", "4",
              "--prime", out("small.png"), "--out", out("e4.gif")], "8x8 pixels", "e4.gif"),
            (["sample", "--checkpoint", checkpoint, "--text", "a cat", "--frames", "5", "--out", out("e5.gif")],
             "--text-embeds", "e5.gif"),
            (["sample", "--checkpoint", checkpoint, "--text-embeds", text.path, "--frames", "5", "--out", out("e6.gif")],
             "make-video", "e6.gif"),
            (base + ["--checkpoint", checkpoint, "--frames", "6", "--out", out("e7.gif")], "cannot sample 6 frames", "e7.gif"),
            (["make-video", "--checkpoint", checkpoint, "--text-embeds", text.path, "--frames", "5,4", "--prime", "9",
              "--out", out("e8.gif")], "prime length 9", "e8.gif"),
        ]
        for c in cases {
            let result = try phenaki(c.arguments)
            #expect(result.status == 1, "\(c.arguments)")
            #expect(result.stderr.contains(c.message), "\(c.arguments): \(result.stderr)")
            #expect(!scratch.exists(c.output), "\(c.output)")
        }
        #expect(!scratch.exists("e8.scene1.gif"))
        let invalid = try phenaki(base + ["--checkpoint", checkpoint, "--critic", "best", "--out", out("e9.gif")])
        #expect(invalid.status != 0 && invalid.stderr.contains("none, token, self"), "\(invalid.stderr)")
    }

    /// A MiniLM-conditioned checkpoint encodes --text with all-MiniLM-L6-v2 (when installed);
    /// the GIF holds the library's sample of the encoder's embeddings.
    @Test(.enabled(if: MiniLMAvailability.shouldRun, MiniLMAvailability.skipReason))
    func miniLMText() throws {
        var config = PhenakiConfig.tiny
        config.maskgit.dimContext = 384
        config.phenaki.textEncoder = .minilm
        config.phenaki.textEmbedDim = 384
        let directory = try scratch.checkpoint(config, seed: 2, name: "minilm")
        let result = try phenaki(["sample", "--checkpoint", directory, "--text", "a red ball rolls", "--frames", "5",
                                  "--out", out("ball.gif")])
        #expect(result.status == 0, "\(result.stderr)")
        let embeddings = try MiniLMTextEncoder(maxTextLen: config.phenaki.maxTextLen).encode(["a red ball rolls"]).embeddings
        let sampler = try SamplingCheckpoint.load(directory: directory).sampler()
        let want = try sampler.sample(frames: 5, text: embeddings, options: SamplingOptions())
        #expect(try fileBytes(out("ball.gif")) == (try gifBytes(want)))
        let missing = try phenaki(["sample", "--checkpoint", directory, "--frames", "5", "--out", out("none.gif")])
        #expect(missing.status == 1 && missing.stderr.contains("--text"), "\(missing.stderr)")
    }
}
