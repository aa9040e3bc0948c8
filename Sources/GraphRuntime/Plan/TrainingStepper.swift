/// What trainers drive: one training step at a time on a batch, with the trained state
/// (weights, optimizer moments, EMA, counters) in `executor`. `TrainingSession` runs one
/// plan for both; `DataParallelSession` runs the forward and backward in `inputs` and the
/// update, on gradients averaged over the ranks, in `executor`.
public protocol TrainingStepper: AnyObject {
    /// Holds the trained state feeds and the update's outputs (`train.grad_norm`, `next:` state).
    var executor: PlanExecutor { get }
    /// Takes the batch and RNG keys and holds the forward outputs (losses, reconstructions).
    var inputs: PlanExecutor { get }
    /// (output, feed) pairs of `executor` carried over after every step.
    var statePairs: [(output: String, feed: String)] { get }
    /// Where the last step's non-finite value came from; nil after a finite step.
    var lastNonFinite: NonFiniteSite? { get }
    /// Whether the last step was skipped because its loss or gradients were not finite.
    var lastStepSkipped: Bool { get }
    /// This process's rank among data-parallel replicas (0 when alone).
    var replica: Int { get }
    /// Sets a scalar feed of the update such as the learning rate (`train.lr`).
    func setScalar(_ name: String, _ value: Double) throws
    /// Feeds a batch, runs one step and carries the state over.
    func step(_ batch: [String: HostTensor]) throws
    /// Drops a partly accumulated update.
    func resetAccumulation() throws
    /// A scalar output of the last step (a loss, `train.grad_norm`); data-parallel: over all ranks.
    func scalar(_ name: String) -> Double?
}

extension TrainingSession: TrainingStepper {
    /// The one plan takes the batch too.
    public var inputs: PlanExecutor { executor }
    /// Alone: rank 0.
    public var replica: Int { 0 }
}
