import GraphRuntime

/// The RNG keys trainers feed their plans: a function of the run's seed, the feed's name and the
/// micro-batch index, never of a running counter, so a resumed run draws exactly the keys an
/// uninterrupted one would.
public enum TrainerRNG {
    /// The key for RNG input `feed` at micro-batch `draw` (update · grad_accum_every + micro).
    public static func key(seed: UInt64, feed: String, draw: Int) -> RNGKey {
        let nameKey = feed.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0x3fff_ffff }
        return RNGKey(seed: seed).foldIn(nameKey).foldIn(draw)
    }

    /// Feeds every RNG key input of `executor` its key for micro-batch `draw`.
    static func feedKeys(_ executor: PlanExecutor, seed: UInt64, draw: Int) throws {
        for binding in executor.plan.feeds where binding.role == .rngKey {
            try executor.setFeed(binding.name, key(seed: seed, feed: binding.name, draw: draw).tensor)
        }
    }
}
