/// The settings of a C-ViViT training run, named and defaulted as phenaki-pytorch's
/// `CViViTTrainer` (0.5.0) names them, plus what that trainer leaves implicit (seed, threads,
/// validation cadence, checkpoint retention).
public struct CViViTTrainerOptions: Hashable, Sendable {
    /// Optimizer updates to reach (`num_train_steps`); a resumed run counts the steps it resumed from.
    public var steps: Int
    /// Videos per micro-batch (`batch_size`).
    public var batchSize: Int
    /// Train on single images (`train_on_images`): frames is 1.
    public var trainOnImages: Bool
    /// Frames per video (`num_frames`); nil: `PhenakiModels.defaultFrames` (1 for images).
    public var frames: Int?
    /// Micro-batches summed into one update (`grad_accum_every`).
    public var gradAccumEvery: Int
    /// Adam learning rate (`lr`), for the generator and the discriminator.
    public var learningRate: Double
    /// Updates at the end of the run over which the rate falls linearly towards zero; 0 keeps
    /// it constant, as phenaki-pytorch does (see `LearningRateSchedule`).
    public var lrDecaySteps: Int = 0
    /// The rate of every update.
    public var learningRateSchedule: LearningRateSchedule {
        LearningRateSchedule(base: learningRate, steps: steps, decaySteps: lrDecaySteps)
    }
    /// Decoupled weight decay on ≥ 2-D parameters (`wd`).
    public var weightDecay: Double
    /// Global gradient-norm clip of the generator (`max_grad_norm`); nil: off.
    public var maxGradNorm: Double?
    /// Global gradient-norm clip of the discriminator (`discr_max_grad_norm`); nil: off.
    public var discrMaxGradNorm: Double?
    /// Keep an EMA of the generator's weights (`use_ema`).
    public var useEMA: Bool
    /// The EMA's largest decay (`ema_beta`). phenaki-pytorch 0.5.0 accepts it but does not pass it
    /// on (ema-pytorch then uses 0.9999); here it is used as given.
    public var emaBeta: Double
    /// Updates during which the EMA copies the weights (`ema_update_after_step`).
    public var emaUpdateAfterStep: Int
    /// Blend the EMA every this many updates (`ema_update_every`).
    public var emaUpdateEvery: Int
    /// The discriminator step adds its gradient penalty on updates whose index (0-based) is a
    /// multiple of this (`apply_grad_penalty_every`).
    public var applyGradPenaltyEvery: Int
    /// Save reconstructions (and the loss curve) every this many updates (`save_results_every`).
    public var saveResultsEvery: Int
    /// Save a checkpoint every this many updates (`save_model_every`); the last update is always saved.
    public var saveModelEvery: Int
    /// Compute the validation loss every this many updates; nil: as often as results are saved.
    public var validEvery: Int?
    /// Held-out batches averaged for one validation loss.
    public var validBatches: Int
    /// Checkpoints kept in the results folder (the newest); nil keeps all.
    public var keepLast: Int?
    /// Seed of the initial weights and of the GAN's frame picks.
    public var seed: UInt64
    /// Threads of the plan executors; nil: one per core.
    public var threads: Int?
    /// What to do when an update's loss or gradients are not finite (`on_nonfinite`).
    public var onNonfinite: NonFinitePolicy

    public init(steps: Int = 1000, batchSize: Int = 4, trainOnImages: Bool = false, frames: Int? = nil,
                gradAccumEvery: Int = 1, learningRate: Double = 3e-4, weightDecay: Double = 0,
                maxGradNorm: Double? = 0.5, discrMaxGradNorm: Double? = nil, useEMA: Bool = true,
                emaBeta: Double = 0.995, emaUpdateAfterStep: Int = 0, emaUpdateEvery: Int = 1,
                applyGradPenaltyEvery: Int = 4, saveResultsEvery: Int = 100, saveModelEvery: Int = 1000,
                validEvery: Int? = nil, validBatches: Int = 1, keepLast: Int? = nil, seed: UInt64 = 0,
                threads: Int? = nil, onNonfinite: NonFinitePolicy = .skip) {
        self.steps = steps
        self.batchSize = batchSize
        self.trainOnImages = trainOnImages
        self.frames = frames
        self.gradAccumEvery = gradAccumEvery
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm
        self.discrMaxGradNorm = discrMaxGradNorm
        self.useEMA = useEMA
        self.emaBeta = emaBeta
        self.emaUpdateAfterStep = emaUpdateAfterStep
        self.emaUpdateEvery = emaUpdateEvery
        self.applyGradPenaltyEvery = applyGradPenaltyEvery
        self.saveResultsEvery = saveResultsEvery
        self.saveModelEvery = saveModelEvery
        self.validEvery = validEvery
        self.validBatches = validBatches
        self.keepLast = keepLast
        self.seed = seed
        self.threads = threads
        self.onNonfinite = onNonfinite
    }

    /// Checks every value a user can get wrong.
    /// - Throws: `TrainerError.invalidOption` naming the option and what it must be.
    public func validate() throws(TrainerError) {
        func positive(_ value: Int, _ name: String) throws(TrainerError) {
            if value < 1 { throw .invalidOption(name: name, value: "\(value)", expected: "at least 1") }
        }
        if steps < 0 { throw .invalidOption(name: "steps", value: "\(steps)", expected: "0 or more") }
        try positive(batchSize, "batch")
        try positive(gradAccumEvery, "grad-accum-every")
        try positive(applyGradPenaltyEvery, "apply-grad-penalty-every")
        try positive(saveResultsEvery, "save-results-every")
        try positive(saveModelEvery, "save-model-every")
        try positive(emaUpdateEvery, "ema-update-every")
        try positive(validBatches, "valid-batches")
        if let validEvery { try positive(validEvery, "valid-every") }
        if let keepLast { try positive(keepLast, "keep-last") }
        if let threads { try positive(threads, "threads") }
        if let frames {
            try positive(frames, "frames")
            if trainOnImages && frames != 1 {
                throw .invalidOption(name: "frames", value: "\(frames)", expected: "1 when training on images")
            }
        }
        if emaUpdateAfterStep < 0 {
            throw .invalidOption(name: "ema-update-after-step", value: "\(emaUpdateAfterStep)", expected: "0 or more")
        }
        try learningRateSchedule.validate()
        if !(weightDecay >= 0 && weightDecay.isFinite) {
            throw .invalidOption(name: "wd", value: "\(weightDecay)", expected: "a finite number ≥ 0")
        }
        if !(emaBeta >= 0 && emaBeta <= 1) {
            throw .invalidOption(name: "ema-beta", value: "\(emaBeta)", expected: "within 0...1")
        }
        for (name, value) in [("max-grad-norm", maxGradNorm), ("discr-max-grad-norm", discrMaxGradNorm)] {
            if let value, !(value > 0 && value.isFinite) {
                throw .invalidOption(name: name, value: "\(value)", expected: "a positive finite number (leave it out to turn clipping off)")
            }
        }
    }
}
