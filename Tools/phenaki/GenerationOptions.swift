import ArgumentParser
import Foundation
import GraphRuntime
import Phenaki

/// The options `sample` and `make-video` share: the checkpoint, the text, the sampler settings.
struct GenerationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A checkpoint directory (from `phenaki init` or a trainer).", valueName: "dir"))
    var checkpoint: String

    @Option(name: .customLong("text"), help: "A prompt (make-video: one per scene, in order).")
    var texts: [String] = []

    @Option(name: .customLong("text-embeds"),
            help: ArgumentHelp("Precomputed text embeddings .npy ([tokens, dim] or [rows, tokens, dim]; rows are scenes); "
                               + "needed when the checkpoint's text_encoder is 'precomputed'.", valueName: "file.npy"))
    var textEmbeds: [String] = []

    @Option(help: ArgumentHelp("The MiniLM or T5 model folder (text_encoder minilm or t5).", valueName: "dir"))
    var textModelDir: String?

    @Option(help: "Classifier-free guidance scale (cond_scale); 1 runs the conditional pass only.")
    var condScale: Double = 3

    @Option(help: "Sampling steps (default: the checkpoint's phenaki.steps).")
    var steps: Int?

    @Option(help: "Critic that picks the tokens to re-mask: none, token or self (default: the checkpoint's).")
    var critic: String?

    @Option(help: "Seed of the random draws: the same seed gives the same video.")
    var seed: UInt64 = 0

    @Option(help: "Threads (default: one per core).")
    var threads: Int?

    func validate() throws {
        if let critic, CriticSelection(argument: critic) == nil {
            throw ValidationError("--critic must be one of \(CriticSelection.argumentNames.joined(separator: ", ")), got '\(critic)'")
        }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard condScale.isFinite else { throw ValidationError("--cond-scale must be a finite number") }
    }

    /// The checkpoint's weights with the chosen critic, and a sampler of them.
    func loadSampler() throws -> (SamplingCheckpoint, PhenakiSampler) {
        let selection = critic.flatMap(CriticSelection.init(argument:)) ?? .implied
        let loaded = try SamplingCheckpoint.load(directory: checkpoint, critic: selection)
        return (loaded, try loaded.sampler(steps: steps, threads: threads))
    }

    /// Per-scene text embeddings (nil for an unconditional model); notes go to stderr.
    func sceneText(config: PhenakiConfig) throws -> [HostTensor]? {
        let text = try SceneText(config: config, texts: texts, embeddingFiles: textEmbeds,
                                 modelDirectory: textModelDir, threads: threads)
        for note in text.notes { FileHandleOutput.standardError("note: \(note)\n") }
        return text.scenes
    }

    var samplingOptions: SamplingOptions { SamplingOptions(condScale: condScale, seed: seed) }
}

/// Parses `17` or `17,14,14` (`what` names the option in errors).
func integerList(_ text: String, option: String) throws -> [Int] {
    let values = text.split(separator: ",", omittingEmptySubsequences: false)
        .map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! >= 1 }) else {
        throw ValidationError("\(option) takes positive integers separated by commas (e.g. 17,14,14), got '\(text)'")
    }
    return values.map { $0! }
}
