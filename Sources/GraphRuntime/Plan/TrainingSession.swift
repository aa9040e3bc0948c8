import TensorGraph

/// Runs a training plan step after step: binds initial parameters and zero optimizer state,
/// feeds each batch, and moves every `next:<state>` output back into its `<state>` feed.
///
/// The plan is built by `GraphCompiler.trainingGraph` + `compile`; this type only relies on
/// its naming convention, so a plan loaded from a file trains the same way.
public final class TrainingSession {
    public let executor: PlanExecutor
    /// (output, feed) pairs copied after every run.
    public let statePairs: [(output: String, feed: String)]
    public static let nextPrefix = "next:"

    /// Draws parameters from their initialisers with `seed`; optimizer moments, accumulators
    /// and counters start at zero, EMA weights at the parameters.
    public init(plan: Plan, threads: Int? = nil, seed: UInt64 = 0) throws {
        executor = try PlanExecutor(plan: plan, threads: threads)
        let feeds = Set(plan.feeds.map(\.name))
        statePairs = plan.outputs.compactMap { o in
            guard o.name.hasPrefix(Self.nextPrefix) else { return nil }
            let feed = String(o.name.dropFirst(Self.nextPrefix.count))
            return feeds.contains(feed) ? (o.name, feed) : nil
        }
        let stateFeeds = Set(statePairs.map(\.feed))
        var parameters: [String: HostTensor] = [:]
        for binding in plan.feeds where binding.role == .parameter {
            let value = initialValue(of: binding.type, initializer: binding.initializer ?? .zeros,
                                     name: binding.name, seed: seed)
            parameters[binding.name] = value
            try executor.setFeed(binding.name, value)
        }
        for binding in plan.feeds where binding.role != .parameter && stateFeeds.contains(binding.name) {
            if binding.name.hasPrefix("ema:"), let p = parameters[String(binding.name.dropFirst(4))] {
                try executor.setFeed(binding.name, p)
            } else {
                try executor.setFeed(binding.name, .zeros(binding.type.shape, dtype: binding.type.dtype))
            }
        }
    }

    /// Sets a scalar feed such as the learning rate (`train.lr`).
    public func setScalar(_ name: String, _ value: Double) throws {
        try executor.setFeed(name, HostTensor(value))
    }

    /// Feeds a batch, runs one step and carries the state over.
    public func step(_ batch: [String: HostTensor]) throws {
        for (name, value) in batch { try executor.setFeed(name, value) }
        try executor.run()
        for pair in statePairs { try executor.copyOutput(pair.output, toFeed: pair.feed) }
    }

    /// A scalar output of the last step (e.g. `loss`).
    public func scalar(_ name: String) -> Double? { executor.output(name)?.scalars.first }
}
