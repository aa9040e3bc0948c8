import GraphCompiler
import GraphRuntime
import TensorGraph

/// A graph compiled once for many runs with some inputs fixed: the loop-invariant part
/// (`InvariantHoisting`) runs once per `prepare`, the step plan on every `run`.
///
/// Parameters are written once, at construction; fixed inputs once per `prepare`; the hoisted
/// values move from the prefix plan's outputs into the step plan's feeds by memory copy.
final class HoistedPlan {
    let split: HoistedGraph
    let prefix: PlanExecutor?
    let step: PlanExecutor
    private let prefixFeeds: Set<String>
    private let stepFeeds: Set<String>

    init(graph: Graph, fixedInputs: Set<String>, parameters: [String: HostTensor], threads: Int?) throws {
        split = InvariantHoisting.split(graph, fixedInputs: fixedInputs)
        step = try PlanExecutor(plan: compile(split.step), threads: threads)
        prefix = split.hoisted.isEmpty ? nil : try PlanExecutor(plan: compile(split.prefix), threads: threads)
        prefixFeeds = Set(prefix?.feedBindings.map(\.name) ?? [])
        stepFeeds = Set(step.feedBindings.map(\.name))
        for executor in [prefix, step].compactMap({ $0 }) {
            for binding in executor.feedBindings {
                if let value = parameters[binding.name] { try executor.setFeed(binding.name, value) }
            }
        }
    }

    /// Whether the step plan reads feed `name` (inputs a graph does not use are pruned).
    func reads(_ name: String) -> Bool { stepFeeds.contains(name) }

    /// Sets the fixed inputs, runs the prefix once and hands its values to the step plan.
    func prepare(fixed: [String: HostTensor]) throws {
        for (name, value) in fixed {
            if prefixFeeds.contains(name) { try prefix!.setFeed(name, value) }
            if stepFeeds.contains(name) { try step.setFeed(name, value) }
        }
        guard let prefix else { return }
        try prefix.run()
        for value in split.hoisted {
            if value.type.dtype == .float32 {
                try prefix.withFloatBuffer(value.name) { source in
                    try step.withFloatBuffer(value.name) { target in
                        _ = target.update(fromContentsOf: source)
                    }
                }
            } else {
                try step.setFeed(value.name, prefix.output(value.name)!)
            }
        }
    }

    /// Sets `feeds` (names the step plan does not read are skipped) and runs one step.
    func run(_ feeds: [String: HostTensor]) throws {
        for (name, value) in feeds where stepFeeds.contains(name) { try step.setFeed(name, value) }
        try step.run()
    }
}
