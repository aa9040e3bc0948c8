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
/// Differences from phenaki-pytorch 0.5.0: its optimizer only sees MaskGit's parameters (the
/// critic never updates) and it builds no EMA; here the optimizer trains every parameter the
/// loss differentiates. Sampling during training is left to `phenaki sample` on a checkpoint.
public final class PhenakiTrainer {
    public let config: PhenakiConfig
    public let options: PhenakiTrainerOptions
    public let results: String
    public let frames: Int
    public private(set) var step: Int
    public let metrics: TrainingMetricsLog

    let encoder: PlanExecutor
    let session: TrainingSession
    let textEncoder: (any TextEncoder)?
    let store: CheckpointStore
    var checkpoint: Checkpoint
    var dataOrder: DataOrderState?
    let videoShape: [Int]
    /// The loss graph's scopes of the checkpoint components it trains.
    static let scopes: [(CheckpointComponent, String)] = [(.maskgit, "maskgit."), (.critic, "critic.")]

    /// Compiles the plans and loads the starting state: the latest checkpoint under
    /// `resumeFrom/checkpoints`, else the checkpoint directory `initial` (e.g. C-ViViT trained by
    /// `CViViTTrainer`, MaskGit fresh from `phenaki init`), else weights drawn with the seed.
    ///
    /// - Parameter textEncoder: embeds captions; required unless MaskGit is unconditional.
    /// - Throws: `TrainerError`, `ConfigError`, `CheckpointError`, graph and plan errors.
    public init(config: PhenakiConfig, options: PhenakiTrainerOptions, results: String, initial: String? = nil,
                resumeFrom: String? = nil, textEncoder: (any TextEncoder)? = nil) throws {
        try options.validate()
        try config.validate()
        if !config.maskgit.unconditional && textEncoder == nil {
            throw TrainerError.invalidOption(name: "text-encoder", value: "none",
                                             expected: "given: MaskGit is conditional (set maskgit.unconditional to train without captions)")
        }
        self.config = config
        self.options = options
        self.results = URL(fileURLWithPath: results).standardizedFileURL.path
        self.textEncoder = textEncoder
        frames = options.frames ?? PhenakiModels.defaultFrames(for: "maskgit", config: config)
        try CViViTTrainer.prepareFolder(self.results)
        let c = config.cvivit
        videoShape = [options.batchSize, c.channels, frames, c.imageSize.height, c.imageSize.width]

        encoder = try PlanExecutor(plan: compile(PhenakiModels.graph(named: "cvivit-encode", config: config,
                                                                     batch: options.batchSize, frames: frames)),
                                   threads: options.threads)
        let training = TrainingOptions(beta2: options.beta2, weightDecay: options.weightDecay,
                                       maxGradNorm: options.maxGradNorm, gradientAccumulation: options.gradAccumEvery)
        let graph = try PhenakiLossModel.trainingStep(config: config, critic: PhenakiModels.lossCritic(config),
                                                      batch: options.batchSize, frames: frames,
                                                      training: options.training, options: training)
        session = try TrainingSession(plan: compile(graph), threads: options.threads, seed: options.seed)
        store = CheckpointStore(directory: self.results + "/checkpoints", keepLast: options.keepLast)

        if let resumeFrom {
            let source = CheckpointStore(directory: URL(fileURLWithPath: resumeFrom).standardizedFileURL.path + "/checkpoints")
            guard let path = source.latest() else { throw TrainerError.nothingToResume(path: resumeFrom) }
            checkpoint = try Checkpoint.load(directory: path, config: config)
            dataOrder = checkpoint.state.data
        } else if let initial {
            checkpoint = try Checkpoint.load(directory: initial, config: config)
            checkpoint.state = CheckpointState(step: 0, seed: options.seed)
            checkpoint.optimizer = [:]
        } else {
            checkpoint = try Checkpoint.initial(config: config, seed: options.seed)
        }
        step = checkpoint.state.step
        let feedNames = Set(session.executor.plan.feeds.map(\.name))
        for (component, scope) in Self.scopes {
            for (name, value) in checkpoint.trainingFeeds(of: component, scope: scope) where feedNames.contains(name) {
                try session.executor.setFeed(name, value)
            }
        }
        let encoderFeeds = Set(encoder.plan.feeds.map(\.name))
        for (name, value) in checkpoint.weights[.cvivit] ?? [:] where encoderFeeds.contains(name) {
            try encoder.setFeed(name, value)
        }
        try session.setScalar(TrainingState.learningRate, options.learningRate)
        var columns = ["loss"]
        if options.training != .onlyCritic { columns.append("maskgit_loss") }
        if session.executor.plan.outputs.contains(where: { $0.name == "critic_loss" }) { columns.append("critic_loss") }
        metrics = try TrainingMetricsLog(path: self.results + "/metrics.csv", lossColumns: columns,
                                         resumingAt: resumeFrom == nil ? nil : step)
    }

    /// Runs updates until `options.steps` on the stream `data` returns for the saved data order
    /// (nil: a new run).
    /// - Throws: `TrainerError.batchShape`, what the data, text encoder, plans and checkpoint
    ///   writes throw.
    public func train(data: (DataOrderState?) throws -> BatchStream, progress: Bool = true) throws {
        let stream = try data(dataOrder)
        let reporter = TrainingProgress(totalSteps: options.steps, firstStep: step)
        let k = options.gradAccumEvery
        while step < options.steps {
            let started = monotonicSeconds()
            var sums = [Double](repeating: 0, count: metrics.lossColumns.count)
            for micro in 0..<k {
                let batch = try stream.next()
                guard batch.videos.shape == videoShape else {
                    throw TrainerError.batchShape(expected: videoShape, got: batch.videos.shape)
                }
                try encoder.setFeed("video", batch.videos)
                try encoder.run()
                var ids = encoder.output("ids")!
                ids.shape = [options.batchSize, ids.count / options.batchSize]
                var feeds = ["ids": ids]
                if let textEncoder, !config.maskgit.unconditional {
                    feeds["text"] = try paddedText(textEncoder.encode(batch.captions.map { $0 ?? "" }))
                }
                try TrainerRNG.feedKeys(session.executor, seed: options.seed, draw: step * k + micro)
                try session.step(feeds)
                for (i, name) in metrics.lossColumns.enumerated() { sums[i] += session.scalar(name) ?? .nan }
                dataOrder = batch.order
            }
            step += 1
            let record = TrainingRecord(step: step, losses: sums.map { $0 / Double(k) }, learningRate: options.learningRate,
                                        gradNorm: session.scalar(TrainingState.gradNorm) ?? .nan,
                                        seconds: monotonicSeconds() - started)
            if step % options.saveModelEvery == 0 || step == options.steps { try saveCheckpoint() }
            try metrics.append(record)
            if progress { reporter.report(step: step, losses: Array(zip(metrics.lossColumns, record.losses))) }
        }
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

    /// Saves checkpoint `step-<step>`.
    func saveCheckpoint() throws {
        for (component, scope) in Self.scopes {
            checkpoint.absorbTrainingState(of: component, scope: scope) { ExecutorTransfer.feed($0, of: self.session.executor) }
        }
        checkpoint.state.step = step
        checkpoint.state.seed = options.seed
        checkpoint.state.data = dataOrder ?? DataOrderState()
        checkpoint.state.trainer["frames"] = .number(Double(frames))
        checkpoint.state.trainer["batch_size"] = .number(Double(options.batchSize))
        try store.save(checkpoint)
    }
}
