import Foundation

/// The per-step numbers of phenaki-pytorch 0.5.0's `Phenaki.sample`, as plain functions so tests
/// can hold them against the formulas.
public enum SamplingSchedule {
    /// Tokens re-masked before step `step` (≥ 1) of `steps` over `tokens` generated tokens:
    /// `round(tokens · cos(step / steps · π / 2))`, at least 1. The time is a float32 tensor in
    /// PyTorch (`torch.full((1,), step / steps)`), and `round` is half-to-even, as `torch.round`.
    public static func maskCount(step: Int, steps: Int, tokens: Int) -> Int {
        let time = Float(Double(step) / Double(steps))
        let value = Float(tokens) * Foundation.cos(time * Float.pi * 0.5)
        return max(1, Int(value.rounded(.toNearestOrEven)))
    }

    /// The gumbel temperature of step `step` (0-based): `starting · (steps − step − 1) / steps`;
    /// 0 at the last step (greedy).
    public static func temperature(step: Int, steps: Int, starting: Double) -> Double {
        starting * (Double(steps - (step + 1)) / Double(steps))
    }

    /// The critic-noise multiplier of step `step` (0-based) for `schedule`.
    public static func noiseMultiplier(step: Int, steps: Int, schedule: CriticNoiseSchedule) -> Double {
        switch schedule {
        case .fixed: return 1
        case .decay: return Double(steps - (step + 1)) / Double(steps)
        case .increase: return Double(step + 1) / Double(steps)
        }
    }
}
