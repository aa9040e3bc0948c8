import Foundation
import GraphCompiler
import GraphRuntime
import MediaIO
import PhenakiGraphs
import TensorGraph

/// Trains C-ViViT as phenaki-pytorch's `CViViTTrainer` does, on compiled plans:
///
/// - the generator step: `cvivit-train` (reconstruction + quantizer loss), or with
///   `use_vgg_and_gan` `cvivit-gan-train` (plus the adaptive GAN term; the discriminator frozen),
///   with AdamW, `max_grad_norm`, the EMA of the weights and gradient accumulation in the plan;
/// - with the GAN, after each generator micro-batch the discriminator step on the frames the
///   generator step judged: the real ones and the (detached) reconstructions, from the
///   generator plan's buffers. It has its own AdamW state, and two plans, with and without the
///   gradient penalty (`apply_grad_penalty_every`), compiled once, sharing that state;
/// - the validation loss on held-out batches, reconstructions (a GIF per video, a PNG grid of
///   images against their reconstructions) and the loss curve in the results folder;
/// - checkpoints in `<results>/checkpoints` (`CheckpointStore`): C-ViViT's weights, Adam
///   moments, EMA and step, the data order, and with the GAN the discriminator component
///   (`discriminator.safetensors`, its Adam moments in `optimizer/`). Everything that decides
///   later updates is saved, and the GAN's frame picks are
///   keyed by the update index, so a resumed run ends bit-equal to an uninterrupted one (same
///   thread count).
///
/// Differences from phenaki-pytorch 0.5.0: the discriminator step reuses the generator step's
/// batch and frame picks instead of drawing a new batch and reconstructing it again; the VGG
/// perceptual term is not modelled; results are saved after updates whose count is a multiple
/// of `save_results_every`.
public final class CViViTTrainer {
    public let config: PhenakiConfig
    public let options: CViViTTrainerOptions
    /// The results folder.
    public let results: String
    /// Frames per training video (1 for images).
    public let frames: Int
    /// Updates done so far.
    public private(set) var step: Int
    /// The metrics of this run (and of the run it resumed).
    public let metrics: TrainingMetricsLog

    /// One plan, or with several ranks the gradient and update plans (`DataParallelTraining`).
    let generator: any TrainingStepper
    /// The data-parallel ranks of this run (`.single`: one process); rank 0 alone writes files.
    public let group: ProcessGroup
    let evaluator: PlanExecutor
    /// With the GAN: the discriminator step with the gradient penalty, then without.
    let discriminators: [TrainingSession]
    var activeDiscriminator = 0
    let store: CheckpointStore
    var checkpoint: Checkpoint
    var dataOrder: DataOrderState?
    /// Updates skipped for a non-finite loss or gradient (`options.onNonfinite == .skip`).
    public private(set) var skippedUpdates: [SkippedUpdate] = []
    /// Asked after each update; when it says yes, `train` saves a checkpoint of that update and
    /// throws `TrainingInterrupted` (the CLI: `{ InterruptSignal.received != nil }`).
    public var shouldStop: () -> Bool = { false }
    let emaSchedule: EMASchedule
    let videoShape: [Int]
    /// Checkpoint state that does not live in the plans (MaskGit, critic): kept as loaded.
    public var isGAN: Bool { !discriminators.isEmpty }

    /// The loss columns of `metrics.csv`.
    public var lossColumns: [String] { metrics.lossColumns }

    /// Compiles the plans and loads the starting state: the latest checkpoint under
    /// `resumeFrom/checkpoints` when given, else the C-ViViT weights of the checkpoint directory
    /// `initial` (e.g. from `phenaki init`), else weights drawn from the graphs' initialisers
    /// with `options.seed`.
    ///
    /// - Throws: `TrainerError` (options, results folder, nothing to resume, GAN on images),
    ///   `ConfigError`, `CheckpointError`, graph and plan errors, `ProcessGroupError`.
    /// - Parameter group: data-parallel ranks; each feeds its own shard and the gradients are
    ///   averaged before the update (not with the GAN).
    public init(config: PhenakiConfig, options: CViViTTrainerOptions, results: String,
                initial: String? = nil, resumeFrom: String? = nil, group: ProcessGroup = .single) throws {
        try options.validate()
        try config.validate()
        self.config = config
        self.options = options
        self.results = URL(fileURLWithPath: results).standardizedFileURL.path
        frames = Self.frames(options: options, config: config)
        let gan = config.cvivit.useVGGAndGAN
        if gan && frames == 1 { throw TrainerError.ganNeedsVideo }
        if gan && group.size > 1 {
            throw TrainerError.invalidOption(name: "config", value: "use_vgg_and_gan with \(group.size) MPI ranks",
                                             expected: "one process for GAN training (data-parallel runs train without the GAN)")
        }
        self.group = group
        if group.isWriter { try Self.prepareFolder(self.results) }
        let c = config.cvivit
        let batch = options.batchSize
        videoShape = [batch, c.channels, frames, c.imageSize.height, c.imageSize.width]

        let k = options.gradAccumEvery
        let training = TrainingOptions(weightDecay: options.weightDecay, maxGradNorm: options.maxGradNorm,
                                       ema: options.useEMA, gradientAccumulation: k)
        if group.size > 1 {
            let forward = try PhenakiModels.graph(named: "cvivit", config: config, batch: batch, frames: frames)
            generator = try DataParallelTraining.session(forward: forward, options: training, group: group,
                                                         threads: options.threads, seed: options.seed)
        } else {
            let generatorGraph = try PhenakiModels.graph(named: gan ? "cvivit-gan-train" : "cvivit-train", config: config,
                                                         batch: batch, frames: frames, training: training)
            generator = try TrainingSession(plan: compile(generatorGraph), threads: options.threads, seed: options.seed)
        }
        evaluator = try PlanExecutor(plan: compile(PhenakiModels.graph(named: "cvivit", config: config, batch: batch,
                                                                       frames: frames)),
                                     threads: options.threads)
        var discriminators: [TrainingSession] = []
        if gan {
            let discrTraining = TrainingOptions(weightDecay: options.weightDecay, maxGradNorm: options.discrMaxGradNorm,
                                                gradientAccumulation: k)
            for penalty in [10.0, nil] as [Double?] {
                let forward = try CViViTGAN.discriminatorLossGraph(
                    discriminator: CViViTGAN.discriminator(c), batch: batch, loss: CViViTGAN.ganLoss(c),
                    gradientPenaltyWeight: penalty)
                let plan = try compile(trainingGraph(forward, loss: "loss", options: discrTraining))
                discriminators.append(try TrainingSession(plan: plan, threads: options.threads, seed: options.seed))
            }
        }
        self.discriminators = discriminators
        emaSchedule = EMASchedule(beta: options.emaBeta, updateAfterStep: options.emaUpdateAfterStep,
                                  updateEvery: options.emaUpdateEvery)
        store = CheckpointStore(directory: self.results + "/checkpoints", keepLast: options.keepLast)

        // The starting state.
        if let resumeFrom {
            let source = CheckpointStore(directory: URL(fileURLWithPath: resumeFrom).standardizedFileURL.path + "/checkpoints")
            guard let path = source.latest() else { throw TrainerError.nothingToResume(path: resumeFrom) }
            checkpoint = try Checkpoint.load(directory: path, config: config, components: [.cvivit])
            dataOrder = checkpoint.state.data
            if gan {
                var state = checkpoint.trainingFeeds(of: .discriminator)
                if checkpoint.weights[.discriminator] == nil {
                    // Runs before the discriminator component kept its state beside the checkpoint.
                    let file = Self.legacyDiscriminatorFile(store: source, step: checkpoint.state.step)
                    guard FileManager.default.fileExists(atPath: file) else {
                        throw TrainerError.missingDiscriminatorState(path: path + "/" + CheckpointComponent.discriminator.fileName)
                    }
                    state = try SafeTensorsFile.read(path: file).tensors
                }
                for session in discriminators {
                    let feeds = Set(session.executor.plan.feeds.map(\.name))
                    for (name, value) in state where feeds.contains(name) { try session.executor.setFeed(name, value) }
                }
            }
        } else if let initial {
            checkpoint = try Checkpoint.load(directory: initial, config: config, components: [.cvivit])
            // A new run from these weights: its own step, seed, data order and optimizer.
            checkpoint.state = CheckpointState(step: 0, seed: options.seed)
            checkpoint.optimizer = [:]
            checkpoint.ema = [:]
            checkpoint.weights[.discriminator] = nil
        } else {
            checkpoint = try Checkpoint.initial(config: config, seed: options.seed)
        }
        step = checkpoint.state.step
        let feedNames = Set(generator.executor.plan.feeds.map(\.name))
        for (name, value) in checkpoint.trainingFeeds(of: .cvivit) where feedNames.contains(name) {
            try generator.executor.setFeed(name, value)
        }
        if checkpoint.ema[.cvivit] == nil {
            for (name, value) in checkpoint.weights[.cvivit] ?? [:] where feedNames.contains(TrainingState.ema(name)) {
                try generator.executor.setFeed(TrainingState.ema(name), value)
            }
        }
        for session in [generator] + discriminators {
            try session.setScalar(TrainingState.learningRate, options.learningRate)
        }
        var columns = ["loss", "recon_loss", "aux_loss"]
        if gan { columns += ["gen_loss", "adaptive_weight", "discr_loss", "gradient_penalty", "discr_grad_norm"] }
        columns.append("valid_loss")
        metrics = try TrainingMetricsLog(path: self.results + "/metrics.csv", lossColumns: columns,
                                         resumingAt: resumeFrom == nil ? nil : step, writes: group.isWriter)
        try syncDiscriminatorWeights()
        try DataParallelTraining.checkAgreement(group, step: step, order: dataOrder, state: generator)
    }

    // MARK: Training

    /// Runs updates until `options.steps`, reading micro-batches from the stream `data` returns
    /// for the saved data order (nil: a new run) and validation batches from `validation`
    /// (nil: no validation loss; reconstructions then show the last training batch).
    /// - Throws: `TrainerError.batchShape`, what the data, plans and checkpoint writes throw.
    public func train(data: (DataOrderState?) throws -> BatchStream, validation: BatchStream? = nil,
                      progress: Bool = true) throws {
        // Data-parallel: rank 0 alone validates, reports and writes.
        let (validation, progress) = group.isWriter ? (validation, progress) : (nil, false)
        let stream = try data(dataOrder)
        let reporter = TrainingProgress(totalSteps: options.steps, firstStep: step)
        var lastBatch: HostTensor?
        while step < options.steps {
            let started = monotonicSeconds()
            let skippedBefore = skippedUpdates.count
            let rate = options.learningRateSchedule.rate(afterUpdates: step)
            try generator.setScalar(TrainingState.learningRate, rate)
            for discriminator in discriminators { try discriminator.setScalar(TrainingState.learningRate, rate) }
            let (losses, gradNorm, batch) = try update(stream)
            lastBatch = batch
            let skipped = skippedUpdates.count > skippedBefore
            if skipped, progress, let last = skippedUpdates.last {
                FileHandle.standardError.write(Data("update \(last.step) skipped: \(last.site)\n".utf8))
            }
            var record = TrainingRecord(step: step, losses: losses, learningRate: rate,
                                        gradNorm: gradNorm, seconds: 0)
            if let validation, step % (options.validEvery ?? options.saveResultsEvery) == 0 {
                record.losses[lossColumns.count - 1] = try validationLoss(validation)
            }
            if step % options.saveResultsEvery == 0 {
                try saveResults(validation.map { try $0.next().videos } ?? batch)
            }
            // Only after good updates: the latest checkpoint must never hold a skipped one's state.
            if !skipped && (step % options.saveModelEvery == 0 || step == options.steps) { try saveCheckpoint() }
            record.seconds = monotonicSeconds() - started
            try metrics.append(record)
            if progress { reporter.report(step: step, losses: Array(zip(lossColumns, record.losses))) }
            if shouldStop() {
                try writeLossCurve()
                throw try TrainingInterrupted.after(step: step, canSave: !skipped, store: store, results: results,
                                                    save: saveCheckpoint)
            }
        }
        if let lastBatch, step % options.saveResultsEvery != 0 { try saveResults(validation.map { try $0.next().videos } ?? lastBatch) }
        try writeLossCurve()
    }

    /// One update: `grad_accum_every` generator micro-steps, each followed by its discriminator
    /// micro-step. Returns the micro-batch mean of each loss column, the generator's gradient
    /// norm and the last batch.
    func update(_ stream: BatchStream) throws -> ([Double], Double, HostTensor) {
        let k = options.gradAccumEvery
        let gan = isGAN
        if gan { try useDiscriminator(step % options.applyGradPenaltyEvery == 0 ? 0 : 1) }
        if options.useEMA { try generator.setScalar(TrainingState.emaDecay, emaSchedule.decay(afterUpdates: step)) }
        var sums = [Double](repeating: 0, count: lossColumns.count)
        var discrGradNorm = 0.0
        var last = HostTensor(0)
        var skippedAt: NonFiniteSite?? = nil
        for micro in 0..<k {
            let batch = try stream.next()
            guard batch.videos.shape == videoShape else {
                throw TrainerError.batchShape(expected: videoShape, got: batch.videos.shape)
            }
            try feedKeys(generator.inputs, micro: micro)
            try generator.step(["video": batch.videos])
            try checkNonFinite(generator, &skippedAt)
            for (i, name) in ["loss", "recon_loss", "aux_loss", "gen_loss", "adaptive_weight"].enumerated()
            where i < 3 || gan {
                sums[i] += generator.scalar(name) ?? .nan
            }
            if gan {
                let d = discriminators[activeDiscriminator]
                let picks = (generator.inputs.output("frame_indices")?.scalars ?? []).map { Int($0) }
                try ExecutorTransfer.copyFrames("video", of: generator.inputs, frames: picks, shape: videoShape,
                                                to: "real", of: d.executor)
                try ExecutorTransfer.copyFrames("recon", of: generator.inputs, frames: picks, shape: videoShape,
                                                to: "fake", of: d.executor)
                try feedKeys(d.executor, micro: micro)
                try d.step([:])
                try checkNonFinite(d, &skippedAt)
                sums[5] += d.scalar("discr_loss") ?? .nan
                sums[6] += d.scalar("gradient_penalty") ?? 0
                discrGradNorm = d.scalar(TrainingState.gradNorm) ?? .nan
            }
            dataOrder = batch.order
            last = batch.videos
        }
        var losses = sums.map { $0 / Double(k) }
        if gan { losses[7] = discrGradNorm }
        losses[lossColumns.count - 1] = .nan
        if let site = skippedAt {
            // A skipped micro-batch leaves the accumulation one behind: drop the partial update.
            if k > 1 { for session in [generator] + discriminators { try session.resetAccumulation() } }
            skippedUpdates.append(SkippedUpdate(step: step, site: site?.description ?? "not located"))
        }
        if gan { try syncDiscriminatorWeights() }
        step += 1
        return (losses, generator.scalar(TrainingState.gradNorm) ?? .nan, last)
    }

    /// After a session's step: when the plan skipped it (non-finite loss or gradient), stops
    /// under `.stop`, else notes the first site into `skippedAt` (nil inside: not located).
    func checkNonFinite(_ session: any TrainingStepper, _ skippedAt: inout NonFiniteSite??) throws {
        guard session.lastStepSkipped else { return }
        let site = session.lastNonFinite?.description ?? "not located"
        if options.onNonfinite == .stop { throw TrainerError.nonFinite(step: step, site: site) }
        if skippedAt == nil { skippedAt = .some(session.lastNonFinite) }
    }

    /// Feeds every RNG key of `executor` a key of the run's seed, the feed's name, the update and
    /// the micro-batch: a function of where the run is, so a resumed run draws the same keys.
    func feedKeys(_ executor: PlanExecutor, micro: Int) throws {
        try TrainerRNG.feedKeys(executor, seed: options.seed, draw: step * options.gradAccumEvery + micro)
    }

    /// The key the trainer feeds the RNG input `feed` at micro-batch `draw` (update · k + micro)
    /// of a run seeded `seed` (`TrainerRNG.key`).
    public static func rngKey(seed: UInt64, feed: String, draw: Int) -> RNGKey {
        TrainerRNG.key(seed: seed, feed: feed, draw: draw)
    }

    /// Makes discriminator plan `index` the active one, moving the shared state over.
    func useDiscriminator(_ index: Int) throws {
        guard index != activeDiscriminator else { return }
        let (from, to) = (discriminators[activeDiscriminator], discriminators[index])
        for pair in from.statePairs {
            try ExecutorTransfer.copy(pair.feed, of: from.executor, to: pair.feed, of: to.executor)
        }
        activeDiscriminator = index
    }

    /// Hands the discriminator's current weights to the generator step, whose loss reads them.
    func syncDiscriminatorWeights() throws {
        guard isGAN else { return }
        let d = discriminators[activeDiscriminator].executor
        for binding in d.plan.feeds where binding.role == .parameter {
            try ExecutorTransfer.copy(binding.name, of: d, to: binding.name, of: generator.inputs)
        }
    }

    // MARK: Evaluation

    /// Loads the generator's weights (or their EMA) into the evaluation plan.
    func loadEvaluator(ema: Bool) throws {
        for binding in evaluator.plan.feeds where binding.role == .parameter {
            let source = ema ? TrainingState.ema(binding.name) : binding.name
            try ExecutorTransfer.copy(source, of: generator.executor, to: binding.name, of: evaluator)
        }
    }

    /// The mean `loss` (reconstruction + quantizer) over `options.validBatches` batches.
    func validationLoss(_ validation: BatchStream) throws -> Double {
        try loadEvaluator(ema: false)
        var total = 0.0
        for _ in 0..<options.validBatches {
            let videos = try validation.next().videos
            guard videos.shape == videoShape else { throw TrainerError.batchShape(expected: videoShape, got: videos.shape) }
            try evaluator.setFeed("video", videos)
            try feedKeys(evaluator, micro: 0)
            try evaluator.run()
            total += evaluator.output("loss")?.scalars[0] ?? .nan
        }
        return total / Double(options.validBatches)
    }

    /// Reconstructs `videos` with the weights and (when kept) their EMA: videos as
    /// `samples.<step>[.ema]/<i>.gif`, images as `<step>[.ema].png`, each image beside its
    /// reconstruction; then redraws the loss curve.
    func saveResults(_ videos: HostTensor) throws {
        guard group.isWriter else { return }
        for ema in options.useEMA ? [true, false] : [false] {
            try loadEvaluator(ema: ema)
            try evaluator.setFeed("video", videos)
            try feedKeys(evaluator, micro: 0)
            try evaluator.run()
            let recon = try evaluator.withFloatBuffer("recon") { Array($0) }
            let name = "\(step)" + (ema ? ".ema" : "")
            let perVideo = videoShape.dropFirst().reduce(1, *)
            let (c, f, h, w) = (videoShape[1], videoShape[2], videoShape[3], videoShape[4])
            func clip(_ values: [Float], _ b: Int) throws -> VideoFrames {
                try VideoFrames(channels: c, frames: f, height: h, width: w,
                                pixels: values[(b * perVideo)..<((b + 1) * perVideo)].map { min(max($0, 0), 1) })
            }
            let originals = videos.scalars.map(Float.init)
            if f == 1 {
                var tiles: [VideoFrames] = []
                for b in 0..<videoShape[0] { tiles += [try clip(originals, b), try clip(recon, b)] }
                try PNGGrid.write(tiles, columns: 2, to: results + "/" + name + ".png")
            } else {
                let folder = results + "/samples." + name
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for b in 0..<videoShape[0] { try GIFEncoder.write(clip(recon, b), to: folder + "/\(b).gif") }
            }
        }
        try writeLossCurve()
    }

    /// `loss_curve.svg`: every loss column of `metrics.csv` against the step.
    func writeLossCurve() throws {
        guard group.isWriter else { return }
        let series = lossColumns.enumerated().compactMap { (i, name) -> (name: String, points: [(Int, Double)])? in
            guard !["adaptive_weight", "discr_grad_norm"].contains(name) else { return nil }
            return (name, metrics.records.map { ($0.step, $0.losses[i]) })
        }
        let path = results + "/loss_curve.svg"
        guard FileManager.default.createFile(atPath: path, contents: Data(LossCurveSVG.render(series).utf8)) else {
            throw TrainerError.resultsNotWritable(path: path, reason: "cannot write the file")
        }
    }

    // MARK: State

    /// The generator's state (weights, Adam moments, EMA, step) and, with the GAN, the
    /// discriminator's, prefixed `discriminator/`: what an exact resume must reproduce.
    public func stateTensors() -> [String: HostTensor] {
        var state: [String: HostTensor] = [:]
        for pair in generator.statePairs {
            if let value = ExecutorTransfer.feed(pair.feed, of: generator.executor) { state[pair.feed] = value }
        }
        for (name, value) in discriminatorState() { state["discriminator/" + name] = value }
        return state
    }

    /// The active discriminator plan's state feeds.
    func discriminatorState() -> [String: HostTensor] {
        guard isGAN else { return [:] }
        let d = discriminators[activeDiscriminator]
        var state: [String: HostTensor] = [:]
        for pair in d.statePairs {
            if let value = ExecutorTransfer.feed(pair.feed, of: d.executor) { state[pair.feed] = value }
        }
        return state
    }

    /// Saves the current state, the discriminator's with it, as checkpoint `step-<step>`.
    func saveCheckpoint() throws {
        // Data-parallel: every rank must be alive and agree before rank 0 writes.
        try DataParallelTraining.checkAgreement(group, step: step, order: dataOrder, state: generator)
        guard group.isWriter else { return }
        checkpoint.absorbTrainingState(of: .cvivit) { ExecutorTransfer.feed($0, of: self.generator.executor) }
        if options.useEMA {
            // Weights the plans leave out (on images: the video patch embedding) never change, so
            // their average is themselves; a checkpoint's EMA file must hold every weight.
            for (name, value) in checkpoint.weights[.cvivit] ?? [:] where checkpoint.ema[.cvivit]?[name] == nil {
                checkpoint.ema[.cvivit, default: [:]][name] = value
            }
        }
        checkpoint.state.seed = options.seed
        checkpoint.state.data = dataOrder ?? DataOrderState()
        checkpoint.state.trainer["frames"] = .number(Double(frames))
        checkpoint.state.trainer["batch_size"] = .number(Double(options.batchSize))
        if isGAN {
            // The discriminator component: its parameters as weights, its Adam moments as optimizer
            // state (its `train.step` counts the same updates as the generator's).
            let d = discriminators[activeDiscriminator].executor
            let parameters = d.plan.feeds.filter { $0.role == .parameter }.map(\.name)
            var weights = checkpoint.weights[.discriminator] ?? [:]
            for name in parameters where weights[name] == nil { weights[name] = ExecutorTransfer.feed(name, of: d) }
            checkpoint.weights[.discriminator] = weights
            checkpoint.absorbTrainingState(of: .discriminator) { ExecutorTransfer.feed($0, of: d) }
        }
        // Last: absorbing training state sets the step from the plan's `train.step`, which lags
        // the trainer's count after a skipped (non-finite) update.
        checkpoint.state.step = step
        try store.save(checkpoint)
    }

    /// The frames per training video `options` and `config` give (1 on images), checked against
    /// the temporal patch size, so callers can validate data before a trainer creates folders.
    public static func frames(options: CViViTTrainerOptions, config: PhenakiConfig) -> Int {
        options.trainOnImages ? 1 : options.frames ?? PhenakiModels.defaultFrames(for: "cvivit", config: config)
    }

    /// Where runs before the discriminator checkpoint component kept the discriminator state of
    /// checkpoint `step` in `store` (read on resume only).
    static func legacyDiscriminatorFile(store: CheckpointStore, step: Int) -> String {
        store.directory + "/discriminator/" + CheckpointStore.name(step: step) + ".safetensors"
    }

    /// Creates `path` and checks that a file can be written in it.
    static func prepareFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw TrainerError.resultsNotWritable(path: path, reason: error.localizedDescription)
        }
        let probe = path + "/.write-test-\(getpid())"
        guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
            throw TrainerError.resultsNotWritable(path: path, reason: "permission denied")
        }
        try? FileManager.default.removeItem(atPath: probe)
    }
}
