import GraphRuntime

/// What `CheckpointEvaluation.run` measures and how.
public struct EvaluationOptions {
    /// The held-out videos of the reconstruction part.
    public var reconstruction = ReconstructionOptions()
    /// Measure caption accuracy (needs MaskGit weights, a text-conditioned model and a way to
    /// embed the prompts).
    public var captions = true
    /// Prompts to sample: nil for all 40 (10 classes × 4 directions), else a subset drawn by `seed`.
    public var prompts: Int?
    /// Clips sampled per prompt, each with its own seed. Without a critic the sampler draws the
    /// uncertain tokens in its last, nearly greedy steps, so a trained model often repeats its clip.
    public var clipsPerPrompt = 1
    /// Classifier-free guidance scales to measure caption accuracy at.
    public var condScales = CaptionAccuracy.condScales
    /// Frames per sampled clip (nil: the reconstruction's frame count, capped at what MaskGit's
    /// max_seq_len allows).
    public var sampleFrames: Int?
    /// Sampling steps (nil: the checkpoint's phenaki.steps).
    public var samplingSteps: Int?
    /// Seeds the prompt subset and the sampling draws.
    public var seed: UInt64 = 0
    /// Held-out clips the scorer reads for the ceiling.
    public var ceilingClips = 200
    /// Where the item classifier is cached.
    public var classifierPath = FashionItemClassifier.defaultCachePath
    /// How the item classifier trains when the cache does not hold it.
    public var classifierTraining = ClassifierTraining()
    /// Train the classifier even when the cache holds it.
    public var retrainClassifier = false
    /// The MiniLM or T5 folder for a checkpoint whose text encoder is minilm or t5.
    public var textModelDirectory: String?
    /// Embeddings [1, tokens, dim] of a prompt, for a checkpoint whose text encoder is
    /// `precomputed` (or to replace its encoder); nil: the checkpoint's encoder.
    public var textEmbedding: ((ClipCaption) throws -> HostTensor)?
    /// Threads (nil: one per core).
    public var threads: Int?

    public init() {}
}

/// `phenaki eval`: C-ViViT's reconstruction and codebook use, and the caption accuracy of
/// clips sampled from the checkpoint.
public enum CheckpointEvaluation {
    /// Evaluates the checkpoint at `directory`; `log` hears progress.
    /// - Throws: `CheckpointError`, `ConfigError`, `WeightError`, `DatasetError`, `EvaluationError`,
    ///   `TextEncoderError`, `SamplingError`.
    public static func run(directory: String, options: EvaluationOptions,
                           log: ((String) -> Void)? = nil) throws -> EvaluationReport {
        if options.clipsPerPrompt < 1 {
            throw EvaluationError.invalidCount(option: "--clips-per-prompt", value: options.clipsPerPrompt, minimum: 1)
        }
        if options.condScales.isEmpty {
            throw EvaluationError.invalidCount(option: "the number of --cond-scale values", value: 0, minimum: 1)
        }
        let checkpoint = try Checkpoint.read(directory: directory)
        try checkpoint.validate(config: checkpoint.config, components: [.cvivit], source: directory)
        let config = checkpoint.config
        var report = EvaluationReport(checkpoint: directory)
        log?("C-ViViT reconstruction over \(options.reconstruction.batches) batches of \(options.reconstruction.batch)")
        var reconstructionOptions = options.reconstruction
        if reconstructionOptions.frames == nil { reconstructionOptions.frames = trainedFrames(checkpoint) }
        let reconstruction = try ReconstructionEvaluation.run(config: config, weights: checkpoint.weights[.cvivit]!,
                                                               options: reconstructionOptions, threads: options.threads)
        report.reconstruction = reconstruction
        guard options.captions else { return report }
        if let reason = captionObstacle(checkpoint, options: options) {
            report.notes.append("caption accuracy skipped: " + reason)
            return report
        }
        let classifier = try FashionItemClassifier.cachedOrTrained(
            path: options.classifierPath, training: options.classifierTraining, retrain: options.retrainClassifier,
            fashionMNISTDirectory: options.reconstruction.fashionMNISTDirectory, threads: options.threads, log: log)
        report.classifierAccuracy = classifier.heldOutAccuracy
        let scorer = ClipScorer(classifier: classifier)
        let frames = try sampleFrames(config: config, options: options, reconstructionFrames: reconstruction.frames)
        let dataOptions = DatasetOptions(config: config.cvivit, frames: frames, seed: options.reconstruction.seed,
                                         fashionMNISTDirectory: options.reconstruction.fashionMNISTDirectory)
        report.captionCeiling = try CaptionAccuracy.heldOutCeiling(scorer: scorer, clips: options.ceilingClips,
                                                                   options: dataOptions)
        let prompts = ClipCaption.prompts(count: options.prompts, seed: options.seed)
        let texts: [HostTensor]
        if let embed = options.textEmbedding {
            texts = try prompts.map(embed)
        } else {
            texts = try SceneText(config: config, texts: prompts.map(\.text), modelDirectory: options.textModelDirectory,
                                  threads: options.threads).scenes ?? []
        }
        let loaded = try SamplingCheckpoint.load(directory: directory, critic: .implied)
        var samplingConfig = config
        if let steps = options.samplingSteps {
            guard steps >= 1 else { throw GenerationError.invalidSteps(steps) }
            samplingConfig.phenaki.steps = steps
        }
        var samplers: [(String, PhenakiSampler)] = [
            ("none", try PhenakiSampler(config: samplingConfig, parameters: loaded.parameters, critic: nil,
                                        threads: options.threads)),
        ]
        if let critic = loaded.critic {
            samplers.append((critic.rawValue, try PhenakiSampler(config: samplingConfig, parameters: loaded.parameters,
                                                                critic: critic, threads: options.threads)))
        }
        report.captions = try CaptionAccuracy.run(samplers: samplers, prompts: prompts, texts: texts, frames: frames,
                                                  scorer: scorer, seed: options.seed, condScales: options.condScales,
                                                  clipsPerPrompt: options.clipsPerPrompt) { setting, clip, clips in
            log?("\(setting): clip \(clip)/\(clips)")
        }
        return report
    }

    /// Why caption accuracy cannot be measured on `checkpoint`, or nil when it can.
    static func captionObstacle(_ checkpoint: Checkpoint, options: EvaluationOptions) -> String? {
        if checkpoint.weights[.maskgit] == nil { return "the checkpoint has no MaskGit weights (C-ViViT only)" }
        if checkpoint.config.maskgit.unconditional { return "the model is unconditional (maskgit.unconditional)" }
        if options.textEmbedding == nil && checkpoint.config.phenaki.textEncoder == .precomputed {
            return "the checkpoint's text encoder is 'precomputed', so the prompts cannot be encoded"
        }
        if case .fashionMNISTVideo = options.reconstruction.dataset { return nil }
        return "the prompts describe Fashion-MNIST clips; evaluate with --data fashion-mnist-video"
    }

    /// The frame count the checkpoint's trainer used on videos (more than one frame), if it recorded one.
    static func trainedFrames(_ checkpoint: Checkpoint) -> Int? {
        guard case .number(let value)? = checkpoint.state.trainer["frames"], value > 1, value == value.rounded() else {
            return nil
        }
        return Int(value)
    }

    /// The frames of each sampled clip: the option, else the reconstruction's frame count lowered
    /// to the most MaskGit takes.
    static func sampleFrames(config: PhenakiConfig, options: EvaluationOptions, reconstructionFrames: Int) throws -> Int {
        if let frames = options.sampleFrames {
            guard frames >= 2 else { throw EvaluationError.invalidCount(option: "--sample-frames", value: frames, minimum: 2) }
            try PhenakiModels.checkFrames(frames, for: "maskgit", config: config)
            return frames
        }
        return min(reconstructionFrames, config.maxFrames)
    }
}
