import ArgumentParser
import Foundation
import Phenaki
import PhenakiGraphs

/// `phenaki train`: trains MaskGit (and its critic) with a frozen C-ViViT on a folder, a
/// manifest or Fashion-MNIST with `PhenakiTrainer`, writing checkpoints that `phenaki sample`
/// runs on, samples of the sample texts, metrics.csv and a loss curve.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train Phenaki's MaskGit and critic (phenaki-pytorch's PhenakiTrainer) with C-ViViT frozen.",
        discussion: """
            --cvivit names a checkpoint directory (e.g. checkpoints/step-N of `phenaki train-cvivit`) whose \
            C-ViViT weights turn the videos into codebook ids; its cvivit config section must equal this \
            config's. MaskGit and the critic (a token critic for a critic section, the self critic for \
            self_token_critic, else none) start from --init or from weights drawn with --seed. Captions go \
            through the config's text_encoder (minilm or t5; --text-model-dir); 'precomputed' cannot encode \
            training captions. --data is a folder, a .jsonl manifest, fashion-mnist (still images only) or \
            fashion-mnist-video (moving clips); --image-steps first trains that many updates on still images \
            (--image-data, default fashion-mnist for fashion-mnist-video, else --data). Every \
            --save-results-every updates each --sample-texts caption is sampled with the current weights into \
            samples/step-N/<caption>.gif (.png while on images); a text-conditioned model needs --sample-texts \
            unless --save-results-every is 0. The results folder gets checkpoints/step-N \
            (C-ViViT, MaskGit, critic: `phenaki sample --checkpoint` runs on them; resume with --resume), \
            metrics.csv and loss_curve.svg. A progress line per update goes to standard error.
            """
    )

    @Option(help: "A named config (\(PhenakiConfig.variantNames.joined(separator: ", "))).")
    var variant: String = "small"

    @Option(help: ArgumentHelp("A JSON config file (replaces --variant).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("The checkpoint whose C-ViViT weights are used, frozen (needed unless --resume).",
                               valueName: "dir"))
    var cvivit: String?

    @Option(name: .customLong("init"),
            help: ArgumentHelp("Start MaskGit and the critic from this checkpoint (e.g. from `phenaki init`).", valueName: "dir"))
    var initial: String?

    @Option(help: ArgumentHelp("The data: DIR, FILE.jsonl, fashion-mnist or fashion-mnist-video.", valueName: "data"))
    var data: String

    @Option(help: "Frames per video, 1 + k · temporal_patch_size (default: the most MaskGit's max_seq_len allows).")
    var frames: Int?

    @Option(help: "Optimizer updates to reach (train_num_steps).")
    var steps: Int = 1000

    @Option(help: "Updates on still images before the clips (train_on_images first); 0: clips only.")
    var imageSteps: Int = 0

    @Option(help: ArgumentHelp("The still images of --image-steps: DIR, FILE.jsonl or fashion-mnist.", valueName: "data"))
    var imageData: String?

    @Option(help: "Videos per micro-batch (batch_size).")
    var batch: Int = 4

    @Option(help: "Micro-batches per update (grad_accum_every).")
    var gradAccumEvery: Int = 1

    @Option(help: "Learning rate (train_lr).")
    var lr: Double = 1e-4

    @Option(help: "Updates at the end of the run over which the learning rate falls linearly towards 0 (a cooldown); 0: constant.")
    var lrDecaySteps: Int = 0

    @Option(help: "Adam's second beta (adam_betas[1]).")
    var beta2: Double = 0.99

    @Option(help: "AdamW weight decay on ≥ 2-D weights (wd).")
    var wd: Double = 0

    @Option(help: "Gradient-norm clip (max_grad_norm); default off.")
    var maxGradNorm: Double?

    @Option(help: "What the loss trains: both, generator (only_train_generator) or critic (only_train_critic).")
    var train: String = "both"

    @Option(help: ArgumentHelp("Captions to sample: a text file (one per line) or captions separated by ';'.",
                               valueName: "file|\"a;b\""))
    var sampleTexts: String?

    @Option(help: "Frames per sampled video (sample_num_frames; default: --frames).")
    var sampleFrames: Int?

    @Option(help: "Classifier-free guidance scale of the samples (cond_scale).")
    var sampleCondScale: Double = 3

    @Option(help: "Sample every N updates (save_and_sample_every); 0 turns samples off.")
    var saveResultsEvery: Int = 1000

    @Option(help: "Save a checkpoint every N updates; the last update is always saved.")
    var saveModelEvery: Int = 1000

    @Option(help: "Checkpoints to keep (default: all).")
    var keepLast: Int?

    @Option(help: ArgumentHelp("The results folder.", valueName: "dir"))
    var results: String?

    @Option(help: ArgumentHelp("Resume from the latest checkpoint of this results folder (and write there unless --results is given).",
                               valueName: "dir"))
    var resume: String?

    @Option(help: "Seed of the initial weights, the data order, the loss's and the samples' random draws.")
    var seed: UInt64 = 0

    @Option(help: "Threads of the plans (default: one per core).")
    var threads: Int?

    @Option(help: ArgumentHelp("When an update's loss or gradients are not finite: skip it (and go on) or stop. "
                               + "Either way the weights and the latest checkpoint stay as before it.",
                               valueName: "skip|stop"))
    var onNonfinite: NonFinitePolicy = .skip

    @Flag(help: "Mirror training pictures left to right at random.")
    var flip = false

    @Option(help: ArgumentHelp("The MiniLM or T5 model folder (text_encoder minilm or t5).", valueName: "dir"))
    var textModelDir: String?

    @Option(help: ArgumentHelp("Where the Fashion-MNIST IDX files are.", valueName: "dir"))
    var fashionMnistDir: String = "/usr/share/datasets/fashion-mnist"

    @Flag(help: "No progress line.")
    var quiet = false

    @OptionGroup var dataParallel: DataParallelOptions

    /// `--train` as the loss's training mode; nil for an unknown name.
    static func trainMode(_ name: String) -> PhenakiLoss.Training? {
        switch name {
        case "both": return .both
        case "generator": return .onlyGenerator
        case "critic": return .onlyCritic
        default: return nil
        }
    }

    func run() throws {
        do {
            let group = try dataParallel.group()
            let config = try self.config.map { try PhenakiConfig.load(path: $0) } ?? PhenakiConfig.variant(named: variant)
            guard let training = Self.trainMode(train) else {
                throw TrainerError.invalidOption(name: "train", value: train, expected: "both, generator or critic")
            }
            if cvivit == nil && resume == nil {
                throw TrainerError.invalidOption(name: "cvivit", value: "(none)",
                                                 expected: "a checkpoint with trained C-ViViT weights (or --resume a run)")
            }
            if saveResultsEvery < 0 {
                throw TrainerError.invalidOption(name: "save-results-every", value: "\(saveResultsEvery)", expected: "0 or more")
            }
            let spec = DatasetSpec(parsing: data)
            let onImages = spec == .fashionMNIST
            if onImages, let frames, frames != 1 {
                throw TrainerError.invalidOption(name: "frames", value: "\(frames)", expected: "1 (or left out) for --data fashion-mnist")
            }
            var options = PhenakiTrainerOptions(
                steps: steps, batchSize: batch, frames: onImages ? 1 : frames, gradAccumEvery: gradAccumEvery,
                learningRate: lr, beta2: beta2, weightDecay: wd, maxGradNorm: maxGradNorm, training: training,
                saveModelEvery: saveModelEvery, keepLast: keepLast, seed: seed, threads: threads,
                imageSteps: onImages ? 0 : imageSteps, saveResultsEvery: saveResultsEvery == 0 ? nil : saveResultsEvery,
                sampleTexts: try sampleTexts.map(Self.captions) ?? [], sampleFrames: sampleFrames,
                sampleCondScale: sampleCondScale)
            options.onNonfinite = onNonfinite
            options.lrDecaySteps = lrDecaySteps
            try options.validate()
            let textEncoder = try Self.textEncoder(config: config, modelDirectory: textModelDir, threads: threads)
            let folder = results ?? resume ?? "results"
            let trainer = try PhenakiTrainer(config: config, options: options, results: folder, initial: initial,
                                             resumeFrom: resume, cvivit: resume == nil ? cvivit : nil,
                                             textEncoder: textEncoder, group: group)
            let dataOptions = DatasetOptions(config: config.cvivit, frames: onImages ? nil : trainer.frames,
                                             horizontalFlip: flip, seed: seed, fashionMNISTDirectory: fashionMnistDir)
            let clips = try openDataset(spec, options: dataOptions, split: .train)
            var images: ((DataOrderState?) throws -> BatchStream)?
            if options.imageSteps > 0 {
                let imageSpec = imageData.map(DatasetSpec.init(parsing:)) ?? (spec == .fashionMNISTVideo ? .fashionMNIST : spec)
                let stills = DatasetOptions(config: config.cvivit, frames: nil, horizontalFlip: flip, seed: seed,
                                            fashionMNISTDirectory: fashionMnistDir)
                let source = try openDataset(imageSpec, options: stills, split: .train)
                images = { order in
                    try BatchLoader(source: source, batchSize: batch, seed: seed, order: order ?? DataOrderState(),
                                    rank: group.rank, ranks: group.size)
                }
            }
            // From here Ctrl-C saves the last update as a checkpoint and exits with 130. Not under
            // mpirun: ranks get the signal at different updates, and mpirun ends them itself.
            if group.size == 1 {
                trainer.shouldStop = { InterruptSignal.received != nil }
                InterruptSignal.install()
            }
            try trainer.train(data: { order in
                try BatchLoader(source: clips, batchSize: batch, seed: seed, order: order ?? DataOrderState(),
                                rank: group.rank, ranks: group.size)
            }, images: images, progress: !quiet)
            try group.finalize()
            if group.isWriter { print(trainer.results) }
        } catch let interrupted as TrainingInterrupted {
            FileHandleOutput.standardError("\(interrupted)\n")
            throw ExitCode(InterruptSignal.exitStatus)
        } catch {
            throw fail(error)
        }
    }

    /// The captions of `--sample-texts`: the lines of a file when it names one, else the text
    /// split at `;`; blank entries are dropped.
    static func captions(_ argument: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        let entries: [Substring]
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue {
            guard let text = try? String(contentsOfFile: argument, encoding: .utf8) else {
                throw TrainerError.invalidOption(name: "sample-texts", value: argument, expected: "a readable UTF-8 text file")
            }
            entries = text.split(whereSeparator: \.isNewline)
        } else {
            entries = argument.split(separator: ";")
        }
        let captions = entries.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !captions.isEmpty else {
            throw TrainerError.invalidOption(name: "sample-texts", value: "'\(argument)'",
                                             expected: "a text file of captions or captions separated by ';'")
        }
        return captions
    }

    /// The config's text encoder; nil for an unconditional MaskGit.
    static func textEncoder(config: PhenakiConfig, modelDirectory: String?, threads: Int?) throws -> (any TextEncoder)? {
        guard !config.maskgit.unconditional else { return nil }
        if config.phenaki.textEncoder == .precomputed {
            throw TrainerError.invalidOption(
                name: "config", value: "(phenaki.text_encoder 'precomputed')",
                expected: "a config whose text_encoder is minilm or t5: training encodes its captions itself")
        }
        return try TextEncoderFactory.make(config.phenaki, modelDirectory: modelDirectory, threads: threads)
    }
}
