import ArgumentParser
import Foundation
import GraphRuntime
import Phenaki

/// `phenaki demo`: the main job until the Phenaki pipeline lands. Traces two small DSL models,
/// differentiates them, trains them with Adam on toy tasks and prints their loss curves.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train two small DSL models (an MLP and a phenaki transformer block) on toy tasks "
            + "and print their loss curves."
    )

    @Option(help: "Adam steps per model (at least 1).")
    var steps = 200

    @Option(help: "Seed for the initial parameters.")
    var seed: UInt64 = 0

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
    }

    func run() throws {
        let runs: [(ToyTask, Double)] = [
            (try .mlpClassification(), 3e-2),
            (try .transformerRegression(), 1e-2),
        ]
        for (task, learningRate) in runs {
            print("== \(task.name): \(task.graph.parameters.count) parameter tensors, "
                + "\(task.graph.nodes.count) forward nodes")
            var trainer = try InterpreterTrainer(
                task: task, optimizer: AdamConfiguration(learningRate: learningRate), seed: seed)
            print("   joint forward+backward graph: \(trainer.joint.nodes.count) nodes; Adam lr \(learningRate)")
            let start = Date()
            let losses = try trainer.train(steps: steps) { step, loss in
                if step == 0 || (step + 1) % max(1, steps / 5) == 0 {
                    print(String(format: "   step %4d  loss %.5f", step + 1, loss))
                }
            }
            let seconds = Date().timeIntervalSince(start)
            print(renderLossCurve(losses))
            print(String(format: "   loss %.4f -> %.4f (%.3g%% of start) in %.2f s\n",
                         losses.first!, losses.last!, 100 * losses.last! / losses.first!, seconds))
        }
    }
}
