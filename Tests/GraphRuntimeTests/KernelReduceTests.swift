import CKernels
import GraphRuntime
import TensorGraph
import Testing

@Suite("REDUCE and ARGMAX steps against the reference interpreter")
struct KernelReduceTests {
    static let ops: [(Int, ReduceOp)] = [(0, .sum), (1, .max), (2, .mean), (3, .logSumExp)]

    @Test("each reduction over a middle axis and over axes [0, 2] (strided input)", arguments: [0, 1, 2, 3])
    func reduce(opIndex: Int) throws {
        let (code, op) = Self.ops[opIndex]
        var x = floats([4, 5, 6], testValues([4, 5, 6], seed: 61).scalars.map { 4 * $0 })
        x.scalars[7] = .nan
        let arena = KernelArena()
        let px = arena.store(x)
        for axes in [[1], [0, 2], [0, 1, 2]] {
            let expected = try referenceOutput([("x", x)]) { t, v in t.record(.reduce(op, axes: axes, keepDims: true), [v[0]]) }
            let outShape = (0..<3).map { axes.contains($0) ? 1 : x.shape[$0] }
            let py = arena.output(outShape.reduce(1, *))
            let step = makeStep(PK_STEP_REDUCE, inputs: [arena.view(px, [4, 5, 6])], outputs: [arena.view(py, outShape)], iattr: [code])
            expectKernel(arena.runAll([step]) { arena.read(py, outShape) }, expected, relative: 1e-6, absolute: 1e-6, "\(op) \(axes)")
        }
        // The middle-axis reduction of a transposed view (innermost kept axis not contiguous).
        let xt = floats([6, 5, 4], (0..<120).map { i in x.scalars[(i % 4) * 30 + ((i / 4) % 5) * 6 + i / 20] })
        let expected = try referenceOutput([("x", xt)]) { t, v in t.record(.reduce(op, axes: [1], keepDims: true), [v[0]]) }
        let py = arena.output(24)
        let step = makeStep(PK_STEP_REDUCE, inputs: [arena.view(px, [6, 5, 4], strides: [1, 6, 30])], outputs: [arena.view(py, [6, 1, 4])],
                            iattr: [code])
        expectKernel(arena.runAll([step]) { arena.read(py, [6, 1, 4]) }, expected, relative: 1e-6, absolute: 1e-6, "\(op) transposed")
    }

    @Test("a sum over an empty axis is 0 (the graph allows no other empty reduction)")
    func emptyAxis() throws {
        let (code, op) = Self.ops[0]
        let x = floats([2, 0, 3], [])
        let expected = try referenceOutput([("x", x)]) { t, v in t.record(.reduce(op, axes: [1], keepDims: true), [v[0]]) }
        let arena = KernelArena()
        let (px, py) = (arena.alloc(1), arena.output(6))
        let step = makeStep(PK_STEP_REDUCE, inputs: [arena.view(px, [2, 0, 3])], outputs: [arena.view(py, [2, 1, 3])], iattr: [code])
        expectKernel(arena.runAll([step]) { arena.read(py, [2, 1, 3]) }, expected, "\(op)")
    }

    @Test("int32 sum wraps like int32 arithmetic")
    func intSum() throws {
        let x = ints([2, 3], [2_000_000_000, 2_000_000_000, 5, -7, 1, 2])
        let expected = try referenceOutput([("x", x)]) { t, v in t.record(.reduce(.sum, axes: [1], keepDims: true), [v[0]]) }
        let arena = KernelArena()
        let (px, py) = (arena.store(x), arena.output(2))
        let step = makeStep(PK_STEP_REDUCE, inputs: [arena.view(px, [2, 3], .int32)], outputs: [arena.view(py, [2, 1], .int32)], iattr: [0])
        expectKernel(arena.runAll([step]) { arena.read(py, [2, 1], .int32) }, expected)
    }

    @Test("argmax: first maximum, NaN counts as largest, with and without the kept axis")
    func argmax() throws {
        let x = floats([3, 4, 2], [1, 5, 3, 5, 3, 0, 2, 1, /**/ 0, .nan, 0, 1, 0, .nan, 0, 2, /**/ -1, -1, -1, -1, -1, -1, -1, -1])
        let arena = KernelArena()
        let px = arena.store(x)
        for axis in 0..<3 {
            for keep in [true, false] {
                let expected = try referenceOutput([("x", x)]) { t, v in t.record(.argmax(axis: axis, keepDims: keep), [v[0]]) }
                let py = arena.output(expected.count)
                let step = makeStep(PK_STEP_ARGMAX, inputs: [arena.view(px, [3, 4, 2])], outputs: [arena.view(py, expected.shape, .int32)],
                                    iattr: [axis])
                expectKernel(arena.runAll([step]) { arena.read(py, expected.shape, .int32) }, expected, "axis \(axis) keep \(keep)")
            }
        }
    }
}
