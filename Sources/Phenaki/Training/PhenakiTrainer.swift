import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import TensorGraph

/// Trains Phenaki's MaskGit (and its critic: the `critic` section's TokenCritic or the self
/// critic) with C-ViViT frozen, as phenaki-pytorch's `PhenakiTrainer` does, on compiled plans:
/// each micro-batch's videos go through `cvivit-encode` to codebook ids, captions through the
/// text encoder (padded with zero rows to max_text_len), and `phenaki-train` takes one step with
/// AdamW; its random draws come from a key that is a function of the seed and the micro-batch.
///
/// Checkpoints (`<results>/checkpoints`) hold C-ViViT as given, MaskGit's and the critic's
/// weights and Adam moments, the step and the data order; a resumed run ends bit-equal to an
/// uninterrupted one (same thread count).
///
/// With `imageSteps` the first updates train on still images (one frame) through plans of
/// their own, as phenaki-pytorch's `train_on_images`; the state then moves to the clip plans.
/// Every `saveResultsEvery` updates it samples each caption of `sampleTexts` with the current
/// weights (`PhenakiSampler`) into `samples/step-N/<caption slug>.gif` (`.png` for images).
///
/// Differences from phenaki-pytorch 0.5.0: its optimizer only sees MaskGit's parameters (the
/// critic never updates) and it builds no EMA; here the optimizer trains every parameter the
/// loss differentiates. It samples each caption once rather than `num_samples` random picks.
public final class PhenakiTrainer {
    public let config: PhenakiConfig
    public let options: PhenakiTrainerOptions
    public let results: String
    /// Frames per training clip (after the image phase).
    public let frames: Int
    public private(set) var step: Int
    public let metrics: TrainingMetricsLog

    /// The plans of one kind of training example: clips, or still images (one frame).
    struct Phase {
        let frames: Int
        let videoShape: [Int]
        let encoder: PlanExecutor
        let session: any TrainingStepper
    }

    /// The clip phase, and the image phase when `options.imageSteps` > 0.
    let clips: Phase
    let images: Phase?
    let textEncoder: (any TextEncoder)?
    let store: CheckpointStore
    var checkpoint: Checkpoint
    var dataOrder: DataOrderState?
    /// Updates skipped for a non-finite loss or gradient (`options.onNonfinite == .skip`).
    public private(set) var skippedUpdates: [SkippedUpdate] = []
    /// Asked after each update; when it says yes, `train` saves a checkpoint of that update and
    /// throws `TrainingInterrupted` (the CLI: `{ InterruptSignal.received != nil }`).
    public var shouldStop: () -> Bool = { false }

    /// The phase update `step + 1` trains in.
    var phase: Phase { step < options.imageSteps ? images ?? clips : clips }
    var session: any TrainingStepper { phase.session }
    /// The data-parallel ranks of this run (`.single`: one process); rank 0 alone writes files.
    public let group: ProcessGroup
    /// The loss graph's scopes of the checkpoint components it trains.
    static let scopes: [(CheckpointComponent, String)] = [(.maskgit, "maskgit."), (.critic, "critic.")]

    /// Compiles the plans and loads the starting state: the latest checkpoint under
    /// `resumeFrom/checkpoints`, else the checkpoint directory `initial` (e.g. MaskGit fresh from
    /// `phenaki init`), else weights drawn with the seed; then, unless resuming, C-ViViT's
    /// weights from the checkpoint directory `cvivit` (e.g. from `phenaki train-cvivit`, whose
    /// other sections may differ: only its `cvivit` section must equal this config's).
    ///
    /// - Parameter textEncoder: embeds captions; required unless MaskGit is unconditional.
    /// - Parameter group: data-parallel ranks; each feeds its own shard and the gradients are
    ///   averaged before the update.
    /// - Throws: `TrainerError`, `ConfigError`, `CheckpointError`, graph and plan errors, `ProcessGroupError`.
    public init(config: PhenakiConfig, options: PhenakiTrainerOptions, results: String, initial: String? = nil,
                resumeFrom: String? = nil, cvivit: String? = nil, textEncoder: (any TextEncoder)? = nil,
                group: ProcessGroup = .single) throws {
        try options.validate()
        try config.validate()
        if !config.maskgit.unconditional && textEncoder == nil {
            throw TrainerError.invalidOption(name: "text-encoder", value: "none",
                                             expected: "given: MaskGit is conditional (set maskgit.unconditional to train without captions)")
        }
        if options.saveResultsEvery != nil && !config.maskgit.unconditional && options.sampleTexts.isEmpty {
            throw TrainerError.invalidOption(name: "sample-texts", value: "(none)",
                                             expected: "given for a conditional MaskGit when samples are saved (or turn samples off)")
        }
        self.config = config
        self.options = options
        self.results = URL(fileURLWithPath: results).standardizedFileURL.path
        self.textEncoder = textEncoder
        frames = options.frames ?? PhenakiModels.defaultFrames(for: "maskgit", config: config)
        self.group = group
        if group.isWriter { try CViViTTrainer.prepareFolder(self.results) }

        clips = try Self.phase(config: config, options: options, frames: frames, group: group)
        images = options.imageSteps > 0 ? try Self.phase(config: config, options: options, frames: 1, group: group) : nil
        store = CheckpointStore(directory: self.results + "/checkpoints", keepLast: options.keepLast)

        if let resumeFrom {
            let source = CheckpointStore(directory: URL(fileURLWithPath: resumeFrom).standardizedFileURL.path + "/checkpoints")
            guard let path = source.latest() else { throw TrainerError.nothingToResume(path: resumeFrom) }
            checkpoint = try Checkpoint.load(directory: path, config: config)
            dataOrder = checkpoint.state.data
        } else {
            if let initial {
                checkpoint = try Checkpoint.load(directory: initial, config: config)
                checkpoint.state = CheckpointState(step: 0, seed: options.seed)
                checkpoint.optimizer = [:]
            } else {
                checkpoint = try Checkpoint.initial(config: config, seed: options.seed)
            }
            if let cvivit { checkpoint.weights[.cvivit] = try Self.cvivitWeights(directory: cvivit, config: config) }
        }
        step = checkpoint.state.step
        // Both phases start from the checkpoint, so weights the image plans leave out are the
        // checkpoint's when the state moves to the clip plans.
        for phase in [images, clips].compactMap({ $0 }) {
            let feedNames = Set(phase.session.executor.plan.feeds.map(\.name))
            for (component, scope) in Self.scopes {
                for (name, value) in checkpoint.trainingFeeds(of: component, scope: scope) where feedNames.contains(name) {
                    try phase.session.executor.setFeed(name, value)
                }
            }
            let encoderFeeds = Set(phase.encoder.plan.feeds.map(\.name))
            for (name, value) in checkpoint.weights[.cvivit] ?? [:] where encoderFeeds.contains(name) {
                try phase.encoder.setFeed(name, value)
            }
            try phase.session.setScalar(TrainingState.learningRate, options.learningRate)
        }
        var columns = ["loss"]
        if options.training != .onlyCritic { columns.append("maskgit_loss") }
        if clips.session.executor.plan.outputs.contains(where: { $0.name == "critic_loss" }) { columns.append("critic_loss") }
        metrics = try TrainingMetricsLog(path: self.results + "/metrics.csv", lossColumns: columns,
                                         resumingAt: resumeFrom == nil ? nil : step, writes: group.isWriter)
        try DataParallelTraining.checkAgreement(group, step: step, order: dataOrder, state: clips.session)
    }

    /// The encoder and loss plans for examples of `frames` frames.
    static func phase(config: PhenakiConfig, options: PhenakiTrainerOptions, frames: Int,
                      group: ProcessGroup = .single) throws -> Phase {
        let c = config.cvivit
        let encoder = try PlanExecutor(plan: compile(PhenakiModels.graph(named: "cvivit-encode", config: config,
                                                                         batch: options.batchSize, frames: frames)),
                                       threads: options.threads)
        let training = TrainingOptions(beta2: options.beta2, weightDecay: options.weightDecay,
                                       maxGradNorm: options.maxGradNorm, gradientAccumulation: options.gradAccumEvery)
        let session: any TrainingStepper
        if group.size > 1 {
            let forward = try PhenakiLossModel.graph(config: config, critic: PhenakiModels.lossCritic(config),
                                                     batch: options.batchSize, frames: frames, training: options.training)
            session = try DataParallelTraining.session(forward: forward, options: training, group: group,
                                                       threads: options.threads, seed: options.seed)
        } else {
            let graph = try PhenakiLossModel.trainingStep(config: config, critic: PhenakiModels.lossCritic(config),
                                                          batch: options.batchSize, frames: frames,
                                                          training: options.training, options: training)
            session = try TrainingSession(plan: compile(graph), threads: options.threads, seed: options.seed)
        }
        return Phase(frames: frames, videoShape: [options.batchSize, c.channels, frames, c.imageSize.height, c.imageSize.width],
                     encoder: encoder, session: session)
    }

    /// C-ViViT's weights from the checkpoint directory `directory`, whose `cvivit` config section
    /// must equal `config`'s (its other sections are free: it may come from `train-cvivit` with
    /// another text encoder).
    /// - Throws: `CheckpointError.configMismatch` listing the differing `cvivit.` keys,
    ///   `.missingComponent`, `WeightError`, what `Checkpoint.read` throws.
    static func cvivitWeights(directory: String, config: PhenakiConfig) throws -> [String: HostTensor] {
        let source = try Checkpoint.read(directory: directory)
        let differences = ConfigDifference.between(source.config, config).filter { $0.key.hasPrefix("cvivit.") }
        if !differences.isEmpty { throw CheckpointError.configMismatch(path: directory, differences: differences) }
        guard let weights = source.weights[.cvivit] else {
            throw CheckpointError.missingComponent(path: directory, component: .cvivit)
        }
        try Checkpoint(config: config, weights: [.cvivit: weights]).validate(config: config, components: [.cvivit],
                                                                             source: directory)
        return weights
    }

    /// Runs updates until `options.steps` on the clip stream `data` returns for the saved data
    /// order (nil: a new run); during the first `options.imageSteps` updates on the image stream
    /// `images` returns (its examples one frame each), after which the clip stream starts anew.
    /// - Throws: `TrainerError.batchShape`, `.invalidOption` (image steps without `images`), what
    ///   the data, text encoder, sampler, plans and checkpoint writes throw.
    public func train(data: (DataOrderState?) throws -> BatchStream,
                      images: ((DataOrderState?) throws -> BatchStream)? = nil, progress: Bool = true) throws {
        let progress = progress && group.isWriter  // data-parallel: rank 0 alone reports
        let inImagePhase = step < options.imageSteps
        if inImagePhase && images == nil {
            throw TrainerError.invalidOption(name: "image-steps", value: "\(options.imageSteps)",
                                             expected: "0 when no still images are given to train on")
        }
        // A run resumed right at the switch saved the image stream's order: the clips start anew.
        let atSwitch = options.imageSteps > 0 && step == options.imageSteps
        var stream = inImagePhase ? try images!(dataOrder) : try data(atSwitch ? nil : dataOrder)
        var onImages = inImagePhase
        let reporter = TrainingProgress(totalSteps: options.steps, firstStep: step)
        let k = options.gradAccumEvery
        while step < options.steps {
            if onImages && step >= options.imageSteps {
                // The clips start from the beginning of their data.
                stream = try data(nil)
                onImages = false
            }
            let phase = self.phase
            let started = monotonicSeconds()
            let rate = options.learningRateSchedule.rate(afterUpdates: step)
            try phase.session.setScalar(TrainingState.learningRate, rate)
            var sums = [Double](repeating: 0, count: metrics.lossColumns.count)
            var skipped: SkippedUpdate?
            for micro in 0..<k {
                let batch = try stream.next()
                guard batch.videos.shape == phase.videoShape else {
                    throw TrainerError.batchShape(expected: phase.videoShape, got: batch.videos.shape)
                }
                try phase.encoder.setFeed("video", batch.videos)
                try phase.encoder.run()
                var ids = phase.encoder.output("ids")!
                ids.shape = [options.batchSize, ids.count / options.batchSize]
                var feeds = ["ids": ids]
                if let textEncoder, !config.maskgit.unconditional {
                    feeds["text"] = try paddedText(textEncoder.encode(batch.captions.map { $0 ?? "" }))
                }
                try TrainerRNG.feedKeys(phase.session, seed: options.seed, draw: step * k + micro)
                try phase.session.step(feeds)
                if phase.session.lastStepSkipped {
                    let site = phase.session.lastNonFinite?.description ?? "not located"
                    if options.onNonfinite == .stop { throw TrainerError.nonFinite(step: step, site: site) }
                    skipped = skipped ?? SkippedUpdate(step: step, site: site)
                }
                for (i, name) in metrics.lossColumns.enumerated() { sums[i] += phase.session.scalar(name) ?? .nan }
                dataOrder = batch.order
            }
            if let skipped {
                // A skipped micro-batch leaves the accumulation one behind: drop the partial update.
                if k > 1 { try phase.session.resetAccumulation() }
                skippedUpdates.append(skipped)
                if progress { FileHandle.standardError.write(Data("update \(skipped.step) skipped: \(skipped.site)\n".utf8)) }
            }
            step += 1
            if step == options.imageSteps, let imagePhase = self.images {
                // The end of the image phase: the trained state moves to the clip plans, which
                // from now on hold the run's state (checkpoints, samples, `stateTensors`).
                let clipFeeds = Set(clips.session.executor.plan.feeds.map(\.name))
                for pair in imagePhase.session.statePairs where clipFeeds.contains(pair.feed) {
                    try ExecutorTransfer.copy(pair.feed, of: imagePhase.session.executor, to: pair.feed, of: clips.session.executor)
                }
            }
            let record = TrainingRecord(step: step, losses: sums.map { $0 / Double(k) }, learningRate: rate,
                                        gradNorm: phase.session.scalar(TrainingState.gradNorm) ?? .nan,
                                        seconds: monotonicSeconds() - started)
            if let every = options.saveResultsEvery, step % every == 0 { try saveSamples(onImages: phase.frames == 1) }
            // Only after good updates: the latest checkpoint must never hold a skipped one's state.
            if skipped == nil && (step % options.saveModelEvery == 0 || step == options.steps) { try saveCheckpoint() }
            try metrics.append(record)
            if progress { reporter.report(step: step, losses: Array(zip(metrics.lossColumns, record.losses))) }
            if shouldStop() {
                try writeLossCurve()
                throw try TrainingInterrupted.after(step: step, canSave: skipped == nil, store: store, results: results,
                                                    save: saveCheckpoint)
            }
        }
        try writeLossCurve()
    }

    /// `loss_curve.svg`: every loss column of `metrics.csv` against the step.
    func writeLossCurve() throws {
        guard group.isWriter else { return }
        let series = metrics.lossColumns.enumerated().map { (i, name) in
            (name: name, points: metrics.records.map { ($0.step, $0.losses[i]) })
        }
        let path = results + "/loss_curve.svg"
        guard FileManager.default.createFile(atPath: path, contents: Data(LossCurveSVG.render(series).utf8)) else {
            throw TrainerError.resultsNotWritable(path: path, reason: "cannot write the file")
        }
    }

    /// `embeddings` as the loss graph's `text` input: [b, max_text_len, dim], zero rows after
    /// the encoder's tokens (the padding the graph recognises).
    func paddedText(_ text: TextEmbeddings) throws -> HostTensor {
        let (b, length, dim) = (options.batchSize, config.phenaki.maxTextLen, config.maskgit.dimContext)
        let e = text.embeddings
        guard e.shape.count == 3, e.shape[0] == b, e.shape[2] == dim, e.shape[1] <= length else {
            throw TrainerError.batchShape(expected: [b, length, dim], got: e.shape)
        }
        var scalars = [Double](repeating: 0, count: b * length * dim)
        let rowValues = e.shape[1] * dim
        for i in 0..<b {
            scalars.replaceSubrange((i * length * dim)..<(i * length * dim + rowValues),
                                    with: e.scalars[(i * rowValues)..<((i + 1) * rowValues)])
        }
        return HostTensor(shape: [b, length, dim], scalars: scalars)
    }

    /// MaskGit's and the critic's state (weights, Adam moments, step) by feed name.
    public func stateTensors() -> [String: HostTensor] {
        var state: [String: HostTensor] = [:]
        for pair in session.statePairs {
            if let value = ExecutorTransfer.feed(pair.feed, of: session.executor) { state[pair.feed] = value }
        }
        return state
    }

    /// The checkpoint of the current state: C-ViViT as loaded, MaskGit's and the critic's state
    /// from the active plans.
    func currentCheckpoint() -> Checkpoint {
        var current = checkpoint
        let executor = session.executor
        for (component, scope) in Self.scopes {
            current.absorbTrainingState(of: component, scope: scope) { ExecutorTransfer.feed($0, of: executor) }
        }
        current.state.step = step
        current.state.seed = options.seed
        current.state.data = dataOrder ?? DataOrderState()
        current.state.trainer["frames"] = .number(Double(frames))
        current.state.trainer["batch_size"] = .number(Double(options.batchSize))
        current.state.trainer["image_steps"] = .number(Double(options.imageSteps))
        return current
    }

    /// Saves checkpoint `step-<step>`.
    func saveCheckpoint() throws {
        // Data-parallel: every rank must be alive and agree before rank 0 writes.
        try DataParallelTraining.checkAgreement(group, step: step, order: dataOrder, state: session)
        guard group.isWriter else { return }
        checkpoint = currentCheckpoint()
        try store.save(checkpoint)
    }

    /// Samples every caption of `options.sampleTexts` (one unconditional sample for an
    /// unconditional MaskGit) with the current weights and the critic the config implies, into
    /// `samples/step-N/<slug>.gif`, or `.png` still images while `onImages`. Draws are seeded by
    /// the run's seed and the step, so a resumed run writes the same samples.
    func saveSamples(onImages: Bool) throws {
        guard group.isWriter else { return }
        let current = currentCheckpoint()
        var parameters: [String: HostTensor] = [:]
        for component in CheckpointComponent.components(of: config) {
            for (name, value) in current.weights[component] ?? [:] { parameters[component.rawValue + "." + name] = value }
        }
        let sampler = try PhenakiSampler(config: config, parameters: parameters, critic: SamplerCritic.implied(by: config),
                                         threads: options.threads)
        let folder = results + "/samples/" + CheckpointStore.name(step: step)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let captions: [String?] = config.maskgit.unconditional ? [nil] : options.sampleTexts
        let names = SampleNames.unique(captions.map { $0.map(SampleNames.slug) ?? "unconditional" })
        let format: VideoFileFormat = onImages ? .png : .gif
        for (i, caption) in captions.enumerated() {
            let text = try caption.map { try textEncoder!.encode([$0]).embeddings }
            let seed = RNGKey(seed: options.seed).foldIn(step).foldIn(i).bits(0)
            let video = try sampler.sample(frames: onImages ? 1 : options.sampleFrames ?? frames, text: text,
                                           options: SamplingOptions(condScale: options.sampleCondScale, seed: seed))
            try format.write(video, to: folder + "/" + names[i] + "." + format.rawValue)
        }
    }
}
