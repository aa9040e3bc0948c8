import ArgumentParser
import Foundation
import GraphRuntime
import Phenaki

extension BenchCase: ExpressibleByArgument {
    /// Case names and their aliases (`sample` for `phenaki-sample`).
    public init?(argument: String) { self.init(name: argument) }
}
extension PhenakiLossModel.CriticChoice: ExpressibleByArgument {}

/// `phenaki bench CASE [--batch N] [--steps N] [--threads N] [--json]`; the Phenaki cases also take
/// `--variant NAME | --config FILE` and `--frames N`; `maskgit-train` and `phenaki-sample` (alias
/// `sample`) take `--critic none|token|self`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a benchmark case; with --json the last line is one JSON object (a contract).",
        discussion: "Cases: \(BenchCase.allCases.map(\.rawValue).joined(separator: ", ")) (`sample` is an alias of `phenaki-sample`)."
    )

    @Argument(help: "The case: \(BenchCase.allCases.map(\.rawValue).joined(separator: ", ")).")
    var benchCase: BenchCase

    @Option(help: "Batch size (default: the case's own).")
    var batch: Int?

    @Option(help: "Timed steps after one warm-up.")
    var steps = 5

    @Option(help: "Threads (default: one per core).")
    var threads: Int?

    @Option(help: "The Phenaki cases: a named config (\(PhenakiConfig.variantNames.joined(separator: ", ")); default tiny).")
    var variant: String?

    @Option(help: ArgumentHelp("The Phenaki cases: a JSON config file.", valueName: "file"))
    var config: String?

    @Option(help: "The Phenaki cases: video frames (default: 17 or 1 + temporal patch for C-ViViT, the most max_seq_len allows for MaskGit).")
    var frames: Int?

    @Option(help: "The most activation-arena bytes the plan may take; the compiler recomputes values to fit.")
    var memoryBudget: Int?

    @Option(help: "maskgit-train: time the full Phenaki training loss (cosine-schedule masking) with this critic (default: MaskGit's plain cross-entropy); phenaki-sample: the critic that scores tokens (default: none). One of \(PhenakiLossModel.CriticChoice.allCases.map(\.rawValue).joined(separator: ", ")).")
    var critic: PhenakiLossModel.CriticChoice?

    @Flag(help: "Also time every step on its own and print where the time goes.")
    var profile = false

    @Flag(help: "Print the result as one JSON object on the last line.")
    var json = false

    @Flag(help: "cvivit-train under mpirun -np N: each rank its own --batch, gradients averaged (allreduce time, samples/s).")
    var dataParallel = false

    @Option(help: ArgumentHelp("cvivit-train: run the --data-parallel bench under mpirun -np N for each count and print "
                               + "the scaling efficiency against the first (--threads defaults to 1 per rank).",
                               valueName: "1,2"))
    var ranks: String?

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let memoryBudget, memoryBudget < 0 { throw ValidationError("--memory-budget must not be negative, got \(memoryBudget)") }
        let phenakiCases = BenchCase.allCases.filter(\.isPhenaki).map(\.rawValue).joined(separator: ", ")
        if !benchCase.isPhenaki, variant != nil || config != nil || frames != nil {
            throw ValidationError("--variant, --config and --frames apply to the Phenaki cases (\(phenakiCases)), not '\(benchCase.rawValue)'")
        }
        if variant != nil && config != nil { throw ValidationError("give either --variant or --config, not both") }
        if let variant, !PhenakiConfig.variantNames.contains(variant) {
            throw ValidationError("\(ConfigError.unknownVariant(name: variant, valid: PhenakiConfig.variantNames))")
        }
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1, got \(frames)") }
        if critic != nil, benchCase != .maskgitTrain, benchCase != .phenakiSample {
            throw ValidationError("--critic applies to maskgit-train and phenaki-sample, not '\(benchCase.rawValue)'")
        }
    }

    func run() throws {
        do {
            var phenakiConfig: PhenakiConfig?
            if benchCase.isPhenaki {
                phenakiConfig = try config.map { try PhenakiConfig.load(path: $0) }
                    ?? PhenakiConfig.variant(named: variant ?? "tiny")
            }
            if dataParallel || ranks != nil { return try runDataParallel(config: phenakiConfig ?? .tiny) }
            let result = try Benchmarks.run(benchCase, batch: batch, steps: steps,
                                            threads: threads ?? MicroBenchmarks.defaultThreads, profile: profile,
                                            memoryBudget: memoryBudget, config: phenakiConfig, frames: frames,
                                            configName: config ?? variant ?? "tiny", critic: critic)
            print(result.text)
            if json { print(result.json) }
        } catch {
            throw fail(error)
        }
    }
}
