import Foundation
import GraphRuntime
import MediaIO
import Phenaki
import Testing

/// The library side of `phenaki sample` / `make-video`: loading a checkpoint for sampling,
/// text per scene, the progress-reporting drivers against the sampler's own functions, video
/// conversion and files.
@Suite struct GenerationTests {
    /// The loaded state_dict is the checkpoint's weights under their `Phenaki` prefixes, and
    /// `Generation.sample` (with progress) returns exactly `PhenakiSampler.sample`'s video,
    /// reporting each step once, in order; `steps` overrides the config's.
    @Test func sampleMatchesTheSamplerAndReportsEachStep() throws {
        let scratch = try GenerationScratch()
        let directory = try scratch.checkpoint(seed: 4)
        let loaded = try SamplingCheckpoint.load(directory: directory)
        let checkpoint = try Checkpoint.read(directory: directory)
        #expect(loaded.critic == nil)
        #expect(Set(loaded.parameters.keys) == Set(checkpoint.weights[.cvivit]!.keys.map { "cvivit." + $0 }
            + checkpoint.weights[.maskgit]!.keys.map { "maskgit." + $0 }))
        #expect(loaded.parameters["maskgit.to_logits.weight"] == checkpoint.weights[.maskgit]!["to_logits.weight"])

        let text = embeddingRow(try scratch.embeddings(rows: 1).tensor, 0)
        let options = SamplingOptions(condScale: 2, seed: 11)
        for steps in [nil, 2] {
            let sampler = try loaded.sampler(steps: steps)
            #expect(sampler.config.phenaki.steps == steps ?? PhenakiConfig.tiny.phenaki.steps)
            var seen: [GenerationProgress] = []
            let video = try Generation.sample(sampler, frames: 5, text: text, options: options) { seen.append($0) }
            let want = try PhenakiSampler(config: sampler.config, parameters: loaded.parameters, critic: nil)
                .sample(frames: 5, text: text, options: options)
            #expect(video == want)
            #expect(video.shape == [1, 3, 5, 16, 16])
            let total = sampler.config.phenaki.steps
            #expect(seen == (1...total).map { GenerationProgress(scene: 1, scenes: 1, step: $0, steps: total) })
        }
        #expect(throws: GenerationError.invalidSteps(0)) { try loaded.sampler(steps: 0) }
    }

    /// Primed sampling through `Generation.sample` equals the sampler's, and priming changes the
    /// result (same seed).
    @Test func primedSampleMatchesTheSampler() throws {
        let scratch = try GenerationScratch()
        let loaded = try SamplingCheckpoint.load(directory: try scratch.checkpoint(seed: 2))
        let sampler = try loaded.sampler()
        let text = embeddingRow(try scratch.embeddings(rows: 1).tensor, 0)
        let prime = try sampler.sample(frames: 3, text: text, options: SamplingOptions(seed: 1))
        let primed = try Generation.sample(sampler, frames: 4, text: text, primeVideo: prime, options: SamplingOptions(seed: 5))
        #expect(primed == (try sampler.sample(frames: 4, text: text, primeVideo: prime, options: SamplingOptions(seed: 5))))
        #expect(primed.shape == [1, 3, 4, 16, 16])
        let unprimed = try Generation.sample(sampler, frames: 5, text: text, options: SamplingOptions(seed: 5))
        #expect(Array(unprimed.scalars.suffix(primed.count)) != primed.scalars)
    }

    /// `Generation.makeVideo` gives `PhenakiSampler.makeVideo`'s scenes and whole video, with
    /// progress per scene and step; an unconditional model makes one scene per frame count.
    @Test func makeVideoMatchesTheSampler() throws {
        let scratch = try GenerationScratch()
        let loaded = try SamplingCheckpoint.load(directory: try scratch.checkpoint(seed: 3))
        let sampler = try loaded.sampler(steps: 2)
        let rows = try scratch.embeddings(rows: 2).tensor
        let texts = [embeddingRow(rows, 0), embeddingRow(rows, 1)]
        var seen: [GenerationProgress] = []
        let made = try Generation.makeVideo(sampler, texts: texts, frames: [5, 4], primeLengths: [3],
                                            options: SamplingOptions(seed: 9)) { seen.append($0) }
        let want = try sampler.makeVideo(texts: texts, frames: [5, 4], primeLengths: [3], options: SamplingOptions(seed: 9))
        #expect(made.video == want.video)
        #expect(made.scenes == want.scenes)
        #expect(made.scenes.map { $0.shape[2] } == [5, 4] && made.video.shape[2] == 9)
        #expect(seen.map { [$0.scene, $0.step] } == [[1, 1], [1, 2], [2, 1], [2, 2]])
        #expect(throws: SamplingError.self) {
            try Generation.makeVideo(sampler, texts: texts, frames: [5, 4, 4], primeLengths: [3])
        }

        var unconditional = PhenakiConfig.tiny
        unconditional.maskgit.unconditional = true
        let free = try SamplingCheckpoint.load(directory: try scratch.checkpoint(unconditional, name: "free")).sampler(steps: 2)
        let scenes = try Generation.makeVideo(free, texts: nil, frames: [3, 2], primeLengths: [1])
        #expect(scenes.scenes.map { $0.shape[2] } == [3, 2])
    }

    /// `--critic`: the implied critic loads the critic weights under `critic.*`; asking for a
    /// critic the checkpoint lacks names what it has; `none` drops the critic.
    @Test func criticSelection() throws {
        let scratch = try GenerationScratch()
        let token = try scratch.checkpoint(tinyWithTokenCritic, name: "token")
        let selfCritic = try scratch.checkpoint(tinyWithSelfCritic, name: "self")
        let plain = try scratch.checkpoint(name: "plain")

        let withToken = try SamplingCheckpoint.load(directory: token)
        #expect(withToken.critic == .token)
        #expect(withToken.parameters.keys.contains { $0.hasPrefix("critic.") })
        let withSelf = try SamplingCheckpoint.load(directory: selfCritic)
        #expect(withSelf.critic == .selfCritic)
        #expect(Set(withSelf.parameters.keys.filter { $0.hasPrefix("critic.") }) == ["critic.to_pred.0.weight", "critic.to_pred.0.bias"])
        let without = try SamplingCheckpoint.load(directory: selfCritic, critic: .none)
        #expect(without.critic == nil && !without.parameters.keys.contains { $0.hasPrefix("critic.") })

        #expect(throws: GenerationError.criticUnavailable(requested: .token, checkpoint: selfCritic, available: .selfCritic)) {
            try SamplingCheckpoint.load(directory: selfCritic, critic: .critic(.token))
        }
        #expect(throws: GenerationError.criticUnavailable(requested: .selfCritic, checkpoint: plain, available: nil)) {
            try SamplingCheckpoint.load(directory: plain, critic: .critic(.selfCritic))
        }
        // A critic the config names but whose file is gone.
        try FileManager.default.removeItem(atPath: token + "/critic.safetensors")
        #expect(throws: CheckpointError.missingComponent(path: token, component: .critic)) {
            try SamplingCheckpoint.load(directory: token)
        }
        #expect(try SamplingCheckpoint.load(directory: token, critic: .none).critic == nil)
        #expect(CriticSelection(argument: "self") == .critic(.selfCritic) && CriticSelection(argument: "none") == CriticSelection.none)
        #expect(CriticSelection(argument: "tokens") == nil)
    }

    /// Text per scene: embeddings files give rows; prompts alone do not suit `precomputed`; an
    /// unconditional model ignores text with a note; rows and prompts must pair up.
    @Test func sceneText() throws {
        let scratch = try GenerationScratch()
        let (file, rows) = try scratch.embeddings(rows: 2)
        let (single, one) = try scratch.embeddings(rows: 1, name: "one.npy")
        let two = try SceneText(config: .tiny, texts: [], embeddingFiles: [file])
        #expect(two.scenes == [embeddingRow(rows, 0), embeddingRow(rows, 1)] && two.notes.isEmpty)
        let both = try SceneText(config: .tiny, texts: ["a", "b", "c"], embeddingFiles: [single])
        #expect(both.scenes == Array(repeating: embeddingRow(one, 0), count: 3))
        #expect(try SceneText(config: .tiny, texts: [], embeddingFiles: [single, file]).scenes?.count == 3)
        #expect(throws: GenerationError.textCount(texts: 3, embeddingRows: 2)) {
            try SceneText(config: .tiny, texts: ["a", "b", "c"], embeddingFiles: [file])
        }
        #expect(throws: GenerationError.textNeedsEmbeddings) { try SceneText(config: .tiny, texts: ["a cat"]) }
        #expect(throws: GenerationError.missingText(encoder: .precomputed)) { try SceneText(config: .tiny, texts: []) }
        let wide = try scratch.embeddings(rows: 1, dim: 16, name: "wide.npy").path
        #expect(throws: TextEncoderError.self) { try SceneText(config: .tiny, texts: [], embeddingFiles: [wide]) }

        var unconditional = PhenakiConfig.tiny
        unconditional.maskgit.unconditional = true
        let ignored = try SceneText(config: unconditional, texts: ["a cat"])
        #expect(ignored.scenes == nil && ignored.notes.count == 1 && ignored.notes[0].contains("unconditional"))
        #expect(try SceneText(config: unconditional, texts: []).notes.isEmpty)
    }

    /// Tensors become frames clamped to [0, 1] (NaN to 0) in the same layout; a written GIF
    /// (at most 256 colours a frame, so its palette is exact) decodes to those values rounded
    /// to 8 bits; the PNG is a one-row grid of the frames.
    @Test func videoConversionAndFiles() throws {
        let scratch = try GenerationScratch()
        let (c, f, h, w) = (3, 2, 4, 5)
        var values = (0..<(2 * c * f * h * w)).map { Double(Float(Double($0 % 37) / 30 - 0.1)) }
        values[c * f * h * w + 3] = .nan
        let video = HostTensor(shape: [2, c, f, h, w], dtype: .float32, scalars: values)
        let frames = try VideoTensor.frames(of: video, row: 1)
        #expect(frames.channels == c && frames.frames == f && frames.height == h && frames.width == w)
        let expected = values[(c * f * h * w)...].map { Float($0).isNaN ? Float(0) : min(max(Float($0), 0), 1) }
        #expect(frames.pixels == Array(expected))
        #expect(VideoTensor.tensor(of: frames) == HostTensor(shape: [1, c, f, h, w], dtype: .float32,
                                                             scalars: expected.map(Double.init)))
        #expect(throws: MediaError.self) { try VideoTensor.frames(of: video, row: 2) }

        let gif = scratch.path + "/v.GIF"
        try VideoFileFormat(path: gif).write(video, row: 1, to: gif)
        let decoded = try GIFDecoder.read(path: gif).video
        #expect(decoded.frames == f && decoded.height == h && decoded.width == w)
        #expect(decoded.pixels == expected.map { ($0 * 255).rounded() / 255 })

        let png = scratch.path + "/v.png"
        try VideoFileFormat.png.write(video, to: png)
        let grid = try PNGDecoder.read(path: png)
        #expect(grid == (try PNGGrid.compose([try VideoTensor.frames(of: video)], columns: f)).quantized)
        #expect(throws: GenerationError.unknownOutputFormat(path: "x.webm", valid: ["gif", "mp4", "png"])) {
            try VideoFileFormat(path: "x.webm")
        }
        #expect(VideoFileFormat.scenePath("out/walk.gif", scene: 2) == "out/walk.scene2.gif")
        #expect(VideoFileFormat.scenePath("out.d/walk", scene: 1) == "out.d/walk.scene1")
    }

    /// A failed write in `writeAll` removes the files written before it.
    @Test func writeAllLeavesNothingOnFailure() throws {
        let scratch = try GenerationScratch()
        let video = HostTensor(shape: [1, 1, 1, 2, 2], dtype: .float32, repeating: 0.5)
        #expect(throws: MediaError.self) {
            try VideoFileFormat.writeAll([(video, scratch.path + "/a.gif"), (video, scratch.path + "/missing/b.gif")])
        }
        #expect(!scratch.exists("a.gif"))
    }

    /// Priming media: the last 1 + k·temporal_patch_size frames, grey repeated into RGB, RGB
    /// to grey by BT.601 luma; other sizes and extensions are refused with what to do.
    @Test func primingMedia() throws {
        let scratch = try GenerationScratch()
        let config = PhenakiConfig.tiny.cvivit
        let count = 1 * 6 * 16 * 16
        let grey = try MediaIO.VideoFrames(channels: 1, frames: 6, height: 16, width: 16,
                                           pixels: (0..<count).map { Float($0 % 256) / 255 })
        let gif = scratch.path + "/grey.gif"
        try GIFEncoder.write(grey, to: gif)
        let media = try PrimingMedia(path: gif, config: config)
        #expect(media.framesRead == 6 && media.framesUsed == 5)
        let read = try GIFDecoder.read(path: gif).video
        let plane = 16 * 16
        let lastFive = Array(read.pixels[plane...]).map(Double.init)
        #expect(media.video == HostTensor(shape: [1, 3, 5, 16, 16], dtype: .float32, scalars: lastFive + lastFive + lastFive))

        let rgb = try MediaIO.VideoFrames(channels: 3, frames: 1, height: 16, width: 16,
                                          pixels: (0..<(3 * plane)).map { Float($0 % 7) / 6 })
        let png = scratch.path + "/rgb.png"
        try PNGEncoder.write(rgb, to: png)
        var greyConfig = config
        greyConfig.channels = 1
        let luma = try PrimingMedia(path: png, config: greyConfig).video
        let stored = try PNGDecoder.read(path: png).pixels
        #expect(luma.shape == [1, 1, 1, 16, 16])
        for p in [0, 1, 100, 255] {
            let want = Double(0.299 * stored[p] + 0.587 * stored[plane + p] + 0.114 * stored[2 * plane + p])
            #expect(abs(luma.scalars[p] - want) < 1e-6)
        }

        let small = scratch.path + "/small.png"
        try PNGEncoder.write(try MediaIO.VideoFrames(channels: 3, frames: 1, height: 8, width: 12,
                                                     pixels: [Float](repeating: 0.5, count: 3 * 96)), to: small)
        #expect(throws: GenerationError.primeFrameSize(path: small, height: 8, width: 12, expectedHeight: 16, expectedWidth: 16)) {
            try PrimingMedia(path: small, config: config)
        }
        #expect(throws: GenerationError.unknownMediaFormat(path: "clip.webm", valid: PrimingMedia.extensions)) {
            try PrimingMedia(path: "clip.webm", config: config)
        }
    }
}

extension MediaIO.VideoFrames {
    /// The values a PNG or GIF stores: clamped and rounded to 8 bits.
    var quantized: MediaIO.VideoFrames {
        var copy = self
        copy.pixels = pixels.map { (min(max($0, 0), 1) * 255).rounded() / 255 }
        return copy
    }
}
