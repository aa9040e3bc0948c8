import GraphRuntime
import TensorGraph
import Testing

/// A float32 tensor.
func floats(_ shape: [Int], _ scalars: [Double]) -> HostTensor {
    HostTensor(shape: shape, dtype: .float32, scalars: scalars)
}

/// An int32 tensor.
func ints(_ shape: [Int], _ scalars: [Double]) -> HostTensor {
    HostTensor(shape: shape, dtype: .int32, scalars: scalars)
}

/// A bool tensor (0 / 1).
func bools(_ shape: [Int], _ scalars: [Double]) -> HostTensor {
    HostTensor(shape: shape, dtype: .bool, scalars: scalars)
}

/// The largest elementwise `|a - b| / (absolute + relative · |b|)`; at most 1 means close.
/// NaNs must sit at the same places; equal infinities are close.
func closeness(_ a: HostTensor, _ b: HostTensor, relative: Double, absolute: Double) -> Double {
    guard a.shape == b.shape, a.dtype == b.dtype else { return .infinity }
    var worst = 0.0
    for (x, y) in zip(a.scalars, b.scalars) {
        if x.isNaN || y.isNaN {
            if x.isNaN != y.isNaN { return .infinity }
            continue
        }
        if x == y { continue }
        worst = max(worst, Swift.abs(x - y) / (absolute + relative * Swift.abs(y)))
    }
    return worst
}

/// Expects `got` to have `expected`'s type and values within the tolerances.
func expectClose(
    _ got: HostTensor?, _ expected: HostTensor, relative: Double = 1e-6, absolute: Double = 1e-6,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let got else {
        Issue.record("no value; expected \(expected)", sourceLocation: sourceLocation)
        return
    }
    let score = closeness(got, expected, relative: relative, absolute: absolute)
    #expect(score <= 1, "\(comment.map { "\($0): " } ?? "")got \(got.type) \(got.scalars), expected \(expected.type) \(expected.scalars)",
            sourceLocation: sourceLocation)
}

/// `Σ a·b` over all elements.
func dot(_ a: HostTensor, _ b: HostTensor) -> Double {
    precondition(a.shape == b.shape)
    return zip(a.scalars, b.scalars).reduce(0) { $0 + $1.0 * $1.1 }
}

/// Deterministic test values in [-1, 1) from a seed.
func testValues(_ shape: [Int], seed: UInt64) -> HostTensor {
    let count = shape.reduce(1, *)
    return floats(shape, RNGKey(seed: seed).uniform(count: count).map { 2 * $0 - 1 })
}

/// Runs a one-output graph in the given precision.
func runSingle(_ graph: Graph, feeds: [String: HostTensor], precision: Precision, output: String = "y") throws -> HostTensor? {
    try ReferenceInterpreter(precision: precision).run(graph, feeds: feeds)[output]
}
