import CKernels
import Foundation
import TensorGraph

/// Errors of running a compiled plan.
public enum PlanRunError: Error, Equatable, CustomStringConvertible {
    case unknownFeed(name: String, known: [String])
    case feedTypeMismatch(name: String, expected: TensorType, got: TensorType)
    case missingFeed(name: String)
    case kernel(code: Int32, step: Int, label: String)
    case blas(String)
    /// Arena debug mode: a step wrote outside its buffer (over the canary words around it).
    case arenaCanary(step: Int, kind: String, label: String, buffer: String, detail: String)
    /// Arena debug mode: a step read memory that was poisoned (freed, or never written).
    case arenaPoisonRead(step: Int, kind: String, label: String, buffer: String, element: Int)

    public var description: String {
        switch self {
        case .unknownFeed(let name, let known):
            return "the plan has no feed called \(name); it takes: \(known.joined(separator: ", "))"
        case .feedTypeMismatch(let name, let expected, let got):
            return "feed \(name) must be \(expected), got \(got)"
        case .missingFeed(let name):
            return "feed \(name) was never set; set every parameter and input before running"
        case .kernel(let code, let step, let label):
            let what = code == Int32(PK_ERR_INDEX_OUT_OF_RANGE) ? "an index input is out of range"
                : code == Int32(PK_ERR_BAD_STEP) ? "a step the kernels cannot run (a compiler bug)"
                : "kernel error \(code)"
            return "step \(step) (\(label)): \(what)"
        case .blas(let message):
            return message
        case .arenaCanary(let step, let kind, let label, let buffer, let detail):
            return "arena debug: step \(step) (\(kind) at \(label)) wrote \(detail) buffer \(buffer) "
                + "(a kernel or planner bug: report it with the plan dump)"
        case .arenaPoisonRead(let step, let kind, let label, let buffer, let element):
            return "arena debug: step \(step) (\(kind) at \(label)) read freed or unwritten memory in buffer "
                + "\(buffer) (element \(element) of its view; a lifetime or planner bug: report it with the plan dump)"
        }
    }
}

/// Runs a plan with the C executor: owns the arenas, the C step array and the row programs.
///
/// Feeds are written into the persistent arena with `setFeed` (parameters once, inputs before
/// each run); `run()` executes every step inside one OpenMP parallel region; `output` reads a
/// result. Nothing is allocated per run.
public final class PlanExecutor {
    public let plan: Plan
    public let threads: Int
    /// Whether `run()` checks the arena as it goes (see `init(plan:threads:debugArena:)`).
    public var debugArena: Bool { debugLayout != nil }
    let debugLayout: ArenaDebugLayout?
    var arenas: [UnsafeMutableRawPointer?]
    let steps: UnsafeMutablePointer<pk_step>
    private var programs: [UnsafeMutablePointer<pk_instr>] = []
    /// Feeds not set yet; `run()` only checks that this is empty (no per-run name lookups).
    private var unfed: Set<String> = []
    private let feedIndex: [String: PlanBinding]
    private let outputIndex: [String: PlanBinding]

    /// Prepares `plan` for `threads` threads (default: OpenMP's default, one per core).
    ///
    /// `debugArena` runs the plan in the arena debug mode: every activation buffer gets its own
    /// memory between canary words, the arena starts poisoned with a NaN pattern, each buffer
    /// is poisoned again once its last reader has run, and `run()` executes step by step,
    /// checking before each step that it reads no poison and after it that the canaries around
    /// what it wrote are intact (`PlanRunError.arenaPoisonRead` / `.arenaCanary` name the step,
    /// kernel and buffer). Results are bit-equal to the normal mode; it is slower and uses one
    /// arena slot per buffer, so it is for tests and bug hunts.
    public convenience init(plan: Plan, threads: Int? = nil, debugArena: Bool = false) throws {
        try self.init(plan: plan, threads: threads, debugArena: debugArena, verify: true)
    }

    /// `verify: false` skips `verifyPlan`: only for tests that hand the debug mode a plan the
    /// static checks would reject, to see that the run-time checks catch it too.
    init(plan: Plan, threads: Int?, debugArena: Bool, verify: Bool) throws {
        if verify { try verifyPlan(plan) }
        if pk_blas_init() != 0 { throw PlanRunError.blas(String(cString: pk_blas_error())) }
        var plan = plan
        if debugArena {
            let layout = ArenaDebugLayout(plan)
            plan = layout.plan
            debugLayout = layout
        } else {
            debugLayout = nil
        }
        self.plan = plan
        self.threads = max(1, threads ?? Int(pk_max_threads()))
        feedIndex = Dictionary(plan.feeds.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        outputIndex = Dictionary(plan.outputs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        unfed = Set(plan.feeds.map(\.name))
        steps = .allocate(capacity: max(plan.steps.count, 1))
        arenas = [nil, nil, nil, nil]
        var scratch = 0
        for (i, step) in plan.steps.enumerated() {
            steps.advanced(by: i).initialize(to: makeStep(step))
            scratch = max(scratch, Int(pk_step_scratch_bytes(steps.advanced(by: i))))
        }
        // One scratch stride for every step (see pk_plan.h: concurrent steps must not overlap).
        for i in 0..<plan.steps.count { steps[i].scratch_per_thread = Int64(scratch) }
        arenas[Int(PK_ARENA_ACTIVATIONS)] = Self.allocate(plan.activationBytes)
        arenas[Int(PK_ARENA_PERSISTENT)] = Self.allocate(plan.persistentBytes)
        arenas[Int(PK_ARENA_CONSTANTS)] = Self.allocate(plan.constantBytes)
        arenas[Int(PK_ARENA_SCRATCH)] = Self.allocate(scratch * self.threads)
        for constant in plan.constants {
            let b = plan.buffers[constant.buffer]
            write(constant.values, to: b, broadcast: constant.values.count == 1)
        }
        debugLayout?.prepare(arenas[Int(PK_ARENA_ACTIVATIONS)]!)
    }

    deinit {
        steps.deallocate()
        for p in programs { p.deallocate() }
        for a in arenas { free(a) }
    }

    private static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 64, max(bytes, 64)) == 0, let p else { fatalError("out of memory (\(bytes) bytes)") }
        memset(p, 0, max(bytes, 64))
        return p
    }

    func cView(_ v: PlanView) -> pk_view {
        let b = plan.buffers[v.buffer]
        var view = pk_view()
        let dtype: Int32 = b.type.dtype == .float32 ? Int32(PK_F32) : b.type.dtype == .int32 ? Int32(PK_I32) : Int32(PK_BOOL)
        let shape = v.shape.map(Int64.init), strides = v.strides.map(Int64.init)
        pk_view_set(&view, b.arena.rawValue, dtype, Int64(b.offset + 4 * v.elementOffset), Int32(v.shape.count),
                    shape, strides)
        return view
    }

    private func makeStep(_ s: PlanStep) -> pk_step {
        var step = pk_step()
        pk_step_init(&step, s.kind.rawValue)
        step.barrier_after = s.barrierAfter ? 1 : 0
        step.n_inputs = Int32(s.inputs.count)
        step.n_outputs = Int32(s.outputs.count)
        for (i, v) in s.inputs.enumerated() {
            var view = cView(v)
            pk_step_set_input(&step, Int32(i), &view)
        }
        for (i, v) in s.outputs.enumerated() {
            var view = cView(v)
            pk_step_set_output(&step, Int32(i), &view)
        }
        for (i, a) in s.iattr.enumerated() { pk_step_set_iattr(&step, Int32(i), Int64(a)) }
        for (i, f) in s.fattr.enumerated() { pk_step_set_fattr(&step, Int32(i), f) }
        if !s.program.isEmpty {
            let code = UnsafeMutablePointer<pk_instr>.allocate(capacity: s.program.count)
            for (i, ins) in s.program.enumerated() {
                code[i] = pk_instr_make(Int32(ins.op.rawValue), Int32(ins.dst), Int32(ins.a), Int32(ins.b),
                                        Int32(ins.c), ins.imm, ins.imm2)
            }
            programs.append(code)
            step.program = UnsafePointer(code)
            step.n_instr = Int32(s.program.count)
            step.n_registers = Int32(s.registers)
        }
        return step
    }

    private func write(_ values: [Double], to b: PlanBuffer, broadcast: Bool) {
        let base = arenas[Int(b.arena.rawValue)]!.advanced(by: b.offset)
        let n = b.type.count
        switch b.type.dtype {
        case .float32:
            let p = base.assumingMemoryBound(to: Float.self)
            for i in 0..<n { p[i] = Float(values[broadcast ? 0 : i]) }
        case .int32, .bool:
            let p = base.assumingMemoryBound(to: Int32.self)
            for i in 0..<n { p[i] = Int32(truncatingIfNeeded: Int(values[broadcast ? 0 : i])) }
        }
    }

    /// Writes a parameter, input or RNG key by name.
    public func setFeed(_ name: String, _ value: HostTensor) throws {
        guard let binding = feedIndex[name] else {
            throw PlanRunError.unknownFeed(name: name, known: plan.feeds.map(\.name))
        }
        guard value.type == binding.type else {
            throw PlanRunError.feedTypeMismatch(name: name, expected: binding.type, got: value.type)
        }
        write(value.scalars, to: plan.buffers[binding.buffer], broadcast: false)
        unfed.remove(name)
    }

    /// Float32 storage of a feed or output, for callers that move data without `HostTensor`.
    public func withFloatBuffer<R>(_ name: String, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) throws -> R {
        guard let binding = feedIndex[name] ?? outputIndex[name], binding.type.dtype == .float32 else {
            throw PlanRunError.unknownFeed(name: name, known: plan.feeds.map(\.name) + plan.outputs.map(\.name))
        }
        let b = plan.buffers[binding.buffer]
        let p = arenas[Int(b.arena.rawValue)]!.advanced(by: b.offset).assumingMemoryBound(to: Float.self)
        if feedIndex[name] != nil { unfed.remove(name) }
        return try body(UnsafeMutableBufferPointer(start: p, count: b.type.count))
    }

    /// Runs every step once.
    public func run() throws {
        if !unfed.isEmpty, let missing = plan.feeds.first(where: { unfed.contains($0.name) }) {
            throw PlanRunError.missingFeed(name: missing.name)
        }
        pk_clear_error()
        if let debugLayout { return try runChecked(debugLayout) }
        arenas.withUnsafeBufferPointer { bases in
            let raw = UnsafeRawPointer(bases.baseAddress!).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
            pk_execute(steps, Int64(plan.steps.count), raw, Int32(threads))
        }
        let code = pk_last_error()
        if code != Int32(PK_ERR_NONE) {
            let s = Int(pk_last_error_step())
            throw PlanRunError.kernel(code: code, step: s, label: s >= 0 && s < plan.steps.count ? plan.steps[s].label : "?")
        }
    }

    /// Copies output `output` into feed `feed` (same type): how training state moves from one
    /// run to the next. Plain memory copy, no allocation.
    public func copyOutput(_ output: String, toFeed feed: String) throws {
        guard let o = outputIndex[output] else {
            throw PlanRunError.unknownFeed(name: output, known: plan.outputs.map(\.name))
        }
        guard let f = feedIndex[feed] else { throw PlanRunError.unknownFeed(name: feed, known: plan.feeds.map(\.name)) }
        guard o.type == f.type else { throw PlanRunError.feedTypeMismatch(name: feed, expected: f.type, got: o.type) }
        let (ob, fb) = (plan.buffers[o.buffer], plan.buffers[f.buffer])
        let src = arenas[Int(ob.arena.rawValue)]!.advanced(by: ob.offset)
        let dst = arenas[Int(fb.arena.rawValue)]!.advanced(by: fb.offset)
        memcpy(dst, src, 4 * o.type.count)
        unfed.remove(feed)
    }

    /// Feeds of the plan with their roles and types.
    public var feedBindings: [PlanBinding] { plan.feeds }

    /// Runs every step on its own (one parallel region each) and returns each step's seconds:
    /// slower than `run()` by the region start-ups, but it says where the time goes.
    public func profile() throws -> [Double] {
        var seconds: [Double] = []
        seconds.reserveCapacity(plan.steps.count)
        pk_clear_error()
        arenas.withUnsafeBufferPointer { bases in
            let raw = UnsafeRawPointer(bases.baseAddress!).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
            for i in 0..<plan.steps.count {
                var start = timespec(), end = timespec()
                clock_gettime(CLOCK_MONOTONIC, &start)
                pk_execute(steps.advanced(by: i), 1, raw, Int32(threads))
                clock_gettime(CLOCK_MONOTONIC, &end)
                seconds.append(Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9)
            }
        }
        if pk_last_error() != Int32(PK_ERR_NONE) { throw PlanRunError.kernel(code: pk_last_error(), step: -1, label: "profile") }
        return seconds
    }

    /// The value of output `name` after `run()`.
    public func output(_ name: String) -> HostTensor? {
        guard let binding = outputIndex[name] else { return nil }
        let b = plan.buffers[binding.buffer]
        let base = arenas[Int(b.arena.rawValue)]!.advanced(by: b.offset)
        let n = binding.type.count
        var scalars = [Double](repeating: 0, count: n)
        switch binding.type.dtype {
        case .float32:
            let p = base.assumingMemoryBound(to: Float.self)
            for i in 0..<n { scalars[i] = Double(p[i]) }
        case .int32, .bool:
            let p = base.assumingMemoryBound(to: Int32.self)
            for i in 0..<n { scalars[i] = Double(p[i]) }
        }
        return HostTensor(shape: binding.type.shape, dtype: binding.type.dtype, scalars: scalars)
    }

    /// Sets `feeds`, runs, and returns every output.
    public func run(feeds: [String: HostTensor]) throws -> [String: HostTensor] {
        for (name, value) in feeds where feedIndex[name] != nil { try setFeed(name, value) }
        try run()
        var out: [String: HostTensor] = [:]
        for binding in plan.outputs { out[binding.name] = output(binding.name) }
        return out
    }
}
