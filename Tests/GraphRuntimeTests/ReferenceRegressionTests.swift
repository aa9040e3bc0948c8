import GraphRuntime
import Testing
import TensorGraph

@Suite struct ReferenceRegressionTests {
    /// The oracle computed GELU as 0.5·x·(1 + erf(x/√2)), which cancels for negative x: at
    /// x = -8 it was 2 % off and below -9 it gave 0. Values from mpmath at 40 digits.
    @Test func geluKeepsRelativeAccuracyForNegativeInputs() throws {
        let graph = try Tracer.trace { t in ["y": t.input("x", [4]).gelu()] }
        let x = HostTensor(shape: [4], dtype: .float32, scalars: [-5, -7, -8, -10])
        let y = try ReferenceInterpreter(precision: .float64).run(graph, feeds: ["x": x])["y"]!
        let truth = [-1.4332578594e-6, -8.9586878072e-12, -4.97676845942e-15, -7.6198530241605e-23]
        for (a, e) in zip(y.scalars, truth) { #expect(abs(a - e) <= 1e-9 * abs(e), "\(a) vs \(e)") }
    }
}
