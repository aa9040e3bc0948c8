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
        try sample(sampler, frames: frames, text: text, primeVideo: primeVideo, options: options, scene: 1, scenes: 1,
                   progress: progress)
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
        let scenes = texts?.count ?? frames.count
        guard scenes >= 1, !frames.isEmpty else { throw SamplingError.invalidScenes(reason: "at least one scene is needed") }
        guard frames.count == 1 || frames.count == scenes else {
            throw SamplingError.invalidScenes(reason: "\(frames.count) frame counts for \(scenes) scenes: give 1 or \(scenes)")
        }
        guard scenes == 1 || primeLengths.count == 1 || primeLengths.count == scenes - 1 else {
            throw SamplingError.invalidScenes(
                reason: "\(primeLengths.count) prime lengths for \(scenes) scenes: give 1 or \(scenes - 1)")
        }
        var made: [HostTensor] = []
        var prime: HostTensor?
        for i in 0..<scenes {
            var sceneOptions = options
            sceneOptions.seed = RNGKey(seed: options.seed).foldIn(i).bits(0)
            let video = try sample(sampler, frames: frames.count == 1 ? frames[0] : frames[i], text: texts?[i],
                                   primeVideo: prime, options: sceneOptions, scene: i + 1, scenes: scenes,
                                   progress: progress)
            made.append(video)
            if i + 1 < scenes {
                let length = primeLengths.count == 1 ? primeLengths[0] : primeLengths[i]
                guard length >= 1, length <= video.shape[2] else {
                    throw SamplingError.invalidScenes(
                        reason: "prime length \(length) of scene \(i + 2) must be in 1...\(video.shape[2]) (the frames of scene \(i + 1))")
                }
                prime = FrameBlocks.slice(video, from: video.shape[2] - length, to: video.shape[2])
            }
        }
        return MadeVideo(video: FrameBlocks.concat(made), scenes: made)
    }

    private static func sample(_ sampler: PhenakiSampler, frames: Int, text: HostTensor?, primeVideo: HostTensor?,
                               options: SamplingOptions, scene: Int, scenes: Int,
                               progress: ((GenerationProgress) -> Void)?) throws -> HostTensor {
        let steps = sampler.config.phenaki.steps
        let primeIds = try primeVideo.map(sampler.encodePrime)
        let primeFrames = primeVideo?.shape[2] ?? 0
        let ids = try sampler.sampleTokens(frames: frames, text: text, batch: 1, primeIds: primeIds,
                                           primeFrames: primeFrames, options: options) { step in
            progress?(GenerationProgress(scene: scene, scenes: scenes, step: step.step + 1, steps: steps))
        }
        return try sampler.decode(primeIds: primeIds, ids: ids, primeFrames: primeFrames)
    }
}
