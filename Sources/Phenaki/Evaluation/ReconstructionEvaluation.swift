import GraphCompiler
import GraphRuntime
import TensorGraph

/// Which held-out videos a reconstruction evaluation reads.
public struct ReconstructionOptions: Sendable {
    /// Batches to evaluate.
    public var batches: Int
    /// Videos per batch.
    public var batch: Int
    /// Frames per video (nil: `PhenakiModels.defaultFrames(for: "cvivit", …)`).
    public var frames: Int?
    /// The data (its held-out split is read, in order, from the first example).
    public var dataset: DatasetSpec
    /// Seeds the clips' motion (Fashion-MNIST clips).
    public var seed: UInt64
    /// Where the Fashion-MNIST files are.
    public var fashionMNISTDirectory: String

    public init(batches: Int = 8, batch: Int = 4, frames: Int? = nil, dataset: DatasetSpec = .fashionMNISTVideo,
                seed: UInt64 = 0, fashionMNISTDirectory: String = DatasetOptions.defaultFashionMNISTDirectory) {
        self.batches = batches
        self.batch = batch
        self.frames = frames
        self.dataset = dataset
        self.seed = seed
        self.fashionMNISTDirectory = fashionMNISTDirectory
    }
}

/// C-ViViT's reconstruction quality and codebook use on held-out videos.
public struct ReconstructionReport: Hashable, Sendable {
    /// Videos evaluated.
    public var videos: Int
    /// Frames per video.
    public var frames: Int
    /// Mean over videos of the PSNR (dB, MAX = 1) of encode → decode, the decoded video clamped
    /// to [0, 1] as every writer stores it; each video's PSNR capped at `PSNR cap`.
    public var psnr: Double
    /// The same for the "repeat the first frame" prediction.
    public var repeatFirstFramePSNR: Double
    /// Distinct codebook ids among all held-out tokens.
    public var codesUsed: Int
    /// Entries in the codebook.
    public var codebookSize: Int
    /// `codesUsed` as a percentage of `codebookSize`.
    public var codebookUsedPercent: Double
    /// exp of the entropy of the id histogram.
    public var perplexity: Double
    /// Tokens counted.
    public var tokens: Int

    /// Per-video PSNR ceiling (dB): a lossless video would otherwise make the mean infinite.
    public static let psnrCap = 100.0
}

/// Runs C-ViViT (eval mode: encode to codebook ids, decode them) over held-out batches.
public enum ReconstructionEvaluation {
    /// Measures `weights` (C-ViViT's state_dict, `cvivit.safetensors` names) of `config`.
    /// - Throws: `EvaluationError.invalidCount`, `.notEnoughData`, `DatasetError`,
    ///   `PhenakiModelError` (frames), graph and runtime errors.
    public static func run(config: PhenakiConfig, weights: [String: HostTensor], options: ReconstructionOptions,
                           threads: Int? = nil) throws -> ReconstructionReport {
        guard options.batches >= 1 else { throw EvaluationError.invalidCount(option: "--eval-batches", value: options.batches, minimum: 1) }
        guard options.batch >= 1 else { throw EvaluationError.invalidCount(option: "--batch", value: options.batch, minimum: 1) }
        let c = config.cvivit
        let frames = options.frames ?? PhenakiModels.defaultFrames(for: "cvivit", config: config)
        try PhenakiModels.checkFrames(frames, for: "cvivit-encode", config: config)
        let data = try openDataset(options.dataset,
                                   options: DatasetOptions(config: c, frames: frames, seed: options.seed,
                                                           fashionMNISTDirectory: options.fashionMNISTDirectory),
                                   split: .heldOut)
        guard data.count >= options.batch else { throw EvaluationError.notEnoughData(examples: data.count) }
        let batches = min(options.batches, data.count / options.batch)
        let b = options.batch
        let encoder = try executor(PhenakiModels.graph(named: "cvivit-encode", config: config, batch: b, frames: frames),
                                   weights: weights, threads: threads)
        let decoder = try executor(PhenakiModels.graph(named: "cvivit-decode", config: config, batch: b, frames: frames),
                                   weights: weights, threads: threads)
        let videoSize = c.channels * frames * c.imageSize.height * c.imageSize.width
        let plane = c.imageSize.height * c.imageSize.width
        var usage = CodebookUsage(codebookSize: c.codebookSize)
        var (psnrSum, baselineSum) = (0.0, 0.0)
        for batchIndex in 0..<batches {
            var originals: [[Float]] = []
            for i in 0..<b {
                originals.append(try data.example(at: batchIndex * b + i).video.pixels)
            }
            try encoder.withFloatBuffer("video") { input in
                for (i, video) in originals.enumerated() {
                    video.withUnsafeBufferPointer { v in
                        for p in 0..<videoSize { input[i * videoSize + p] = v[p] }
                    }
                }
            }
            try encoder.run()
            var ids = encoder.output("ids")!
            usage.add(ids.scalars.map { Int32($0) })
            ids.shape = [b, ids.count / b]
            try decoder.setFeed("ids", ids)
            try decoder.run()
            try decoder.withFloatBuffer("video") { recon in
                for (i, video) in originals.enumerated() {
                    var clamped = [Float](repeating: 0, count: videoSize)
                    for p in 0..<videoSize {
                        let value = recon[i * videoSize + p]
                        clamped[p] = value > 0 ? min(value, 1) : 0
                    }
                    psnrSum += min(PSNR.of(clamped, video), ReconstructionReport.psnrCap)
                    let baseline = PSNR.repeatFirstFrame(video, channels: c.channels, frames: frames, plane: plane)
                    baselineSum += min(PSNR.of(baseline, video), ReconstructionReport.psnrCap)
                }
            }
        }
        let videos = batches * b
        return ReconstructionReport(videos: videos, frames: frames, psnr: psnrSum / Double(videos),
                                    repeatFirstFramePSNR: baselineSum / Double(videos), codesUsed: usage.used,
                                    codebookSize: c.codebookSize, codebookUsedPercent: usage.usedPercent,
                                    perplexity: usage.perplexity, tokens: usage.total)
    }

    /// A plan of `graph` with its parameters bound from `weights`.
    static func executor(_ graph: Graph, weights: [String: HostTensor], threads: Int?) throws -> PlanExecutor {
        let executor = try PlanExecutor(plan: compile(graph), threads: threads)
        for binding in executor.feedBindings where binding.role == .parameter {
            guard let value = weights[binding.name] else { continue }
            try executor.setFeed(binding.name, value)
        }
        return executor
    }
}
