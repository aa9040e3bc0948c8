import GraphRuntime

/// Where a sampling run is, for progress lines.
public struct GenerationProgress: Equatable, Sendable {
    /// The scene being sampled, 1-based.
    public var scene: Int
    /// Scenes in the run (1 for `sample`).
    public var scenes: Int
    /// The step starting now, 1-based.
    public var step: Int
    /// Steps per scene.
    public var steps: Int

    /// Progress at `step` of `steps` in scene `scene` of `scenes` (all 1-based).
    public init(scene: Int, scenes: Int, step: Int, steps: Int) {
        self.scene = scene
        self.scenes = scenes
        self.step = step
        self.steps = steps
    }
}

/// `PhenakiSampler.sample` and `makeVideo` with a callback per sampling step, as the command
/// line runs them: the same calls and seeds, so the results equal those functions' own.
public enum Generation {
    /// `sampler.sample(frames:text:primeVideo:options:)` for one video (batch 1), calling
    /// `progress` as each step starts.
    public static func sample(_ sampler: PhenakiSampler, frames: Int, text: HostTensor?, primeVideo: HostTensor? = nil,
                              options: SamplingOptions = SamplingOptions(),
                              progress: ((GenerationProgress) -> Void)? = nil) throws -> HostTensor {
        let steps = sampler.config.phenaki.steps
        return try sampler.sample(frames: frames, text: text, primeVideo: primeVideo, options: options) { step in
            progress?(GenerationProgress(scene: 1, scenes: 1, step: step.step + 1, steps: steps))
        }
    }

    /// phenaki-pytorch's `make_video` as `PhenakiSampler.makeVideo` runs it (scene `i` draws with
    /// the seed's `i`-th fold), calling `progress` as each step of each scene starts.
    ///
    /// - Parameters:
    ///   - texts: per scene, embeddings [1, m, dim_context]; nil for an unconditional model, whose
    ///     scene count is then `frames.count`.
    ///   - frames: frames per scene, one value for all or one per scene (see `makeVideo`).
    ///   - primeLengths: priming frames of scenes 2, 3, ..., one value for all or one per transition.
    public static func makeVideo(_ sampler: PhenakiSampler, texts: [HostTensor]?, frames: [Int], primeLengths: [Int],
                                 options: SamplingOptions = SamplingOptions(),
                                 progress: ((GenerationProgress) -> Void)? = nil) throws -> MadeVideo {
        let scenes: [HostTensor?] = texts ?? Array(repeating: nil, count: frames.count)
        let steps = sampler.config.phenaki.steps
        return try sampler.makeVideo(texts: scenes, frames: frames, primeLengths: primeLengths, options: options) {
            progress?(GenerationProgress(scene: $0 + 1, scenes: scenes.count, step: $1.step + 1, steps: steps))
        }
    }
}
