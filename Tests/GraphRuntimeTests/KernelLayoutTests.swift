import CKernels
import GraphRuntime
import TensorGraph
import Testing

@Suite("COPY, FILL and IOTA steps")
struct KernelLayoutTests {
    @Test("copy of a permuted view")
    func permutedCopy() throws {
        let x = testValues([2, 3, 4, 5], seed: 51)
        let perm = [2, 0, 3, 1]
        let expected = try referenceOutput([("x", x)]) { t, v in t.record(.permute(perm: perm), [v[0]]) }
        let arena = KernelArena()
        let (px, py) = (arena.store(x), arena.output(120))
        let strides = [60, 20, 5, 1]
        let shape = perm.map { x.shape[$0] }
        let step = makeStep(PK_STEP_COPY, inputs: [arena.view(px, shape, strides: perm.map { strides[$0] })],
                            outputs: [arena.view(py, shape)])
        expectKernel(arena.runAll([step]) { arena.read(py, shape) }, expected)
    }

    @Test("pad = fill + copy of the input into a strided interior view; expand = copy from stride 0")
    func padAndExpand() throws {
        let x = testValues([3, 4], seed: 52)
        let padded = try referenceOutput([("x", x)]) { t, v in t.record(.pad(before: [1, 2], after: [2, 1], value: -1), [v[0]]) }
        let expanded = try referenceOutput([("x", x)]) { t, v in
            t.record(.expand(shape: [2, 3, 4]), [v[0]])
        }
        let arena = KernelArena()
        let (px, pp, pe) = (arena.store(x), arena.output(6 * 7), arena.output(24))
        let steps = [
            makeStep(PK_STEP_FILL, inputs: [], outputs: [arena.view(pp, [6, 7])], fattr: [-1]),
            makeStep(PK_STEP_COPY, inputs: [arena.view(px, [3, 4])], outputs: [arena.view(pp, [3, 4], strides: [7, 1], elementOffset: 9)]),
            makeStep(PK_STEP_COPY, inputs: [arena.view(px, [2, 3, 4], strides: [0, 4, 1])], outputs: [arena.view(pe, [2, 3, 4])]),
        ]
        let results = arena.runAll(steps) { [arena.read(pp, [6, 7]), arena.read(pe, [2, 3, 4])] }
        expectKernel(results.map { $0[0] }, padded)
        expectKernel(results.map { $0[1] }, expanded)
    }

    @Test("copy converting int32 to bool and float to int32 (cast semantics)")
    func convertingCopy() {
        let arena = KernelArena()
        let pi = arena.store(ints([5], [0, 3, -2, 0, 1]))
        let pf = arena.store(floats([5], [1.9, -1.9, .nan, 5e9, -0.0]))
        let (pb, pj) = (arena.output(5), arena.output(5))
        let steps = [
            makeStep(PK_STEP_COPY, inputs: [arena.view(pi, [5], .int32)], outputs: [arena.view(pb, [5], .bool)]),
            makeStep(PK_STEP_COPY, inputs: [arena.view(pf, [5])], outputs: [arena.view(pj, [5], .int32)]),
        ]
        for r in arena.runAll(steps, { [arena.read(pb, [5], .bool), arena.read(pj, [5], .int32)] }) {
            #expect(r[0].scalars == [0, 1, 1, 0, 1])
            #expect(r[1].scalars == [1, -1, 0, 2_147_483_647, 0])
        }
    }

    @Test("iota along each axis of a [3, 4, 5] view, and into a transposed output")
    func iota() throws {
        let arena = KernelArena()
        for axis in 0..<3 {
            let expected = try referenceOutput([]) { t, _ in t.iota([3, 4, 5], axis: axis) }
            let py = arena.output(60)
            let step = makeStep(PK_STEP_IOTA, inputs: [], outputs: [arena.view(py, [3, 4, 5], .int32)], iattr: [axis])
            expectKernel(arena.runAll([step]) { arena.read(py, [3, 4, 5], .int32) }, expected)
            // The same values through a transposed output view: y^T[k, j, i] = iota[i, j, k].
            let pt = arena.output(60)
            let tstep = makeStep(PK_STEP_IOTA, inputs: [], outputs: [arena.view(pt, [3, 4, 5], .int32, strides: [1, 3, 12])], iattr: [axis])
            let transposed = arena.runAll([tstep]) { arena.read(pt, [5, 4, 3], .int32) }
            let want = try referenceOutput([]) { t, _ in t.record(.permute(perm: [2, 1, 0]), [t.iota([3, 4, 5], axis: axis)]) }
            expectKernel(transposed, want)
        }
    }

    @Test("fill of an int32 and a bool view")
    func fill() {
        let arena = KernelArena()
        let (pi, pb) = (arena.output(7), arena.output(7))
        let steps = [
            makeStep(PK_STEP_FILL, inputs: [], outputs: [arena.view(pi, [7], .int32)], fattr: [-3.7]),
            makeStep(PK_STEP_FILL, inputs: [], outputs: [arena.view(pb, [7], .bool)], fattr: [2]),
        ]
        for r in arena.runAll(steps, { [arena.read(pi, [7], .int32), arena.read(pb, [7], .bool)] }) {
            #expect(r[0].scalars == [Double](repeating: -3, count: 7))
            #expect(r[1].scalars == [Double](repeating: 1, count: 7))
        }
    }
}
