import CKernels
import GraphRuntime
import TensorGraph
import Testing

@Suite("GEMM steps against the reference interpreter")
struct KernelGemmTests {
    /// A GEMM step; `a`/`b`/`c` are views with batch axes, (m, n, k) the product's sizes.
    func gemm(_ a: pk_view, _ b: pk_view, _ c: pk_view, ta: Bool, tb: Bool, m: Int, n: Int, k: Int,
              alpha: Float = 1, beta: Float = 0) -> pk_step {
        makeStep(PK_STEP_GEMM, inputs: [a, b], outputs: [c], iattr: [ta ? 1 : 0, tb ? 1 : 0, m, n, k], fattr: [alpha, beta])
    }

    @Test("all four transpose combinations, M = 7 (odd), with a padded row stride on A",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func transposes(ta: Bool, tb: Bool) throws {
        let (m, n, k) = (7, 9, 5)
        let aShape = ta ? [k, m] : [m, k], bShape = tb ? [n, k] : [k, n]
        let a = testValues(aShape, seed: 31), b = testValues(bShape, seed: 32)
        let expected = try referenceOutput([("a", a), ("b", b)]) { t, v in t.record(.matmul(transposeA: ta, transposeB: tb), [v[0], v[1]]) }
        let arena = KernelArena()
        // A lives in a wider buffer: row stride aShape[1] + 3.
        let lda = aShape[1] + 3
        let padded = floats([aShape[0], lda], (0..<(aShape[0] * lda)).map { i in
            i % lda < aShape[1] ? a.scalars[(i / lda) * aShape[1] + i % lda] : 99 })
        let (pa, pb, pc) = (arena.store(padded), arena.store(b), arena.output(m * n))
        let step = gemm(arena.view(pa, aShape, strides: [lda, 1]), arena.view(pb, bShape), arena.view(pc, [m, n]),
                        ta: ta, tb: tb, m: m, n: n, k: k)
        expectKernel(arena.runAll([step]) { arena.read(pc, [m, n]) }, expected, identical: false)
    }

    @Test("batch broadcast: A [2, 1, m, k] x B [1, 3, k, n] (stride-0 batch axes)")
    func batchBroadcast() throws {
        let (m, n, k) = (5, 4, 6)
        let a = testValues([2, 1, m, k], seed: 33), b = testValues([1, 3, k, n], seed: 34)
        let expected = try referenceOutput([("a", a), ("b", b)]) { t, v in t.record(.matmul(transposeA: false, transposeB: false), [v[0], v[1]]) }
        let arena = KernelArena()
        let (pa, pb, pc) = (arena.store(a), arena.store(b), arena.output(6 * m * n))
        let step = gemm(arena.view(pa, [2, 3, m, k], strides: [m * k, 0, k, 1]), arena.view(pb, [2, 3, k, n], strides: [0, k * n, n, 1]),
                        arena.view(pc, [2, 3, m, n]), ta: false, tb: false, m: m, n: n, k: k)
        expectKernel(arena.runAll([step]) { arena.read(pc, [2, 3, m, n]) }, expected, identical: false)
    }

    @Test("one row (the column-split path), alpha and beta")
    func singleRow() throws {
        let (m, n, k) = (1, 70, 8)
        let a = testValues([m, k], seed: 35), b = testValues([k, n], seed: 36), c0 = testValues([m, n], seed: 37)
        let expected = try referenceOutput([("a", a), ("b", b), ("c", c0)]) { t, v in
            let p = t.record(.matmul(transposeA: false, transposeB: false), [v[0], v[1]])
            return t.record(.binary(.add), [t.record(.binary(.mul), [p, t.constant(2)]), t.record(.binary(.mul), [v[2], t.constant(0.5)])])
        }
        let arena = KernelArena()
        let (pa, pb) = (arena.store(a), arena.store(b))
        let pc = arena.alloc(m * n)
        let step = gemm(arena.view(pa, [m, k]), arena.view(pb, [k, n]), arena.view(pc, [m, n]), ta: false, tb: false,
                        m: m, n: n, k: k, alpha: 2, beta: 0.5)
        // Each run starts from c0: it is written before the first and restored after every read.
        arena.write(c0.scalars, dtype: .float32, at: pc)
        let results = arena.runAll([step]) { () -> HostTensor in
            let r = arena.read(pc, [m, n])
            arena.write(c0.scalars, dtype: .float32, at: pc)
            return r
        }
        expectKernel(results, expected, identical: false)
    }

    @Test("an epilogue row program: gelu(A·B + bias) with bias broadcast over rows")
    func epilogue() throws {
        let (m, n, k) = (9, 12, 7)
        let a = testValues([m, k], seed: 38), b = testValues([k, n], seed: 39), bias = testValues([n], seed: 40)
        let expected = try referenceOutput([("a", a), ("b", b), ("bias", bias)]) { t, v in
            t.record(.unary(.gelu), [t.record(.binary(.add), [t.record(.matmul(transposeA: false, transposeB: false), [v[0], v[1]]), v[2]])])
        }
        let arena = KernelArena()
        let (pa, pb, pbias, pc) = (arena.store(a), arena.store(b), arena.store(bias), arena.output(m * n))
        var step = makeStep(PK_STEP_GEMM, inputs: [arena.view(pa, [m, k]), arena.view(pb, [k, n]), arena.view(pbias, [m, n], strides: [0, 1])],
                            outputs: [arena.view(pc, [m, n])], iattr: [0, 0, m, n, k], fattr: [1, 0])
        let program = [instr(PK_OP_LOAD, 0, 0), instr(PK_OP_LOAD, 1, 2), instr(PK_OP_ADD, 0, 0, 1), instr(PK_OP_GELU, 0, 0),
                       instr(PK_OP_STORE, 0, 0, 0)]
        step.program = arena.program(program)
        step.n_instr = Int32(program.count)
        step.n_registers = 2
        expectKernel(arena.runAll([step]) { arena.read(pc, [m, n]) }, expected, identical: false)
    }

    @Test("a larger GEMM agrees between 1 and 2 threads within 1e-5")
    func threadsAgree() throws {
        let (m, n, k) = (131, 67, 150)
        let a = testValues([m, k], seed: 41), b = testValues([k, n], seed: 42)
        let arena = KernelArena()
        let (pa, pb, pc) = (arena.store(a), arena.store(b), arena.output(m * n))
        let step = gemm(arena.view(pa, [m, k]), arena.view(pb, [k, n]), arena.view(pc, [m, n]), ta: false, tb: false, m: m, n: n, k: k)
        let results = arena.runAll([step]) { arena.read(pc, [m, n]) }
        expectKernel(results, results[0], identical: false)
        #expect(pk_last_error() == Int32(PK_ERR_NONE))
    }
}
