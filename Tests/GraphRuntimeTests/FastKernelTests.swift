import GraphRuntime
import TensorGraph
import Testing

/// The C kernels against the reference interpreter in float32 mode.
@Suite("C kernels match the reference interpreter")
struct FastKernelTests {
    func reference(_ inputs: [(String, HostTensor)], _ body: ([Tensor]) -> Tensor) throws -> HostTensor {
        let graph = try Tracer.trace { t in
            ["y": body(inputs.map { t.input($0.0, $0.1.shape, $0.1.dtype) })]
        }
        let feeds = Dictionary(uniqueKeysWithValues: inputs)
        return try #require(try ReferenceInterpreter(precision: .float32).run(graph, feeds: feeds)["y"])
    }

    func f32(_ t: HostTensor) -> [Float] { t.scalars.map(Float.init) }

    @Test("sgemm in all four transpose combinations", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sgemm(transposeA: Bool, transposeB: Bool) throws {
        let (m, n, k) = (3, 4, 5)
        let a = testValues(transposeA ? [k, m] : [m, k], seed: 11)
        let b = testValues(transposeB ? [n, k] : [k, n], seed: 12)
        let expected = try reference([("a", a), ("b", b)]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
        var c = [Float](repeating: 0, count: m * n)
        FastKernels.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: f32(a), b: f32(b), c: &c)
        expectClose(floats([m, n], c.map(Double.init)), expected, relative: 1e-5, absolute: 1e-5)
    }

    @Test("sgemm with alpha and beta accumulates into C")
    func sgemmAlphaBeta() {
        var c: [Float] = [1, 1, 1, 1]
        FastKernels.sgemm(m: 2, n: 2, k: 1, alpha: 2, a: [1, 2], b: [3, 4], beta: 0.5, c: &c)
        #expect(c == [6.5, 8.5, 12.5, 16.5])
    }

    @Test("softmax over rows")
    func softmaxRows() throws {
        let x = floats([3, 5], testValues([3, 5], seed: 13).scalars.map { 10 * $0 })
        let expected = try reference([("x", x)]) { $0[0].softmax(axis: 1) }
        let got = FastKernels.softmaxRows(f32(x), rows: 3)
        expectClose(floats([3, 5], got.map(Double.init)), expected, relative: 1e-5, absolute: 1e-5)
    }

    @Test("exact GELU")
    func gelu() throws {
        let x = floats([17], (0..<17).map { Double($0) / 2 - 4 })
        let expected = try reference([("x", x)]) { $0[0].gelu() }
        expectClose(floats([17], FastKernels.gelu(f32(x)).map(Double.init)), expected, relative: 1e-5, absolute: 1e-5)
    }

    @Test("add and mul")
    func addMul() throws {
        let a = testValues([7], seed: 14)
        let b = testValues([7], seed: 15)
        let sum = try reference([("a", a), ("b", b)]) { $0[0] + $0[1] }
        let product = try reference([("a", a), ("b", b)]) { $0[0] * $0[1] }
        #expect(FastKernels.add(f32(a), f32(b)).map(Double.init) == sum.scalars)
        #expect(FastKernels.mul(f32(a), f32(b)).map(Double.init) == product.scalars)
    }

    @Test("OpenMP reports at least one thread")
    func threads() {
        #expect(FastKernels.maxThreads >= 1)
    }
}
