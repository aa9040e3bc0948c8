import ArgumentParser
import Foundation
import Phenaki

/// `phenaki sample`: one video from a checkpoint and a prompt, written as GIF, MP4 or a PNG grid.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample a video from a checkpoint and a prompt; write it as .gif, .mp4 or a .png grid.",
        discussion: """
            The text goes through the checkpoint's phenaki.text_encoder: minilm or t5 encode --text \
            (--text-model-dir), precomputed needs --text-embeds FILE.npy. An unconditional model ignores text. \
            --prime FILE (gif, mp4, png, jpg, jpeg) continues those frames: they must already be the model's \
            frame size (they are not resized or cropped); of N frames the last 1 + k·temporal_patch_size are \
            used (the largest such count), and --frames then counts the new frames only, which are all \
            that is written. Progress goes to stderr, the written path to stdout.
            """
    )

    @OptionGroup var generation: GenerationOptions

    @Option(help: ArgumentHelp("Frames to sample (primed: new frames, a multiple of temporal_patch_size; default: 17, "
                               + "or the most the checkpoint's max_seq_len allows when that is fewer)."))
    var frames: Int?

    @Option(help: ArgumentHelp("Frames to continue: a .gif, .mp4, .png, .jpg or .jpeg of the model's frame size.",
                               valueName: "file"))
    var prime: String?

    @Option(help: ArgumentHelp("Output file; the extension picks the format: .gif, .mp4 or .png (a grid of the frames).",
                               valueName: "file"))
    var out: String

    func validate() throws {
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1, got \(frames)") }
    }

    /// 17 frames (16 new ones after a prime), or the most the config's sequence length leaves room for.
    static func defaultFrames(config: PhenakiConfig, primeFrames: Int) -> Int {
        guard primeFrames > 0 else { return min(17, config.maxFrames) }
        let step = config.cvivit.temporalPatchSize
        let room = (config.maxFrames - primeFrames) / step * step
        return max(step, min(16, room))
    }

    func run() throws {
        let progress = ProgressLine()
        do {
            let format = try VideoFileFormat(path: out)
            try format.checkAvailable()
            let (checkpoint, sampler) = try generation.loadSampler()
            let texts = try generation.sceneText(config: checkpoint.config)
            if let texts, texts.count != 1 { throw GenerationError.oneTextOnly(count: texts.count) }
            var primeFrames = 0
            let primeVideo = try prime.map { path in
                let media = try PrimingMedia(path: path, config: checkpoint.config.cvivit)
                if media.framesUsed != media.framesRead {
                    FileHandleOutput.standardError("note: priming with the last \(media.framesUsed) of \(media.framesRead) frames of \(path)\n")
                }
                primeFrames = media.framesUsed
                return media.video
            }
            let frames = self.frames ?? Self.defaultFrames(config: checkpoint.config, primeFrames: primeFrames)
            let video = try Generation.sample(sampler, frames: frames, text: texts?.first, primeVideo: primeVideo,
                                              options: generation.samplingOptions, progress: progress.show)
            progress.finish()
            try format.write(video, to: out)
            print(out)
        } catch {
            progress.finish()
            throw fail(error)
        }
    }
}
