import ArgumentParser
import Foundation
import GraphRuntime
import Phenaki

extension BenchCase: ExpressibleByArgument {}

/// `phenaki bench CASE [--batch N] [--steps N] [--threads N] [--json]`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a benchmark case; with --json the last line is one JSON object (a contract).",
        discussion: "Cases: \(BenchCase.allCases.map(\.rawValue).joined(separator: ", "))."
    )

    @Argument(help: "The case: \(BenchCase.allCases.map(\.rawValue).joined(separator: ", ")).")
    var benchCase: BenchCase

    @Option(help: "Batch size (default: the case's own).")
    var batch: Int?

    @Option(help: "Timed steps after one warm-up.")
    var steps = 5

    @Option(help: "Threads (default: one per core).")
    var threads: Int?

    @Option(help: "A Phenaki JSON config (used by later cases).")
    var config: String?

    @Option(help: "Frames (used by later cases).")
    var frames: Int?

    @Option(help: "The most activation-arena bytes the plan may take; the compiler recomputes values to fit.")
    var memoryBudget: Int?

    @Flag(help: "Also time every step on its own and print where the time goes.")
    var profile = false

    @Flag(help: "Print the result as one JSON object on the last line.")
    var json = false

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let memoryBudget, memoryBudget < 0 { throw ValidationError("--memory-budget must not be negative, got \(memoryBudget)") }
        if config != nil || frames != nil {
            throw ValidationError("--config and --frames apply to the Phenaki cases, which are not built yet")
        }
    }

    func run() throws {
        do {
            let result = try Benchmarks.run(benchCase, batch: batch, steps: steps,
                                            threads: threads ?? MicroBenchmarks.defaultThreads, profile: profile,
                                            memoryBudget: memoryBudget)
            print(result.text)
            if json { print(result.json) }
        } catch {
            throw fail(error)
        }
    }
}
