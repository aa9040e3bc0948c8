import ArgumentParser
import Foundation
import GraphCompiler
import GraphRuntime

/// `phenaki graph plan --model NAME [--train]`: what the compiler made of a model.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Compile a model and print its plan: arena bytes, lower bound, ratio, kernels, barriers, memory map."
    )

    @OptionGroup var modelOptions: ModelOptions

    @Flag(help: "Also list every step.")
    var steps = false

    @Flag(help: "Also list why nodes were not fused.")
    var notes = false

    func run() throws {
        do {
            let start = Date()
            let plan = try compile(modelOptions.graph(), options: modelOptions.compileOptions)
            print(planSummary(plan), terminator: "")
            print(String(format: "compile time       %.3f s", Date().timeIntervalSince(start)))
            print("\nactivation arena over time (rows: steps, columns: offsets; letters: buffers)")
            print(memoryMap(plan), terminator: "")
            if steps { print("\nsteps (| = barrier after)\n" + planSteps(plan), terminator: "") }
            if notes { print("\nfusion notes\n" + plan.notes.joined(separator: "\n")) }
        } catch {
            throw fail(error)
        }
    }
}
