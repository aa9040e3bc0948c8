/// What a trainer does when an update's loss or gradients are not finite (`--on-nonfinite`).
/// Either way the bad update never reaches the weights (the training plan selects the old
/// state) and no checkpoint is saved after it, so the latest checkpoint stays a good one.
public enum NonFinitePolicy: String, Hashable, Sendable, CaseIterable {
    /// Skip the update (a partly accumulated one is dropped), report where the first NaN or inf
    /// came from, and go on with the next batch.
    case skip
    /// Stop with `TrainerError.nonFinite` naming where the first NaN or inf came from.
    case stop
}

/// An update a trainer skipped under `NonFinitePolicy.skip`.
public struct SkippedUpdate: Hashable, Sendable {
    /// The update's index (0-based, as the trainer counts updates).
    public let step: Int
    /// Where the first NaN or inf came from (`NonFiniteSite.description`).
    public let site: String

    public init(step: Int, site: String) {
        self.step = step
        self.site = site
    }
}
