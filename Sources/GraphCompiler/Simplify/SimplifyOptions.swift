import GraphRuntime

/// Choices that decide how far the simplification passes may go.
///
/// The defaults keep every rewrite exact: the simplified graph computes the same bits as the
/// original on every input (up to the sign of a zero, see `.algebraicSimplification`).
public struct SimplifyOptions: Sendable, Hashable {
    /// Arithmetic used to evaluate folded constants. `.float32` stores what the float32 runtime
    /// would have computed for the node; `.float64` keeps the exact value (rounded once when a
    /// plan stores it), which is what a float64 oracle computes.
    public var foldingPrecision: Precision
    /// Constant folding leaves results with more elements than this unevaluated (they would
    /// bloat the plan); results whose elements all share one value are folded at any size.
    public var maxFoldedElements: Int
    /// Constant folding does not evaluate nodes reading a non-splat constant larger than this,
    /// so compile time stays bounded.
    public var maxFoldedInputElements: Int
    /// Rewrites `x * 0` into zeros for float32 `x`. Exact only for finite `x` (`inf · 0` and
    /// `NaN · 0` are NaN), as XLA assumes; off by default. Integer `x · 0` is always rewritten.
    public var assumeFiniteValues: Bool
    /// Removes `stopGradient` nodes. Only right for a graph that will not be differentiated
    /// again (a final joint graph); off by default.
    public var eraseStopGradients: Bool
    /// Upper bound on pipeline rounds when iterating to a fixed point.
    public var maxRounds: Int

    /// Options with the exact, conservative defaults.
    public init(
        foldingPrecision: Precision = .float32, maxFoldedElements: Int = 4096,
        maxFoldedInputElements: Int = 1 << 16, assumeFiniteValues: Bool = false,
        eraseStopGradients: Bool = false, maxRounds: Int = 8
    ) {
        self.foldingPrecision = foldingPrecision
        self.maxFoldedElements = maxFoldedElements
        self.maxFoldedInputElements = maxFoldedInputElements
        self.assumeFiniteValues = assumeFiniteValues
        self.eraseStopGradients = eraseStopGradients
        self.maxRounds = maxRounds
    }
}
