import CKernels
import GraphRuntime
import TensorGraph
import Testing

/// Buffers and helpers for running hand-built `pk_step`s: one activations arena that holds
/// every tensor of a test, a scratch arena, and the reference interpreter as the oracle.
final class KernelArena {
    /// Bytes in the activations arena.
    let capacity: Int
    let activations: UnsafeMutableRawPointer
    let scratch: UnsafeMutableRawPointer
    private(set) var used = 0
    private var programs: [UnsafeMutablePointer<pk_instr>] = []
    /// Regions steps write (byte offset, element count), poisoned before each run.
    private var outputs: [(Int, Int)] = []

    init(capacity: Int = 32 << 20, scratchBytes: Int = 16 << 20) {
        self.capacity = capacity
        activations = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
    }

    deinit {
        activations.deallocate()
        scratch.deallocate()
        for p in programs { p.deallocate() }
    }

    /// A 64-byte aligned region of `count` elements; returns its byte offset.
    func alloc(_ count: Int) -> Int {
        let offset = used
        used += (max(count, 1) * 4 + 63) / 64 * 64
        precondition(used <= capacity, "kernel arena full")
        return offset
    }

    /// Stores a tensor's elements contiguously (float32 as Float, int32 / bool as Int32).
    func store(_ t: HostTensor) -> Int {
        let offset = alloc(t.count)
        write(t.scalars, dtype: t.dtype, at: offset)
        return offset
    }

    func write(_ values: [Double], dtype: DType, at offset: Int) {
        for (i, v) in values.enumerated() {
            if dtype == .float32 {
                activations.storeBytes(of: Float(v), toByteOffset: offset + 4 * i, as: Float.self)
            } else {
                activations.storeBytes(of: Int32(v), toByteOffset: offset + 4 * i, as: Int32.self)
            }
        }
    }

    /// An output region of `count` elements, poisoned with NaN before every run.
    func output(_ count: Int) -> Int {
        let offset = alloc(count)
        outputs.append((offset, count))
        return offset
    }

    /// A view of the activations arena at `offset` bytes plus `elementOffset` elements.
    func view(_ offset: Int, _ shape: [Int], _ dtype: DType = .float32, strides: [Int]? = nil,
              elementOffset: Int = 0) -> pk_view {
        var v = pk_view()
        let shape64 = shape.map(Int64.init)
        let code: Int32 = dtype == .float32 ? Int32(PK_F32) : dtype == .int32 ? Int32(PK_I32) : Int32(PK_BOOL)
        if let strides {
            let s64 = strides.map(Int64.init)
            pk_view_set(&v, Int32(PK_ARENA_ACTIVATIONS), code, Int64(offset + 4 * elementOffset), Int32(shape.count),
                        shape64, s64)
        } else {
            pk_view_set(&v, Int32(PK_ARENA_ACTIVATIONS), code, Int64(offset + 4 * elementOffset), Int32(shape.count),
                        shape64, nil)
        }
        return v
    }

    /// Reads a contiguous tensor back.
    func read(_ offset: Int, _ shape: [Int], _ dtype: DType = .float32) -> HostTensor {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { i -> Double in
            dtype == .float32
                ? Double(activations.load(fromByteOffset: offset + 4 * i, as: Float.self))
                : Double(activations.load(fromByteOffset: offset + 4 * i, as: Int32.self))
        }
        return HostTensor(shape: shape, dtype: dtype, scalars: values)
    }

    /// Copies a row program into memory the arena owns.
    func program(_ instrs: [pk_instr]) -> UnsafePointer<pk_instr> {
        let p = UnsafeMutablePointer<pk_instr>.allocate(capacity: max(instrs.count, 1))
        p.initialize(from: instrs, count: instrs.count)
        programs.append(p)
        return UnsafePointer(p)
    }

    private func poison() {
        for (offset, count) in outputs {
            for i in 0..<count { activations.storeBytes(of: UInt32(0x7fc0_0001), toByteOffset: offset + 4 * i, as: UInt32.self) }
        }
    }

    /// Runs the steps with `threads` threads (0: step by step with pk_execute_step_serial).
    func run(_ steps: [pk_step], threads: Int) {
        poison()
        pk_clear_error()
        let bases: [UnsafeMutableRawPointer?] = [activations, nil, nil, scratch]
        bases.withUnsafeBufferPointer { b in
            steps.withUnsafeBufferPointer { s in
                if threads == 0 {
                    for i in 0..<s.count { pk_execute_step_serial(s.baseAddress! + i, b.baseAddress!) }
                } else {
                    pk_execute(s.baseAddress!, Int64(s.count), b.baseAddress!, Int32(threads))
                }
            }
        }
    }

    /// Runs serially, with 1 thread and with 2 threads, and returns `read()` after each.
    func runAll<T>(_ steps: [pk_step], _ read: () -> T) -> [T] {
        [0, 1, 2].map { threads in
            run(steps, threads: threads)
            return read()
        }
    }
}

/// Instruction shorthand.
func instr(_ op: Int, _ dst: Int = 0, _ a: Int = 0, _ b: Int = 0, _ c: Int = 0, imm: Float = 0, imm2: Float = 0) -> pk_instr {
    pk_instr_make(Int32(op), Int32(dst), Int32(a), Int32(b), Int32(c), imm, imm2)
}

/// A step of `kind` with the given inputs, outputs and integer / float attributes.
func makeStep(_ kind: Int, inputs: [pk_view], outputs: [pk_view], iattr: [Int] = [], fattr: [Float] = [],
              barrier: Bool = true) -> pk_step {
    var s = pk_step()
    pk_step_init(&s, Int32(kind))
    for (i, v) in inputs.enumerated() {
        var v = v
        pk_step_set_input(&s, Int32(i), &v)
    }
    for (i, v) in outputs.enumerated() {
        var v = v
        pk_step_set_output(&s, Int32(i), &v)
    }
    for (i, a) in iattr.enumerated() { pk_step_set_iattr(&s, Int32(i), Int64(a)) }
    for (i, a) in fattr.enumerated() { pk_step_set_fattr(&s, Int32(i), a) }
    s.barrier_after = barrier ? 1 : 0
    return s
}

/// The reference interpreter's `y` for a graph over named inputs.
func referenceOutput(_ inputs: [(String, HostTensor)], _ body: (Tracer, [Tensor]) -> Tensor) throws -> HostTensor {
    let graph = try Tracer.trace { t in
        ["y": body(t, inputs.map { t.input($0.0, $0.1.shape, $0.1.dtype) })]
    }
    return try #require(try ReferenceInterpreter(precision: .float32).run(graph, feeds: Dictionary(uniqueKeysWithValues: inputs))["y"])
}

/// Expects serial, 1-thread and 2-thread results to be identical and close to the reference.
func expectKernel(_ results: [HostTensor], _ expected: HostTensor, relative: Double = 1e-5, absolute: Double = 1e-5,
                  identical: Bool = true, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    for r in results { expectClose(r, expected, relative: relative, absolute: absolute, comment, sourceLocation: sourceLocation) }
    if identical {
        for r in results.dropFirst() {
            let same = zip(r.scalars, results[0].scalars).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
            #expect(same, "\(comment.map { "\($0): " } ?? "")results differ between thread counts", sourceLocation: sourceLocation)
        }
    }
}

/// Test values as integers in -3...3 (exact in float32).
func smallInts(_ shape: [Int], seed: UInt64, range: Int = 7) -> HostTensor {
    let u = RNGKey(seed: seed).uniform(count: shape.reduce(1, *))
    return floats(shape, u.map { Double(Int($0 * Double(range)) - range / 2) })
}

@Suite("Kernel harness and executor errors")
struct KernelHarnessTests {
    @Test("OpenBLAS loads with an AVX-512 core on AVX-512 machines")
    func blasLoads() {
        #expect(pk_blas_init() == 0, "\(String(cString: pk_blas_error()))")
        let core = String(cString: pk_blas_corename())
        #expect(!core.isEmpty && core != "unavailable")
        print("OpenBLAS core: \(core)")
    }

    @Test("an out-of-range gather index sets the error flag with the step index and writes zeros")
    func outOfRangeIndex() {
        let arena = KernelArena()
        let x = arena.store(testValues([4, 3], seed: 1))
        let idx = arena.store(ints([2], [1, 7]))
        let y = arena.output(6)
        let fill = makeStep(PK_STEP_FILL, inputs: [], outputs: [arena.view(arena.output(1), [1])], fattr: [1])
        let gather = makeStep(PK_STEP_GATHER, inputs: [arena.view(x, [4, 3]), arena.view(idx, [2], .int32)],
                              outputs: [arena.view(y, [2, 3])], iattr: [0])
        for threads in [1, 2] {
            arena.run([fill, gather], threads: threads)
            #expect(pk_last_error() == Int32(PK_ERR_INDEX_OUT_OF_RANGE))
            #expect(pk_last_error_step() == 1)
            let got = arena.read(y, [2, 3])
            #expect(Array(got.scalars.suffix(3)) == [0, 0, 0])
        }
        #expect(throws: KernelLibraryError.indexOutOfRange(step: 1)) { try KernelLibrary.checkLastRun() }
        pk_clear_error()
        #expect(pk_last_error() == Int32(PK_ERR_NONE))
        #expect(throws: Never.self) { try KernelLibrary.checkLastRun() }
    }

    @Test("a row program without a program is rejected")
    func missingProgram() {
        let arena = KernelArena()
        let step = makeStep(PK_STEP_ROWPROG, inputs: [], outputs: [arena.view(arena.output(4), [4])])
        arena.run([step], threads: 2)
        #expect(throws: KernelLibraryError.badStep(step: 0)) { try KernelLibrary.checkLastRun() }
    }

    @Test("an unknown step kind is reported, not run")
    func badKind() {
        let arena = KernelArena()
        var step = makeStep(0, inputs: [], outputs: [arena.view(arena.output(1), [1])])
        step.kind = 999
        arena.run([step], threads: 2)
        #expect(pk_last_error() == Int32(PK_ERR_BAD_STEP))
        pk_clear_error()
    }
}
