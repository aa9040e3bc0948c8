import ArgumentParser
import GraphRuntime
import GraphCompiler
import Phenaki
import PhenakiGraphs
import TensorGraph

/// Every model name the graph commands accept: the zoo's, then the Phenaki models'.
let allModelNames = ModelZoo.names + PhenakiModels.names

/// `--variant NAME | --config FILE` and `--frames N` for the Phenaki models (`cvivit`, `maskgit`, ...).
/// Like `ConfigOptions`, but both may be left out (the `tiny` variant) since the zoo's models
/// take neither.
struct PhenakiModelOptions: ParsableArguments {
    @Option(help: "For the Phenaki models: a named config (\(PhenakiConfig.variantNames.joined(separator: ", ")); default tiny).")
    var variant: String?

    @Option(help: ArgumentHelp("For the Phenaki models: a JSON config file (see `phenaki config show --variant tiny`).",
                               valueName: "file"))
    var config: String?

    @Option(help: "For the Phenaki models: video frames (default: 17 or 1 + temporal patch for C-ViViT, the most max_seq_len allows for MaskGit).")
    var frames: Int?

    /// Checks the options against `model`.
    func validate(model: String) throws {
        guard allModelNames.contains(model) else {
            throw ValidationError("\(PhenakiModelError.unknownModel(name: model, valid: allModelNames))")
        }
        let isPhenaki = PhenakiModels.names.contains(model)
        if !isPhenaki, variant != nil || config != nil || frames != nil {
            throw ValidationError("--variant, --config and --frames apply to the Phenaki models (\(PhenakiModels.names.joined(separator: ", "))), not '\(model)'")
        }
        if variant != nil && config != nil { throw ValidationError("give either --variant or --config, not both") }
        if let variant, !PhenakiConfig.variantNames.contains(variant) {
            throw ValidationError("\(ConfigError.unknownVariant(name: variant, valid: PhenakiConfig.variantNames))")
        }
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1, got \(frames)") }
    }

    /// The config (default: the `tiny` variant), not yet validated.
    func load() throws -> PhenakiConfig {
        if let config { return try PhenakiConfig.load(path: config) }
        return try PhenakiConfig.variant(named: variant ?? "tiny")
    }

    /// What names the config: the variant name or the file path.
    var source: String { config ?? variant ?? "tiny" }

    /// The graph of `model` (zoo or Phenaki); `train` adds the training step (the `-train`
    /// Phenaki names always have it).
    func graph(model: String, batch: Int?, train: Bool, options: TrainingOptions) throws -> Graph {
        guard PhenakiModels.names.contains(model) else {
            let forward = try ModelZoo.graph(named: model, batch: batch)
            return train ? try trainingGraph(forward, loss: "loss", options: options) : forward
        }
        let isTrain = model.hasSuffix("-train")
        let base = isTrain ? String(model.dropLast("-train".count)) : model
        guard !train || PhenakiModels.hasLoss(base) else { throw PhenakiModelError.noLoss(model: model) }
        let config = try load()
        if isTrain || train {
            let forward = try PhenakiModels.graph(named: base, config: config, batch: batch, frames: frames)
            return try trainingGraph(forward, loss: "loss", options: options)
        }
        return try PhenakiModels.graph(named: model, config: config, batch: batch, frames: frames)
    }
}

/// `--model NAME [--batch N] [--train ...] [--variant NAME | --config FILE] [--frames N]`: which
/// graph a command compiles.
struct ModelOptions: ParsableArguments {
    @Option(help: "The model (\(allModelNames.joined(separator: ", "))).")
    var model: String

    @Option(help: "Batch size (default: the model's own; 1 for the Phenaki models).")
    var batch: Int?

    @OptionGroup var phenakiOptions: PhenakiModelOptions

    @Flag(help: "Compile the training step: forward, backward, clipping, AdamW, EMA, accumulation.")
    var train = false

    @Option(help: "AdamW weight decay (parameters with 2+ dims only).")
    var weightDecay = 0.0

    @Option(help: "Global-norm gradient clipping (off when not given).")
    var maxGradNorm: Double?

    @Flag(help: "Keep an EMA of the weights in the training plan.")
    var ema = false

    @Option(help: "Micro-batches per update (gradient accumulation).")
    var gradAccum = 1

    @Flag(help: "Compile without fusion (one kernel per op), for comparison.")
    var noFusion = false

    @Option(help: "The most activation-arena bytes the plan may take; the compiler recomputes values to fit.")
    var memoryBudget: Int?

    func validate() throws {
        try phenakiOptions.validate(model: model)
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard gradAccum >= 1 else { throw ValidationError("--grad-accum must be at least 1, got \(gradAccum)") }
        if let maxGradNorm, !(maxGradNorm > 0) { throw ValidationError("--max-grad-norm must be positive") }
        if let memoryBudget, memoryBudget < 0 { throw ValidationError("--memory-budget must not be negative, got \(memoryBudget)") }
    }

    /// The forward graph, or the training graph with `--train` (or a `-train` Phenaki model).
    func graph() throws -> Graph {
        let options = TrainingOptions(weightDecay: weightDecay, maxGradNorm: maxGradNorm, ema: ema,
                                      gradientAccumulation: gradAccum)
        return try phenakiOptions.graph(model: model, batch: batch, train: train, options: options)
    }

    /// Whether the graph is a training step.
    var isTraining: Bool { train || model.hasSuffix("-train") }

    var compileOptions: CompileOptions { CompileOptions(fuse: !noFusion, memoryBudget: memoryBudget) }
}

/// Prints `error: ...` on standard error and exits with status 1.
func fail(_ error: Error) -> ExitCode {
    // A data-parallel rank that fails ends the whole job, or the other ranks would wait for it.
    if let group = ProcessGroup.current, group.usesMPI { group.abort("error: \(error)") }
    FileHandleOutput.standardError("error: \(error)\n")
    return ExitCode.failure
}
