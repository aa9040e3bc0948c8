import Foundation

/// The decay ema-pytorch 0.8.3's `EMA.update()` applies at each call, as the value a training
/// plan's `train.ema_decay` input takes: 0 copies the weights, 1 keeps the average, anything
/// between blends `ema · d + weights · (1 − d)`.
///
/// ema-pytorch warms the decay up as `1 − (1 + e / inv_gamma)^(−power)` (inv_gamma 1, power
/// 2/3, the defaults phenaki-pytorch keeps) with `e` the calls past `update_after_step`, clamped
/// to `beta`.
public struct EMASchedule: Hashable, Sendable {
    public var beta: Double
    public var updateAfterStep: Int
    public var updateEvery: Int
    public var inverseGamma = 1.0
    public var power = 2.0 / 3.0

    public init(beta: Double, updateAfterStep: Int, updateEvery: Int) {
        self.beta = beta
        self.updateAfterStep = updateAfterStep
        self.updateEvery = updateEvery
    }

    /// The decay of the update that follows `done` earlier updates (ema-pytorch's `step` before
    /// its increment).
    public func decay(afterUpdates done: Int) -> Double {
        // The first call only initialises the copy.
        if done == 0 { return 0 }
        if done % updateEvery != 0 { return 1 }
        if done <= updateAfterStep { return 0 }
        // get_current_decay reads the counter after its increment: epoch = (done + 1) − after − 1.
        let epoch = Double(done - updateAfterStep)
        let value = 1 - pow(1 + epoch / inverseGamma, -power)
        return min(max(value, 0), beta)
    }
}
