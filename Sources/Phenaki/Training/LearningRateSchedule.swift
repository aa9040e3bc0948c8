/// The learning rate of each update: the base rate throughout, except over the last
/// `decaySteps` updates before `steps`, where it falls linearly towards zero (the "cooldown" of a
/// warmup-stable-decay schedule).
///
/// phenaki-pytorch's trainers keep the rate constant, which is `decaySteps` 0. A cooldown lets
/// Adam settle into the minimum that a constant rate keeps jumping around; since the rate
/// depends only on the update's index, a resumed run follows the same schedule as an unbroken one.
public struct LearningRateSchedule: Hashable, Sendable {
    /// The rate before the cooldown.
    public var base: Double
    /// The run's last update (`--steps`).
    public var steps: Int
    /// Updates over which the rate falls; 0: constant.
    public var decaySteps: Int

    public init(base: Double, steps: Int, decaySteps: Int = 0) {
        self.base = base
        self.steps = steps
        self.decaySteps = decaySteps
    }

    /// The rate of the update that follows `updates` finished ones (0-based index): `base` before
    /// the cooldown, then `base · (steps − updates) / decaySteps`, so the last update runs at
    /// `base / decaySteps`.
    public func rate(afterUpdates updates: Int) -> Double {
        let left = steps - updates
        guard decaySteps > 0, left < decaySteps else { return base }
        return base * Double(max(left, 0)) / Double(decaySteps)
    }

    /// Checks the rate (positive, finite) and the cooldown (0 up to `steps` updates).
    /// - Throws: `TrainerError.invalidOption` naming the flag to change.
    public func validate() throws(TrainerError) {
        if !(base > 0 && base.isFinite) {
            throw .invalidOption(name: "lr", value: "\(base)", expected: "a positive finite number")
        }
        if decaySteps < 0 || decaySteps > max(steps, 0) {
            throw .invalidOption(name: "lr-decay-steps", value: "\(decaySteps)",
                                 expected: "between 0 and --steps (\(steps))")
        }
    }
}
