import ArgumentParser
import Foundation
import GraphRuntime
import TensorGraph

/// `phenaki run FILE.plan`: load a plan (no tracing, no compiler) and run it.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Load a plan file and run it on random inputs (training plans train on one fixed random batch)."
    )

    @Argument(help: "A plan written by `phenaki compile`.")
    var plan: String

    @Option(help: "How many runs (training steps).")
    var steps = 3

    @Option(help: "Seed for parameters and inputs.")
    var seed: UInt64 = 0

    @Option(help: "Threads (default: one per core).")
    var threads: Int?

    @Option(help: "Learning rate for training plans.")
    var lr = 1e-3

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        do {
            let loadStart = Date()
            let file = try PlanFile.read(from: plan)
            let loadSeconds = Date().timeIntervalSince(loadStart)
            let session = try TrainingSession(plan: file.plan, threads: threads, seed: seed)
            var batch: [String: HostTensor] = [:]
            for binding in file.plan.feeds where binding.role == .input && !binding.name.hasPrefix("train.")
                && !session.statePairs.contains(where: { $0.feed == binding.name }) {
                batch[binding.name] = randomValue(binding)
            }
            if file.plan.feeds.contains(where: { $0.name == "train.lr" }) { try session.setScalar("train.lr", lr) }
            print("loaded \(plan) in " + String(format: "%.3f s", loadSeconds)
                + " (\(file.plan.steps.count) steps, model \(file.metadata["model"] ?? "?"))")
            for i in 0..<steps {
                let t0 = Date()
                try session.step(batch)
                let dt = Date().timeIntervalSince(t0)
                let scalars = file.plan.outputs.filter { $0.type.count == 1 && !$0.name.hasPrefix("next:") }
                    .map { "\($0.name) \(String(format: "%.6g", session.executor.output($0.name)!.scalars[0]))" }
                print(String(format: "run %d  %.4f s  ", i + 1, dt) + scalars.joined(separator: "  "))
            }
        } catch {
            throw fail(error)
        }
    }

    private func randomValue(_ binding: PlanBinding) -> HostTensor {
        let key = RNGKey(seed: seed &+ stableHash(binding.name))
        switch binding.type.dtype {
        case .float32:
            return HostTensor(shape: binding.type.shape, dtype: .float32, scalars: key.normal(count: binding.type.count))
        case .int32:
            // Small non-negative ids, valid for label and index inputs of the zoo's models.
            let values = key.uniform(count: binding.type.count).map { (Double(Int($0 * 10))) }
            return HostTensor(shape: binding.type.shape, dtype: .int32, scalars: values)
        case .bool:
            return HostTensor(shape: binding.type.shape, dtype: .bool, scalars: key.uniform(count: binding.type.count).map { $0 < 0.5 ? 0 : 1 })
        }
    }
}
