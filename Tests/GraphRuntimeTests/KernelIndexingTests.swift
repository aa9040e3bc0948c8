import CKernels
import GraphRuntime
import TensorGraph
import Testing

@Suite("Indexing, sorting steps against the reference interpreter")
struct KernelIndexingTests {
    @Test("gather and its scatter-add adjoint along axes 0, 1 and 2 (duplicate indices)", arguments: [0, 1, 2])
    func gatherScatter(axis: Int) throws {
        let x = testValues([4, 5, 3], seed: 71)
        let n = x.shape[axis]
        let idx = ints([2, 3], [Double(n - 1), 0, 1, 1, Double(n - 1), 0])
        let gathered = try referenceOutput([("x", x), ("i", idx)]) { t, v in t.record(.gather(axis: axis), [v[0], v[1]]) }
        let scattered = try referenceOutput([("u", gathered), ("i", idx)]) { t, v in t.record(.scatterAdd(axis: axis, size: n), [v[0], v[1]]) }
        let arena = KernelArena()
        let (px, pi) = (arena.store(x), arena.store(idx))
        let (pg, ps) = (arena.output(gathered.count), arena.output(x.count))
        let steps = [
            makeStep(PK_STEP_GATHER, inputs: [arena.view(px, x.shape), arena.view(pi, [2, 3], .int32)],
                     outputs: [arena.view(pg, gathered.shape)], iattr: [axis]),
            makeStep(PK_STEP_SCATTER_ADD, inputs: [arena.view(pg, gathered.shape), arena.view(pi, [2, 3], .int32)],
                     outputs: [arena.view(ps, x.shape)], iattr: [axis]),
        ]
        let results = arena.runAll(steps) { [arena.read(pg, gathered.shape), arena.read(ps, x.shape)] }
        expectKernel(results.map { $0[0] }, gathered)
        expectKernel(results.map { $0[1] }, scattered)
        #expect(pk_last_error() == Int32(PK_ERR_NONE))
    }

    @Test("take-along-axis and scatter-along-axis-add on a transposed input", arguments: [0, 1])
    func alongAxis(axis: Int) throws {
        let x = testValues([4, 6], seed: 72)
        let idxShape = axis == 0 ? [3, 6] : [4, 3]
        let extent = x.shape[axis]
        let idx = ints(idxShape, (0..<idxShape.reduce(1, *)).map { Double(($0 * 5 + 1) % extent) })
        let taken = try referenceOutput([("x", x), ("i", idx)]) { t, v in t.record(.takeAlongAxis(axis: axis), [v[0], v[1]]) }
        let back = try referenceOutput([("u", taken), ("i", idx)]) { t, v in
            t.record(.scatterAlongAxisAdd(axis: axis, size: extent), [v[0], v[1]])
        }
        let arena = KernelArena()
        // x stored transposed, read through strides [1, 4].
        let xt = floats([6, 4], (0..<24).map { i in x.scalars[(i % 4) * 6 + i / 4] })
        let (px, pi, pt, pb) = (arena.store(xt), arena.store(idx), arena.output(idxShape.reduce(1, *)), arena.output(24))
        let steps = [
            makeStep(PK_STEP_TAKE_ALONG, inputs: [arena.view(px, [4, 6], strides: [1, 4]), arena.view(pi, idxShape, .int32)],
                     outputs: [arena.view(pt, idxShape)], iattr: [axis]),
            makeStep(PK_STEP_SCATTER_ALONG, inputs: [arena.view(pt, idxShape), arena.view(pi, idxShape, .int32)],
                     outputs: [arena.view(pb, [4, 6])], iattr: [axis]),
        ]
        let results = arena.runAll(steps) { [arena.read(pt, idxShape), arena.read(pb, [4, 6])] }
        expectKernel(results.map { $0[0] }, taken)
        expectKernel(results.map { $0[1] }, back)
    }

    @Test("one-hot rows")
    func oneHot() throws {
        let idx = ints([2, 3], [0, 4, 2, 2, 1, 3])
        let expected = try referenceOutput([("i", idx)]) { t, v in t.record(.oneHot(depth: 5), [v[0]]) }
        let arena = KernelArena()
        let (pi, py) = (arena.store(idx), arena.output(30))
        let step = makeStep(PK_STEP_ONE_HOT, inputs: [arena.view(pi, [2, 3], .int32)], outputs: [arena.view(py, [2, 3, 5])], iattr: [5])
        expectKernel(arena.runAll([step]) { arena.read(py, [2, 3, 5]) }, expected)
    }

    @Test("top-k (small k by insertion, large k by sorting) with ties and NaN", arguments: [1, 3, 20, 40])
    func topK(k: Int) throws {
        var values = smallInts([3, 40], seed: 73, range: 5).scalars
        values[5] = .nan
        values[50] = .nan
        values[51] = .nan
        let x = floats([3, 40], values)
        let arena = KernelArena()
        let px = arena.store(x)
        for axis in [1, 0] {
            let kk = axis == 0 ? min(k, 3) : k
            let expected = try referenceOutput([("x", x)]) { t, v in t.record(.topK(k: kk, axis: axis), [v[0]]) }
            let py = arena.output(expected.count)
            var step = makeStep(PK_STEP_TOPK, inputs: [arena.view(px, [3, 40])], outputs: [arena.view(py, expected.shape, .int32)],
                                iattr: [kk, axis])
            step.scratch_per_thread = pk_step_scratch_bytes(&step)
            expectKernel(arena.runAll([step]) { arena.read(py, expected.shape, .int32) }, expected, "axis \(axis) k \(kk)")
        }
    }

    @Test("argsort is stable in both directions, NaN last ascending", arguments: [false, true])
    func argsort(descending: Bool) throws {
        var values = smallInts([4, 33], seed: 74, range: 4).scalars
        values[3] = .nan
        values[40] = -.infinity
        values[41] = -0.0
        let x = floats([4, 33], values)
        let arena = KernelArena()
        let px = arena.store(x)
        for axis in [1, 0] {
            let expected = try referenceOutput([("x", x)]) { t, v in t.record(.argsort(axis: axis, descending: descending), [v[0]]) }
            let py = arena.output(132)
            let step = makeStep(PK_STEP_ARGSORT, inputs: [arena.view(px, [4, 33])], outputs: [arena.view(py, [4, 33], .int32)],
                                iattr: [axis, descending ? 1 : 0])
            expectKernel(arena.runAll([step]) { arena.read(py, [4, 33], .int32) }, expected, "axis \(axis)")
        }
    }
}
