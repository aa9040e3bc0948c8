import ArgumentParser
import Foundation
import Phenaki

/// `phenaki eval`: C-ViViT reconstruction quality and codebook use on held-out data, and the
/// caption accuracy of clips sampled from a full checkpoint.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a checkpoint: C-ViViT reconstruction PSNR and codebook use, and caption accuracy of sampled clips.",
        discussion: """
            Reconstruction: --eval-batches batches of --batch held-out videos (in dataset order) go through \
            C-ViViT's encoder and decoder; PSNR (MAX 1, decoded values clamped to [0, 1]) is averaged over \
            videos, beside a "repeat the first frame" baseline; codebook usage is the percentage of codes seen \
            and perplexity the exp of the entropy of the id histogram.

            Caption accuracy (a checkpoint with MaskGit, text-conditioned, on fashion-mnist-video): \
            --clips-per-prompt clips per prompt "<item> moving <direction>" (all 40, or --prompts N drawn by \
            --seed), sampled at each --cond-scale (default 1 and 3) and with each critic the checkpoint has; \
            a clip counts when its item class (by \
            a small MLP trained on Fashion-MNIST, cached in \
            ${XDG_CACHE_HOME:-~/.cache}/phenaki/fashion-classifier.safetensors) and the direction of its \
            foreground centroid both match the prompt. The scorer's accuracy on held-out dataset clips is \
            reported as the ceiling.

            A checkpoint whose text_encoder is 'precomputed' needs --text-embeds: one row per prompt of \
            --list-prompts.

            --train-classifier (with or without --checkpoint) trains the classifier again (--steps N) and \
            prints its test-set accuracy.

            --json prints one JSON object as the last stdout line, keys: checkpoint, frames, videos, psnr, \
            repeat_first_frame_psnr, codebook_size, codes_used, codebook_used_percent, perplexity, tokens, \
            classifier_accuracy, caption_ceiling {clips, class_accuracy, direction_accuracy, accuracy, \
            class_accuracy_by_class {class name: fraction}}, captions [{critic, cond_scale, and the keys of \
            caption_ceiling}], notes; \
            parts not measured are null (captions: empty).
            """
    )

    @Option(help: ArgumentHelp("A checkpoint directory.", valueName: "dir"))
    var checkpoint: String?

    @Option(help: "Held-out data: fashion-mnist-video (default), fashion-mnist, a folder or a .jsonl manifest.")
    var data = "fashion-mnist-video"

    @Option(help: ArgumentHelp("Where the Fashion-MNIST IDX files are.", valueName: "dir"))
    var fashionMNISTDir = DatasetOptions.defaultFashionMNISTDirectory

    @Option(help: "Held-out batches for the reconstruction metrics.")
    var evalBatches = 8

    @Option(help: "Videos per batch.")
    var batch = 4

    @Option(help: ArgumentHelp("Frames per video (default: the clip length the checkpoint trained on, else 17, or 1 + "
                               + "temporal patch size when 17 do not fit)."))
    var frames: Int?

    @Option(help: "Prompts to sample for caption accuracy (default: all 40).")
    var prompts: Int?

    @Option(help: "Clips sampled per prompt, each with its own seed (without a critic a trained model often repeats its clip).")
    var clipsPerPrompt: Int = 1

    @Option(name: .customLong("cond-scale"),
            help: ArgumentHelp("A classifier-free guidance scale to measure caption accuracy at; repeat for more "
                               + "(default: 1 and 3).", valueName: "scale"))
    var condScales: [Double] = []

    @Option(help: "Frames per sampled clip (default: --frames, capped at what max_seq_len allows).")
    var sampleFrames: Int?

    @Option(help: "Sampling steps (default: the checkpoint's phenaki.steps).")
    var samplingSteps: Int?

    @Flag(help: "Skip caption accuracy (reconstruction metrics only).")
    var noCaptions = false

    @Flag(help: "Train the item classifier again, even when it is cached.")
    var trainClassifier = false

    @Option(help: "Item classifier training steps.")
    var steps = ClassifierTraining().steps

    @Option(help: ArgumentHelp("The item classifier file (default: the cache).", valueName: "file"))
    var classifier: String?

    @Option(help: ArgumentHelp("The MiniLM or T5 model folder (text_encoder minilm or t5).", valueName: "dir"))
    var textModelDir: String?

    @Option(name: .customLong("text-embeds"),
            help: ArgumentHelp("Precomputed embeddings .npy [40, tokens, dim], row i for prompt i of --list-prompts "
                               + "(needed when the text_encoder is 'precomputed').", valueName: "file.npy"))
    var textEmbeds: String?

    @Flag(help: "Print the 40 evaluation prompts, one a line, in the order --text-embeds rows follow, and exit.")
    var listPrompts = false

    @Option(help: "Seed of the prompt subset, the clips' motion and the sampling draws.")
    var seed: UInt64 = 0

    @Option(help: "Threads (default: one per core).")
    var threads: Int?

    @Flag(help: "Print the report as one JSON object on the last stdout line.")
    var json = false

    func validate() throws {
        guard checkpoint != nil || trainClassifier || listPrompts else {
            throw ValidationError("give --checkpoint DIR to evaluate, or --train-classifier to train the item classifier")
        }
        for (name, value) in [("--eval-batches", evalBatches), ("--batch", batch), ("--steps", steps)] where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value)")
        }
        if let prompts, prompts < 1 { throw ValidationError("--prompts must be at least 1, got \(prompts)") }
        if let scale = condScales.first(where: { !$0.isFinite }) {
            throw ValidationError("--cond-scale must be a finite number, got \(scale)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        let log: (String) -> Void = { FileHandleOutput.standardError($0 + "\n") }
        if listPrompts {
            for caption in ClipCaption.all { print(caption.text) }
            return
        }
        do {
            var training = ClassifierTraining()
            training.steps = steps
            let classifierPath = classifier ?? FashionItemClassifier.defaultCachePath
            guard let checkpoint else {
                let trained = try FashionItemClassifier.cachedOrTrained(
                    path: classifierPath, training: training, retrain: true, fashionMNISTDirectory: fashionMNISTDir,
                    threads: threads, log: log)
                let report = EvaluationReport(checkpoint: "", classifierAccuracy: trained.heldOutAccuracy,
                                              notes: ["classifier saved to \(classifierPath)"])
                finish(report)
                return
            }
            var options = EvaluationOptions()
            options.reconstruction = ReconstructionOptions(
                batches: evalBatches, batch: batch, frames: frames, dataset: DatasetSpec(parsing: data), seed: seed,
                fashionMNISTDirectory: fashionMNISTDir)
            options.captions = !noCaptions
            options.prompts = prompts
            options.clipsPerPrompt = clipsPerPrompt
            if !condScales.isEmpty { options.condScales = condScales }
            options.sampleFrames = sampleFrames
            options.samplingSteps = samplingSteps
            options.seed = seed
            options.classifierPath = classifierPath
            options.classifierTraining = training
            options.retrainClassifier = trainClassifier
            options.textModelDirectory = textModelDir
            if let textEmbeds {
                let config = try PhenakiConfig.load(path: checkpoint + "/" + Checkpoint.configFile)
                let embeddings = try PromptEmbeddings(path: textEmbeds, config: config)
                options.textEmbedding = embeddings.embedding(of:)
            }
            options.threads = threads
            finish(try CheckpointEvaluation.run(directory: checkpoint, options: options, log: log))
        } catch {
            throw fail(error)
        }
    }

    private func finish(_ report: EvaluationReport) {
        for line in report.textLines { print(line) }
        if json { print(report.jsonLine) }
    }
}
