import Foundation
import PhenakiGraphs

/// The settings of a Phenaki (MaskGit + critic) training run, named and defaulted as
/// phenaki-pytorch 0.5.0's `PhenakiTrainer`: lr 1e-4, Adam betas (0.9, 0.99), no weight decay,
/// no clipping.
public struct PhenakiTrainerOptions: Hashable {
    /// Optimizer updates to reach (`train_num_steps`).
    public var steps: Int
    /// Videos per micro-batch (`batch_size`).
    public var batchSize: Int
    /// Frames per video (`num_frames`); nil: the most MaskGit's max_seq_len allows.
    public var frames: Int?
    /// Micro-batches per update (`grad_accum_every`).
    public var gradAccumEvery: Int
    /// `train_lr`.
    public var learningRate: Double
    /// Updates at the end of the run over which the rate falls linearly towards zero; 0 keeps
    /// it constant, as phenaki-pytorch does (see `LearningRateSchedule`).
    public var lrDecaySteps: Int = 0
    /// The rate of every update.
    public var learningRateSchedule: LearningRateSchedule {
        LearningRateSchedule(base: learningRate, steps: steps, decaySteps: lrDecaySteps)
    }
    /// `adam_betas[1]`.
    public var beta2: Double
    /// `wd` (on ≥ 2-D weights).
    public var weightDecay: Double
    /// `max_grad_norm`; nil: off.
    public var maxGradNorm: Double?
    /// What the loss trains (`only_train_generator`, `only_train_critic`).
    public var training: PhenakiLoss.Training
    /// Save a checkpoint every this many updates; the last update is always saved.
    public var saveModelEvery: Int
    /// Checkpoints kept (the newest); nil keeps all.
    public var keepLast: Int?
    /// Seed of the loss's random draws (mask ratios, critic samples, conditional dropout).
    public var seed: UInt64
    /// Threads of the plans; nil: one per core.
    public var threads: Int?
    /// What to do when an update's loss or gradients are not finite (`--on-nonfinite`).
    public var onNonfinite: NonFinitePolicy = .skip
    /// Updates trained on still images (one frame each) before switching to clips: the
    /// `train_on_images` phase of phenaki-pytorch's trainer, run first; 0: clips only.
    public var imageSteps: Int
    /// Write samples every this many updates (`save_and_sample_every`); nil: never.
    public var saveResultsEvery: Int?
    /// The captions samples are drawn for, one file each (`sample_texts`); ignored by an
    /// unconditional MaskGit, which draws one sample.
    public var sampleTexts: [String]
    /// Frames per sampled video (`sample_num_frames`); nil: the training frames.
    public var sampleFrames: Int?
    /// Classifier-free guidance scale of the samples.
    public var sampleCondScale: Double

    public init(steps: Int = 1000, batchSize: Int = 4, frames: Int? = nil, gradAccumEvery: Int = 1,
                learningRate: Double = 1e-4, beta2: Double = 0.99, weightDecay: Double = 0, maxGradNorm: Double? = nil,
                training: PhenakiLoss.Training = .both, saveModelEvery: Int = 1000, keepLast: Int? = nil,
                seed: UInt64 = 0, threads: Int? = nil, imageSteps: Int = 0, saveResultsEvery: Int? = nil,
                sampleTexts: [String] = [], sampleFrames: Int? = nil, sampleCondScale: Double = 3) {
        self.steps = steps
        self.batchSize = batchSize
        self.frames = frames
        self.gradAccumEvery = gradAccumEvery
        self.learningRate = learningRate
        self.beta2 = beta2
        self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm
        self.training = training
        self.saveModelEvery = saveModelEvery
        self.keepLast = keepLast
        self.seed = seed
        self.threads = threads
        self.imageSteps = imageSteps
        self.saveResultsEvery = saveResultsEvery
        self.sampleTexts = sampleTexts
        self.sampleFrames = sampleFrames
        self.sampleCondScale = sampleCondScale
    }

    /// Checks every value a user can get wrong.
    /// - Throws: `TrainerError.invalidOption`.
    public func validate() throws(TrainerError) {
        if steps < 0 { throw .invalidOption(name: "steps", value: "\(steps)", expected: "0 or more") }
        if imageSteps < 0 { throw .invalidOption(name: "image-steps", value: "\(imageSteps)", expected: "0 or more") }
        if !sampleCondScale.isFinite {
            throw .invalidOption(name: "sample-cond-scale", value: "\(sampleCondScale)", expected: "a finite number")
        }
        if let blank = sampleTexts.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw .invalidOption(name: "sample-texts", value: "'\(blank)'", expected: "non-empty captions")
        }
        for (name, value) in [("batch", batchSize), ("grad-accum-every", gradAccumEvery),
                              ("save-model-every", saveModelEvery), ("frames", frames ?? 1), ("keep-last", keepLast ?? 1),
                              ("threads", threads ?? 1), ("save-results-every", saveResultsEvery ?? 1),
                              ("sample-frames", sampleFrames ?? 1)] where value < 1 {
            throw .invalidOption(name: name, value: "\(value)", expected: "at least 1")
        }
        try learningRateSchedule.validate()
        if !(beta2 >= 0 && beta2 < 1) { throw .invalidOption(name: "beta2", value: "\(beta2)", expected: "within [0, 1)") }
        if !(weightDecay >= 0 && weightDecay.isFinite) {
            throw .invalidOption(name: "wd", value: "\(weightDecay)", expected: "a finite number ≥ 0")
        }
        if let maxGradNorm, !(maxGradNorm > 0 && maxGradNorm.isFinite) {
            throw .invalidOption(name: "max-grad-norm", value: "\(maxGradNorm)", expected: "a positive finite number")
        }
    }
}
