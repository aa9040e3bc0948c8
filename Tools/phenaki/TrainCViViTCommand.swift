import ArgumentParser
import Foundation
import Phenaki

/// `phenaki train-cvivit`: trains C-ViViT on a folder, a manifest or Fashion-MNIST with
/// `CViViTTrainer`, writing checkpoints, reconstructions, metrics.csv and a loss curve.
struct TrainCViViTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-cvivit",
        abstract: "Train C-ViViT (phenaki-pytorch's CViViTTrainer) on compiled training plans.",
        discussion: """
            --data is a folder of images or videos, a .jsonl manifest, fashion-mnist (images) or \
            fashion-mnist-video (moving clips). With use_vgg_and_gan in the config the generator step adds \
            the adaptive GAN term and a discriminator trains in its own step (without the VGG perceptual \
            term). The results folder gets checkpoints/step-N (resume with --resume), metrics.csv, \
            loss_curve.svg and reconstructions (samples.N/*.gif for videos, N.png for images; .ema for the \
            EMA weights). A progress line per update goes to standard error.
            """
    )

    @Option(help: "A named config (\(PhenakiConfig.variantNames.joined(separator: ", "))).")
    var variant: String = "tiny"

    @Option(help: ArgumentHelp("A JSON config file (replaces --variant).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("The data: DIR, FILE.jsonl, fashion-mnist or fashion-mnist-video.", valueName: "data"))
    var data: String

    @Flag(help: "Train on still images (implied by --data fashion-mnist).")
    var images = false

    @Option(help: "Frames per video, 1 + k · temporal_patch_size (default: 17 when it fits, else 1 + temporal_patch_size).")
    var frames: Int?

    @Option(help: "Optimizer updates to reach (num_train_steps).")
    var steps: Int = 1000

    @Option(help: "Videos per micro-batch (batch_size).")
    var batch: Int = 4

    @Option(help: "Micro-batches per update (grad_accum_every).")
    var gradAccumEvery: Int = 1

    @Option(help: "Learning rate (lr).")
    var lr: Double = 3e-4

    @Option(help: "Updates at the end of the run over which the learning rate falls linearly towards 0 (a cooldown); 0: constant.")
    var lrDecaySteps: Int = 0

    @Option(help: "AdamW weight decay on ≥ 2-D weights (wd).")
    var wd: Double = 0

    @Option(help: "Generator gradient-norm clip (max_grad_norm); 0 turns clipping off.")
    var maxGradNorm: Double = 0.5

    @Option(help: "Discriminator gradient-norm clip (discr_max_grad_norm); default off.")
    var discrMaxGradNorm: Double?

    @Flag(help: "Keep no EMA of the weights (use_ema = False).")
    var noEma = false

    @Option(help: "Largest EMA decay (ema_beta).")
    var emaBeta: Double = 0.995

    @Option(help: "Updates during which the EMA copies the weights (ema_update_after_step).")
    var emaUpdateAfterStep: Int = 0

    @Option(help: "Blend the EMA every N updates (ema_update_every).")
    var emaUpdateEvery: Int = 1

    @Option(help: "Discriminator gradient penalty every N updates (apply_grad_penalty_every).")
    var applyGradPenaltyEvery: Int = 4

    @Option(help: "Save reconstructions every N updates (save_results_every).")
    var saveResultsEvery: Int = 100

    @Option(help: "Save a checkpoint every N updates (save_model_every); the last update is always saved.")
    var saveModelEvery: Int = 1000

    @Option(help: "Validation loss every N updates (default: --save-results-every).")
    var validEvery: Int?

    @Option(help: "Held-out batches per validation loss.")
    var validBatches: Int = 1

    @Option(help: "Checkpoints to keep (default: all).")
    var keepLast: Int?

    @Option(help: ArgumentHelp("The results folder.", valueName: "dir"))
    var results: String?

    @Option(name: .customLong("init"),
            help: ArgumentHelp("Start from the C-ViViT weights of this checkpoint (e.g. from `phenaki init`).", valueName: "dir"))
    var initial: String?

    @Option(help: ArgumentHelp("Resume from the latest checkpoint of this results folder (and write there unless --results is given).",
                               valueName: "dir"))
    var resume: String?

    @Option(help: "Seed of the initial weights, the data order and the GAN's frame picks.")
    var seed: UInt64 = 0

    @Option(help: "Threads of the plans (default: one per core).")
    var threads: Int?

    @Option(help: ArgumentHelp("When an update's loss or gradients are not finite: skip it (and go on) or stop. "
                               + "Either way the weights and the latest checkpoint stay as before it; the message names "
                               + "the layer where the first NaN or inf appeared.", valueName: "skip|stop"))
    var onNonfinite: NonFinitePolicy = .skip

    @Flag(help: "Mirror training pictures left to right at random.")
    var flip = false

    @Option(help: ArgumentHelp("Where the Fashion-MNIST IDX files are.", valueName: "dir"))
    var fashionMnistDir: String = "/usr/share/datasets/fashion-mnist"

    @Flag(help: "No progress line.")
    var quiet = false

    @OptionGroup var dataParallel: DataParallelOptions

    func run() throws {
        do {
            let group = try dataParallel.group()
            let config = try self.config.map { try PhenakiConfig.load(path: $0) } ?? PhenakiConfig.variant(named: variant)
            let spec = DatasetSpec(parsing: data)
            let onImages = images || spec == .fashionMNIST
            var options = CViViTTrainerOptions(
                steps: steps, batchSize: batch, trainOnImages: onImages, frames: frames, gradAccumEvery: gradAccumEvery,
                learningRate: lr, weightDecay: wd, maxGradNorm: maxGradNorm == 0 ? nil : maxGradNorm,
                discrMaxGradNorm: discrMaxGradNorm, useEMA: !noEma, emaBeta: emaBeta,
                emaUpdateAfterStep: emaUpdateAfterStep, emaUpdateEvery: emaUpdateEvery,
                applyGradPenaltyEvery: applyGradPenaltyEvery, saveResultsEvery: saveResultsEvery,
                saveModelEvery: saveModelEvery, validEvery: validEvery, validBatches: validBatches, keepLast: keepLast,
                seed: seed, threads: threads, onNonfinite: onNonfinite)
            options.lrDecaySteps = lrDecaySteps
            try options.validate()
            // The frame count and the data are checked before the trainer creates the results folder,
            // so a run refused for its data leaves nothing behind.
            let frames = CViViTTrainer.frames(options: options, config: config)
            try PhenakiModels.checkFrames(frames, for: "cvivit", config: config)
            let dataOptions = DatasetOptions(config: config.cvivit, frames: onImages ? nil : frames,
                                             horizontalFlip: flip, seed: seed, fashionMNISTDirectory: fashionMnistDir)
            let training = try openDataset(spec, options: dataOptions, split: .train)
            let heldOut = try openDataset(spec, options: dataOptions, split: .heldOut)
            let folder = results ?? resume ?? "results"
            let trainer = try CViViTTrainer(config: config, options: options, results: folder, initial: initial,
                                            resumeFrom: resume, group: group)
            let validation = try BatchLoader(source: heldOut, batchSize: batch, seed: seed &+ 1, threads: 1)
            // From here Ctrl-C saves the last update as a checkpoint and exits with 130. Not under
            // mpirun: ranks get the signal at different updates, and mpirun ends them itself.
            if group.size == 1 {
                trainer.shouldStop = { InterruptSignal.received != nil }
                InterruptSignal.install()
            }
            try trainer.train(data: { order in
                try BatchLoader(source: training, batchSize: batch, seed: seed, order: order ?? DataOrderState(),
                                rank: group.rank, ranks: group.size)
            }, validation: validation, progress: !quiet)
            try group.finalize()
            if group.isWriter { print(trainer.results) }
        } catch let interrupted as TrainingInterrupted {
            FileHandleOutput.standardError("\(interrupted)\n")
            throw ExitCode(InterruptSignal.exitStatus)
        } catch {
            throw fail(error)
        }
    }
}

/// `--on-nonfinite skip|stop` (shared with the other training commands).
extension NonFinitePolicy: ExpressibleByArgument {}
