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
    /// The training plan's bool output saying whether the loss and gradients were finite
    /// (`TrainingState.finite`); when it is 0 the plan kept every state as it was.
    public static let finiteOutput = "train.finite"
    /// Where the last step's non-finite value came from; nil after a finite step.
    public private(set) var lastNonFinite: NonFiniteSite?
    /// Whether the last step was skipped because its loss or gradients were not finite.
    public private(set) var lastStepSkipped = false

    /// Draws parameters from their initialisers with `seed`; optimizer moments, accumulators
    /// and counters start at zero, EMA weights at the parameters.
    /// `debugArena`: run in the arena debug mode (`PlanExecutor.init(plan:threads:debugArena:)`).
    public init(plan: Plan, threads: Int? = nil, seed: UInt64 = 0, debugArena: Bool = false) throws {
        executor = try PlanExecutor(plan: plan, threads: threads, debugArena: debugArena)
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
    ///
    /// When the plan's `train.finite` output is 0 (a plan built with `skipNonFinite` then left
    /// every state as it was), the step is skipped: `lastStepSkipped` is set and the plan is run
    /// again step by step on the same feeds to find where the first NaN or inf came from
    /// (`lastNonFinite`); the callers decide whether to go on.
    public func step(_ batch: [String: HostTensor]) throws {
        for (name, value) in batch { try executor.setFeed(name, value) }
        try executor.run()
        lastNonFinite = nil
        lastStepSkipped = false
        if let finite = executor.output(Self.finiteOutput)?.scalars.first, finite == 0 {
            lastStepSkipped = true
            lastNonFinite = try executor.locateNonFinite()
            return  // the `next:` outputs equal the state: nothing to carry over
        }
        for pair in statePairs { try executor.copyOutput(pair.output, toFeed: pair.feed) }
    }

    /// Zeroes the gradient accumulators (`accum:`) and the micro-batch counter (`train.micro`):
    /// drops a partly accumulated update, e.g. after a skipped micro-batch.
    public func resetAccumulation() throws {
        for binding in executor.feedBindings
        where binding.name.hasPrefix("accum:") || binding.name == "train.micro" {
            try executor.setFeed(binding.name, .zeros(binding.type.shape, dtype: binding.type.dtype))
        }
    }

    /// A scalar output of the last step (e.g. `loss`).
    public func scalar(_ name: String) -> Double? { executor.output(name)?.scalars.first }
}
