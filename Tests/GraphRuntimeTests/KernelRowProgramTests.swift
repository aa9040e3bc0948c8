import CKernels
import GraphRuntime
import TensorGraph
import Testing

@Suite("Row programs against the reference interpreter")
struct KernelRowProgramTests {
    func rowStep(_ arena: KernelArena, _ program: [pk_instr], registers: Int, inputs: [pk_view], outputs: [pk_view]) -> pk_step {
        var s = makeStep(PK_STEP_ROWPROG, inputs: inputs, outputs: outputs)
        s.program = arena.program(program)
        s.n_instr = Int32(program.count)
        s.n_registers = Int32(registers)
        s.scratch_per_thread = pk_step_scratch_bytes(&s)
        return s
    }

    @Test("softmax of a + b on 5 x 577 with b broadcast over rows (stride 0)")
    func softmax() throws {
        let a = floats([5, 577], testValues([5, 577], seed: 21).scalars.map { 6 * $0 })
        let b = testValues([1, 577], seed: 22)
        let expected = try referenceOutput([("a", a), ("b", b)]) { t, x in
            t.record(.softmax(axis: 1), [t.record(.binary(.add), [x[0], x[1]])])
        }
        let arena = KernelArena()
        let (pa, pb, py) = (arena.store(a), arena.store(b), arena.output(5 * 577))
        let program = [
            instr(PK_OP_LOAD, 0, 0), instr(PK_OP_LOAD, 1, 1), instr(PK_OP_ADD, 0, 0, 1),
            instr(PK_OP_ROW_MAX, 1, 0), instr(PK_OP_SUB, 0, 0, 1), instr(PK_OP_EXP, 0, 0),
            instr(PK_OP_ROW_SUM, 1, 0), instr(PK_OP_DIV, 0, 0, 1), instr(PK_OP_STORE, 0, 0, 0),
        ]
        let step = rowStep(arena, program, registers: 2,
                           inputs: [arena.view(pa, [5, 577]), arena.view(pb, [5, 577], strides: [0, 1])],
                           outputs: [arena.view(py, [5, 577])])
        #expect(pk_step_scratch_bytes([step]) == (2 * 577 * 4 + 63) / 64 * 64)
        expectKernel(arena.runAll([step]) { arena.read(py, [5, 577]) }, expected)
    }

    @Test("layer norm over rows of a transposed (strided) input")
    func layerNorm() throws {
        let x = testValues([6, 33], seed: 23)
        let expected = try referenceOutput([("x", x)]) { t, v in t.record(.layerNorm(epsilon: 1e-5), [v[0]]) }
        let arena = KernelArena()
        // Store x transposed ([33, 6]) and read it back through a permuted view.
        let xt = floats([33, 6], (0..<(33 * 6)).map { i in x.scalars[(i % 6) * 33 + i / 6] })
        let (px, py) = (arena.store(xt), arena.output(6 * 33))
        let n: Float = 33
        let program = [
            instr(PK_OP_LOAD, 0, 0), instr(PK_OP_ROW_SUM, 1, 0), instr(PK_OP_CONST, 2, imm: 1 / n),
            instr(PK_OP_MUL, 1, 1, 2), instr(PK_OP_SUB, 0, 0, 1), instr(PK_OP_MUL, 1, 0, 0),
            instr(PK_OP_ROW_SUM, 1, 1), instr(PK_OP_MUL, 1, 1, 2), instr(PK_OP_CONST, 2, imm: 1e-5),
            instr(PK_OP_ADD, 1, 1, 2), instr(PK_OP_RSQRT, 1, 1), instr(PK_OP_MUL, 0, 0, 1),
            instr(PK_OP_STORE, 0, 0, 0),
        ]
        let step = rowStep(arena, program, registers: 3, inputs: [arena.view(px, [6, 33], strides: [1, 6])],
                           outputs: [arena.view(py, [6, 33])])
        expectKernel(arena.runAll([step]) { arena.read(py, [6, 33]) }, expected, relative: 1e-5, absolute: 1e-5)
    }

    @Test("int32 compare to bool, select, and a truncating cast to int32")
    func compareSelectCast() throws {
        let i = ints([6, 7], smallInts([6, 7], seed: 24, range: 9).scalars)
        let x = floats([6, 7], testValues([6, 7], seed: 25).scalars.map { 7 * $0 })
        let cond = try referenceOutput([("i", i)]) { t, v in t.record(.binary(.greater), [v[0], t.constant(1, [], .int32)]) }
        let picked = try referenceOutput([("i", i), ("x", x)]) { t, v in
            let c = t.record(.binary(.greater), [v[0], t.constant(1, [], .int32)])
            return t.record(.select, [c, v[1], t.constant(-2.5)])
        }
        let truncated = try referenceOutput([("x", x)]) { t, v in t.record(.cast(.int32), [v[0]]) }
        let arena = KernelArena()
        let (pi, px) = (arena.store(i), arena.store(x))
        let (pc, ps, pt) = (arena.output(42), arena.output(42), arena.output(42))
        let program = [
            instr(PK_OP_LOAD, 0, 0), instr(PK_OP_CONST, 1, imm: 1), instr(PK_OP_GT, 2, 0, 1),
            instr(PK_OP_STORE, 0, 0, 2), instr(PK_OP_LOAD, 3, 1), instr(PK_OP_CONST, 1, imm: -2.5),
            instr(PK_OP_SELECT, 0, 2, 3, 1), instr(PK_OP_STORE, 0, 1, 0), instr(PK_OP_TRUNC, 0, 3),
            instr(PK_OP_STORE, 0, 2, 0),
        ]
        let step = rowStep(arena, program, registers: 4,
                           inputs: [arena.view(pi, [6, 7], .int32), arena.view(px, [6, 7])],
                           outputs: [arena.view(pc, [6, 7], .bool), arena.view(ps, [6, 7]), arena.view(pt, [6, 7], .int32)])
        let results = arena.runAll([step]) { [arena.read(pc, [6, 7], .bool), arena.read(ps, [6, 7]), arena.read(pt, [6, 7], .int32)] }
        expectKernel(results.map { $0[0] }, cond)
        expectKernel(results.map { $0[1] }, picked)
        expectKernel(results.map { $0[2] }, truncated)
    }

    @Test("a tiled element-wise program on 10 000 elements (gelu, sigmoid, tanh, max with NaN)")
    func tiledElementwise() throws {
        var a = floats([10_000], testValues([10_000], seed: 26).scalars.map { 5 * $0 })
        a.scalars[17] = .nan
        a.scalars[9_999] = -.infinity
        let b = testValues([10_000], seed: 27)
        let expected = try referenceOutput([("a", a), ("b", b)]) { t, v in
            let g = t.record(.binary(.mul), [t.record(.unary(.gelu), [v[0]]), v[1]])
            let s = t.record(.binary(.add), [g, t.record(.unary(.sigmoid), [v[0]])])
            return t.record(.binary(.maximum), [s, t.record(.unary(.tanh), [v[1]])])
        }
        let arena = KernelArena()
        let (pa, pb, py) = (arena.store(a), arena.store(b), arena.output(10_000))
        let program = [
            instr(PK_OP_LOAD, 0, 0), instr(PK_OP_LOAD, 1, 1), instr(PK_OP_GELU, 2, 0), instr(PK_OP_MUL, 2, 2, 1),
            instr(PK_OP_SIGMOID, 0, 0), instr(PK_OP_ADD, 2, 2, 0), instr(PK_OP_TANH, 1, 1), instr(PK_OP_MAX, 2, 2, 1),
            instr(PK_OP_STORE, 0, 0, 2),
        ]
        let step = rowStep(arena, program, registers: 3, inputs: [arena.view(pa, [10_000]), arena.view(pb, [10_000])],
                           outputs: [arena.view(py, [10_000])])
        #expect(pk_step_scratch_bytes([step]) == 3 * Int64(PK_ROWPROG_TILE) * 4)
        expectKernel(arena.runAll([step]) { arena.read(py, [10_000]) }, expected, relative: 1e-6, absolute: 1e-6)
    }

    @Test("every unary and binary op on special values", arguments: [
        (PK_OP_NEG, UnaryOp.neg), (PK_OP_EXP, .exp), (PK_OP_LOG, .log), (PK_OP_SQRT, .sqrt), (PK_OP_RSQRT, .rsqrt),
        (PK_OP_ABS, .abs), (PK_OP_SIGN, .sign), (PK_OP_TANH, .tanh), (PK_OP_ERF, .erf), (PK_OP_SIGMOID, .sigmoid),
        (PK_OP_RELU, .relu), (PK_OP_GELU, .gelu), (PK_OP_SIN, .sin), (PK_OP_COS, .cos),
        (PK_OP_LEAKY_RELU, .leakyRelu(alpha: 0.125)),
    ])
    func unary(op: Int, unary: UnaryOp) throws {
        let x = floats([3, 8], [0, -0.0, 1, -1, 2.5, -3.75, .nan, .infinity, -.infinity, 1e-30, 40, -40, 0.5, -0.5, 7, -7,
                                 100, -100, 1e-7, 3, 0.1, -0.1, 20, -20])
        let expected = try referenceOutput([("x", x)]) { t, v in t.record(.unary(unary), [v[0]]) }
        let arena = KernelArena()
        let (px, py) = (arena.store(x), arena.output(24))
        let step = rowStep(arena, [instr(PK_OP_LOAD, 0, 0), instr(op, 1, 0, imm: 0.125), instr(PK_OP_STORE, 0, 0, 1)],
                           registers: 2, inputs: [arena.view(px, [3, 8])], outputs: [arena.view(py, [3, 8])])
        expectKernel(arena.runAll([step]) { arena.read(py, [3, 8]) }, expected, relative: 1e-6, absolute: 1e-30, "\(unary)")
    }

    @Test("binary ops broadcast (column stride 0) and NaN rules", arguments: [
        (PK_OP_ADD, BinaryOp.add), (PK_OP_SUB, .sub), (PK_OP_MUL, .mul), (PK_OP_DIV, .div), (PK_OP_POW, .pow),
        (PK_OP_MAX, .maximum), (PK_OP_MIN, .minimum), (PK_OP_EQ, .equal), (PK_OP_NE, .notEqual), (PK_OP_LT, .less),
        (PK_OP_LE, .lessEqual), (PK_OP_GT, .greater), (PK_OP_GE, .greaterEqual),
    ])
    func binary(op: Int, binary: BinaryOp) throws {
        let a = floats([4, 5], [0, 1, -1, 2, .nan, 3, -2.5, 0.5, .infinity, 4, 1, 1, 2, 2, -0.0, 7, 0.25, -3, 9, 1e-3])
        let b = floats([4, 1], [2, .nan, -0.5, 1])
        let expected = try referenceOutput([("a", a), ("b", b)]) { t, v in t.record(.binary(binary), [v[0], v[1]]) }
        let arena = KernelArena()
        let (pa, pb, py) = (arena.store(a), arena.store(b), arena.output(20))
        let dtype: DType = binary.isComparison ? .bool : .float32
        let step = rowStep(arena, [instr(PK_OP_LOAD, 0, 0), instr(PK_OP_LOAD, 1, 1), instr(op, 0, 0, 1), instr(PK_OP_STORE, 0, 0, 0)],
                           registers: 2, inputs: [arena.view(pa, [4, 5]), arena.view(pb, [4, 5], strides: [1, 0])],
                           outputs: [arena.view(py, [4, 5], dtype)])
        expectKernel(arena.runAll([step]) { arena.read(py, [4, 5], dtype) }, expected, relative: 1e-6, absolute: 1e-6, "\(binary)")
    }

    @Test("logical not, and, or on bool inputs")
    func logical() throws {
        let a = bools([2, 3], [0, 1, 1, 0, 0, 1])
        let b = bools([2, 3], [1, 1, 0, 0, 1, 0])
        let arena = KernelArena()
        let (pa, pb) = (arena.store(a), arena.store(b))
        let outs = (0..<3).map { _ in arena.output(6) }
        let step = rowStep(arena, [instr(PK_OP_LOAD, 0, 0), instr(PK_OP_LOAD, 1, 1), instr(PK_OP_NOT, 2, 0), instr(PK_OP_STORE, 0, 0, 2),
                                   instr(PK_OP_AND, 2, 0, 1), instr(PK_OP_STORE, 0, 1, 2), instr(PK_OP_OR, 2, 0, 1),
                                   instr(PK_OP_STORE, 0, 2, 2)],
                           registers: 3, inputs: [arena.view(pa, [2, 3], .bool), arena.view(pb, [2, 3], .bool)],
                           outputs: outs.map { arena.view($0, [2, 3], .bool) })
        let results = arena.runAll([step]) { outs.map { arena.read($0, [2, 3], .bool) } }
        let expected = [
            try referenceOutput([("a", a)]) { t, v in t.record(.unary(.logicalNot), [v[0]]) },
            try referenceOutput([("a", a), ("b", b)]) { t, v in t.record(.binary(.logicalAnd), [v[0], v[1]]) },
            try referenceOutput([("a", a), ("b", b)]) { t, v in t.record(.binary(.logicalOr), [v[0], v[1]]) },
        ]
        for k in 0..<3 { expectKernel(results.map { $0[k] }, expected[k]) }
    }

    @Test("clamp keeps NaN; casts to bool count NaN as true; int32 casts saturate")
    func clampAndCasts() throws {
        let x = floats([8], [-5, 0.5, 5, .nan, 3e9, -3e9, -0.7, 2.9])
        let clamped = try referenceOutput([("x", x)]) { t, v in t.record(.clamp(min: -1, max: 2), [v[0]]) }
        let asBool = try referenceOutput([("x", x)]) { t, v in t.record(.cast(.bool), [v[0]]) }
        let asInt = try referenceOutput([("x", x)]) { t, v in t.record(.cast(.int32), [v[0]]) }
        let arena = KernelArena()
        let px = arena.store(x)
        let (p1, p2, p3) = (arena.output(8), arena.output(8), arena.output(8))
        let step = rowStep(arena, [instr(PK_OP_LOAD, 0, 0), instr(PK_OP_CLAMP, 1, 0, imm: -1, imm2: 2), instr(PK_OP_STORE, 0, 0, 1),
                                   instr(PK_OP_NONZERO, 1, 0), instr(PK_OP_STORE, 0, 1, 1), instr(PK_OP_TRUNC, 1, 0),
                                   instr(PK_OP_STORE, 0, 2, 1)],
                           registers: 2, inputs: [arena.view(px, [8])],
                           outputs: [arena.view(p1, [8]), arena.view(p2, [8], .bool), arena.view(p3, [8], .int32)])
        let results = arena.runAll([step]) { [arena.read(p1, [8]), arena.read(p2, [8], .bool), arena.read(p3, [8], .int32)] }
        expectKernel(results.map { $0[0] }, clamped)
        expectKernel(results.map { $0[1] }, asBool)
        expectKernel(results.map { $0[2] }, asInt)
    }
}
