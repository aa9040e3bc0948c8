import CMPISupport
import TensorGraph

/// A training step split across data-parallel ranks: each rank runs the gradient plan (forward
/// and backward) on its own shard of the batch, the gradients and the scalar losses are
/// averaged over the ranks with MPI allreduce, and the update plan (clipping, the non-finite
/// check, AdamW, EMA, accumulation) runs on the averages. Every rank then holds the same state,
/// and takes the same skip decision, as one process on the whole batch would (within float
/// rounding of the sums).
///
/// The plans come from GraphCompiler's `DataParallelGraphs.gradientGraph` / `.updateGraph`.
/// With `ProcessGroup.single` the averages are the rank's own values (a copy). The
/// allreduce runs after the backward pass, in buckets of `bucketElements` floats whose
/// nonblocking allreduces are all started before the first is waited on (the executor runs a
/// plan as one parallel region, so buckets cannot start while backward is still running).
/// With gradient accumulation every micro-batch is averaged.
public final class DataParallelSession: TrainingStepper {
    /// The output-name prefix of a gradient in the gradient plan and of its feed in the update plan.
    public static let gradientPrefix = "grad:"
    /// The update plan's feed for the loss averaged over the ranks (its finiteness counts).
    public static let lossInput = "train.loss"

    public let group: ProcessGroup
    /// The update plan's session: the trained state, `train.grad_norm`, `train.finite`.
    public let update: TrainingSession
    /// The gradient plan: batch and RNG keys in, losses and `grad:` outputs out.
    public let gradients: PlanExecutor
    /// Floats per allreduce bucket.
    public let bucketElements: Int
    /// Seconds the last step spent averaging (packing, allreduce, unpacking).
    public private(set) var lastAllreduceSeconds = 0.0
    public private(set) var lastNonFinite: NonFiniteSite?

    public var executor: PlanExecutor { update.executor }
    public var inputs: PlanExecutor { gradients }
    public var statePairs: [(output: String, feed: String)] { update.statePairs }
    public var lastStepSkipped: Bool { update.lastStepSkipped }
    public var replica: Int { group.rank }

    /// Trained parameters: (update-plan feed, gradient-plan feed) storage.
    private let weights: [(from: UnsafeMutableBufferPointer<Float>, to: UnsafeMutableBufferPointer<Float>)]
    /// What is averaged: gradient outputs and scalar losses (sources), their destinations.
    private let sources: [UnsafePointer<Float>?]
    private let destinations: [UnsafeMutablePointer<Float>?]
    private let counts: [Int64]
    /// The gradient plan's f32 scalar outputs, averaged into `averagedScalars`.
    private let scalarNames: [String]
    private let averagedScalars: UnsafeMutableBufferPointer<Float>
    private let lossName: String

    /// - Parameters:
    ///   - gradientPlan, updatePlan: the compiled halves of one training graph.
    ///   - loss: the gradient plan's loss output (fed averaged to the update plan's `train.loss`).
    ///   - seed: draws the initial parameters, as `TrainingSession` does.
    ///   - bucketBytes: the size of one allreduce bucket.
    /// - Throws: `PlanRunError` when the plans do not fit each other, plan errors.
    public init(gradientPlan: Plan, updatePlan: Plan, loss: String = "loss", group: ProcessGroup, threads: Int? = nil,
                seed: UInt64 = 0, bucketBytes: Int = 16 << 20) throws {
        self.group = group
        update = try TrainingSession(plan: updatePlan, threads: threads, seed: seed)
        gradients = try PlanExecutor(plan: gradientPlan, threads: threads)
        bucketElements = max(1, bucketBytes / 4)
        lossName = loss
        let prefix = Self.gradientPrefix
        let gradientNames = gradientPlan.outputs.map(\.name).filter { $0.hasPrefix(prefix) }
        var weights: [(UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>)] = []
        var sources: [UnsafePointer<Float>?] = [], destinations: [UnsafeMutablePointer<Float>?] = [], counts: [Int64] = []
        // Arena storage never moves, so the pointers stay valid for the executors' lifetime.
        for name in gradientNames {
            let parameter = String(name.dropFirst(prefix.count))
            let from = try update.executor.withFloatBuffer(parameter) { $0 }
            let to = try gradients.withFloatBuffer(parameter) { $0 }
            let source = try gradients.withFloatBuffer(name) { $0 }
            let destination = try update.executor.withFloatBuffer(name) { $0 }
            guard from.count == to.count, source.count == destination.count else {
                throw PlanRunError.feedTypeMismatch(name: name, expected: TensorType([destination.count], .float32),
                                                    got: TensorType([source.count], .float32))
            }
            weights.append((from, to))
            sources.append(UnsafePointer(source.baseAddress))
            destinations.append(destination.baseAddress)
            counts.append(Int64(source.count))
        }
        scalarNames = gradientPlan.outputs.filter { $0.type.count == 1 && $0.type.dtype == .float32 && !$0.name.hasPrefix(prefix) }
            .map(\.name)
        averagedScalars = .allocate(capacity: max(1, scalarNames.count))
        averagedScalars.initialize(repeating: .nan)
        for (i, name) in scalarNames.enumerated() {
            sources.append(UnsafePointer(try gradients.withFloatBuffer(name) { $0.baseAddress }))
            destinations.append(averagedScalars.baseAddress! + i)
            counts.append(1)
        }
        self.weights = weights
        self.sources = sources
        self.destinations = destinations
        self.counts = counts
        guard scalarNames.contains(loss) else {
            throw PlanRunError.unknownFeed(name: loss, known: gradientPlan.outputs.map(\.name))
        }
    }

    deinit { averagedScalars.deallocate() }

    public func setScalar(_ name: String, _ value: Double) throws { try update.setScalar(name, value) }

    /// Runs the gradient plan on `batch` with the current weights, averages the gradients and
    /// losses over the ranks, then runs the update.
    /// - Throws: plan errors, `ProcessGroupError.mpi`.
    public func step(_ batch: [String: HostTensor]) throws {
        for (from, to) in weights { _ = to.update(fromContentsOf: from) }
        for (name, value) in batch { try gradients.setFeed(name, value) }
        try gradients.run()
        lastAllreduceSeconds = try averageGradients()
        try update.setScalar(Self.lossInput, Double(averagedScalars[scalarNames.firstIndex(of: lossName)!]))
        try update.step([:])
        lastNonFinite = nil
        if update.lastStepSkipped {
            // Where this rank's own values went bad; else the averaged gradient that did (another rank's).
            lastNonFinite = try gradients.locateNonFinite() ?? update.lastNonFinite
        }
    }

    /// Averages the gradient plan's gradients and losses over the ranks into the update plan's
    /// feeds (what `step` does between the plans) and returns the seconds it took, waiting for
    /// the slowest rank included. A collective: every rank must call it.
    /// - Throws: `ProcessGroupError.mpi`.
    public func averageGradients() throws -> Double {
        var seconds = 0.0
        let code = sources.withUnsafeBufferPointer { s in
            destinations.withUnsafeBufferPointer { d in
                counts.withUnsafeBufferPointer { c in
                    pk_mpi_average_f32(s.baseAddress, d.baseAddress, c.baseAddress, Int32(c.count), Int64(bucketElements),
                                       &seconds)
                }
            }
        }
        guard code == 0 else { throw ProcessGroupError.mpi(String(cString: pk_mpi_error())) }
        return seconds
    }

    /// Floats averaged per step (gradients and losses).
    public var averagedElements: Int { Int(counts.reduce(0, +)) }

    public func resetAccumulation() throws { try update.resetAccumulation() }

    /// An output of the update plan, else a loss of the gradient plan averaged over the ranks.
    public func scalar(_ name: String) -> Double? {
        if let value = update.scalar(name) { return value }
        guard let i = scalarNames.firstIndex(of: name) else { return nil }
        return Double(averagedScalars[i])
    }
}
