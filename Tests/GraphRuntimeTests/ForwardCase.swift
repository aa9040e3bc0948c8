import GraphRuntime
import TensorGraph

/// One forward check: a tiny graph whose output `y` must equal hand-computed values.
struct ForwardCase: Sendable {
    /// What the case shows (printed on failure).
    var name: String
    /// Feeds of the graph's inputs.
    var feeds: [String: HostTensor] = [:]
    /// The output `y` in float64 arithmetic.
    var expected: HostTensor
    /// Builds `y`.
    var build: @Sendable (Tracer) -> Tensor
}

/// An input called `x` of the given value's type.
func inputX(_ t: Tracer, _ x: HostTensor) -> Tensor { t.input("x", x.shape, x.dtype) }

/// `f(x)` for an input `x`.
func unaryCase(
    _ name: String, _ x: HostTensor, _ expected: HostTensor, _ f: @escaping @Sendable (Tensor) -> Tensor
) -> ForwardCase {
    ForwardCase(name: name, feeds: ["x": x], expected: expected) { t in f(inputX(t, x)) }
}

/// `f(a, b)` for inputs `a` and `b`.
func binaryCase(
    _ name: String, _ a: HostTensor, _ b: HostTensor, _ expected: HostTensor,
    _ f: @escaping @Sendable (Tensor, Tensor) -> Tensor
) -> ForwardCase {
    ForwardCase(name: name, feeds: ["a": a, "b": b], expected: expected) { t in
        f(t.input("a", a.shape, a.dtype), t.input("b", b.shape, b.dtype))
    }
}

/// Every forward case, by the op kind it checks.
let forwardCases: [OpKind: [ForwardCase]] = [
    sourceCases, randomCases, unaryCases, binaryCases, comparisonCases, selectCastCases, reductionCases, rowCases,
    matmulCases, layoutCases, indexingCases, sortingCases, convCases, attentionCases,
].reduce(into: [:]) { all, table in all.merge(table) { $0 + $1 } }
