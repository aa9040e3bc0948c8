import ArgumentParser
import GraphCompiler
import PhenakiGraphs
import TensorGraph

/// `--model NAME [--batch N] [--train ...]`: which graph a command compiles.
struct ModelOptions: ParsableArguments {
    @Option(help: "The model (\(ModelZoo.names.joined(separator: ", "))).")
    var model: String

    @Option(help: "Batch size (default: the model's own).")
    var batch: Int?

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
        guard ModelZoo.names.contains(model) else {
            throw ValidationError("unknown model '\(model)'; valid models are: \(ModelZoo.names.joined(separator: ", "))")
        }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard gradAccum >= 1 else { throw ValidationError("--grad-accum must be at least 1, got \(gradAccum)") }
        if let maxGradNorm, !(maxGradNorm > 0) { throw ValidationError("--max-grad-norm must be positive") }
        if let memoryBudget, memoryBudget < 0 { throw ValidationError("--memory-budget must not be negative, got \(memoryBudget)") }
    }

    /// The forward graph, or the training graph with `--train`.
    func graph() throws -> Graph {
        let forward = try ModelZoo.graph(named: model, batch: batch)
        guard train else { return forward }
        let options = TrainingOptions(weightDecay: weightDecay, maxGradNorm: maxGradNorm, ema: ema,
                                      gradientAccumulation: gradAccum)
        return try trainingGraph(forward, loss: "loss", options: options)
    }

    var compileOptions: CompileOptions { CompileOptions(fuse: !noFusion, memoryBudget: memoryBudget) }
}

/// Prints `error: ...` on standard error and exits with status 1.
func fail(_ error: Error) -> ExitCode {
    FileHandleOutput.standardError("error: \(error)\n")
    return ExitCode.failure
}
