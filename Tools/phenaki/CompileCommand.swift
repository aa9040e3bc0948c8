import ArgumentParser
import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki

/// `phenaki compile --model NAME [--train] -o FILE.plan`.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a model (or its training step) ahead of time into a plan file."
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .shortAndLong, help: "The plan file to write.")
    var output: String

    func run() throws {
        do {
            let start = Date()
            let plan = try compile(modelOptions.graph(), options: modelOptions.compileOptions)
            let seconds = Date().timeIntervalSince(start)
            let metadata = ["model": modelOptions.model, "train": "\(modelOptions.isTraining)",
                            "batch": modelOptions.batch.map(String.init) ?? "default"]
                .merging(PhenakiModels.names.contains(modelOptions.model)
                    ? ["config": modelOptions.phenakiOptions.source,
                       "frames": modelOptions.phenakiOptions.frames.map(String.init) ?? "default"] : [:]) { a, _ in a }
            try PlanFile(plan: plan, metadata: metadata).write(to: output)
            print("wrote \(output): \(plan.steps.count) steps, activation arena \(plan.activationBytes) bytes, "
                + String(format: "compiled in %.3f s", seconds))
        } catch {
            throw fail(error)
        }
    }
}
