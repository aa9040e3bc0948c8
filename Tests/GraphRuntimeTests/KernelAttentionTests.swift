import CKernels
import Foundation
import GraphRuntime
import TensorGraph
import Testing

/// One attention problem: logical (contiguous, row-major) values in double. `bias` and `mask` are
/// stored in their compact (broadcast) shapes; `biasShape` / `maskShape` have extent 1 on the
/// broadcast axes of [B, H, I, J].
struct AttentionProblem {
    var B: Int, H: Int, I: Int, J: Int, D: Int, E: Int
    var scale: Float
    var q: [Double], k: [Double], v: [Double], dO: [Double]
    var bias: [Double]? = nil
    var biasShape: [Int] = []
    var mask: [Bool]? = nil
    var maskShape: [Int] = []

    init(B: Int, H: Int, I: Int, J: Int, D: Int, E: Int, scale: Float, seed: UInt64, amplitude: Double = 1) {
        (self.B, self.H, self.I, self.J, self.D, self.E, self.scale) = (B, H, I, J, D, E, scale)
        q = testValues([B * H * I * D], seed: seed).scalars.map { $0 * amplitude }
        k = testValues([B * H * J * D], seed: seed + 1).scalars.map { $0 * amplitude }
        v = testValues([B * H * J * E], seed: seed + 2).scalars
        dO = testValues([B * H * I * E], seed: seed + 3).scalars
    }

    /// Flat index into a compact broadcast shape of the full [B, H, I, J] position.
    static func compactIndex(_ shape: [Int], _ b: Int, _ h: Int, _ i: Int, _ j: Int) -> Int {
        let idx = [b, h, i, j]
        var flat = 0
        for d in 0..<4 { flat = flat * shape[d] + (shape[d] == 1 ? 0 : idx[d]) }
        return flat
    }
}

/// Results in logical order; `dbias` over the full [B, H, I, J].
struct AttentionResult {
    var o: [Double], dq: [Double], dk: [Double], dv: [Double], dbias: [Double]
}

/// The double-precision reference: S = scale q kᵀ + bias, -FLT_MAX where masked, softmax, P v;
/// backward by the chain rule, with no gradient through masked positions (masked_fill).
func attentionReference(_ p: AttentionProblem) -> AttentionResult {
    let (B, H, I, J, D, E) = (p.B, p.H, p.I, p.J, p.D, p.E)
    let scale = Double(p.scale)
    let negMax = -Double(Float.greatestFiniteMagnitude)
    func buffer(_ values: [Double]) -> UnsafeMutablePointer<Double> {
        let b = UnsafeMutablePointer<Double>.allocate(capacity: max(values.count, 1))
        b.initialize(from: values, count: values.count)
        return b
    }
    func zeros(_ n: Int) -> UnsafeMutablePointer<Double> {
        let b = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        b.initialize(repeating: 0, count: max(n, 1))
        return b
    }
    let q = buffer(p.q), k = buffer(p.k), v = buffer(p.v), dO = buffer(p.dO)
    let o = zeros(B * H * I * E), dq = zeros(B * H * I * D), dk = zeros(B * H * J * D), dv = zeros(B * H * J * E)
    let dbias = zeros(B * H * I * J)
    let P = zeros(I * J), dS = zeros(I * J)
    let masked = UnsafeMutablePointer<Bool>.allocate(capacity: max(I * J, 1))
    defer {
        for b in [q, k, v, dO, o, dq, dk, dv, dbias, P, dS] { b.deallocate() }
        masked.deallocate()
    }
    for b in 0..<B {
        for h in 0..<H {
            let qb = q + (b * H + h) * I * D, kb = k + (b * H + h) * J * D, vb = v + (b * H + h) * J * E
            let dOb = dO + (b * H + h) * I * E, ob = o + (b * H + h) * I * E
            let dqb = dq + (b * H + h) * I * D, dkb = dk + (b * H + h) * J * D, dvb = dv + (b * H + h) * J * E
            for i in 0..<I {
                let row = P + i * J
                var mx = -Double.infinity
                var j = 0
                while j < J {
                    var s = 0.0
                    var d = 0
                    let qi = qb + i * D, kj = kb + j * D
                    while d < D { s += qi[d] * kj[d]; d += 1 }
                    s *= scale
                    if let bias = p.bias { s += bias[AttentionProblem.compactIndex(p.biasShape, b, h, i, j)] }
                    var m = false
                    if let mask = p.mask { m = !mask[AttentionProblem.compactIndex(p.maskShape, b, h, i, j)] }
                    masked[i * J + j] = m
                    if m { s = negMax }
                    row[j] = s
                    mx = max(mx, s)
                    j += 1
                }
                var sum = 0.0
                j = 0
                while j < J { row[j] = exp(row[j] - mx); sum += row[j]; j += 1 }
                j = 0
                while j < J { row[j] /= sum; j += 1 }
                // o = P v ; dP = dO vᵀ
                let oi = ob + i * E, dOi = dOb + i * E
                j = 0
                while j < J {
                    let pj = row[j], vj = vb + j * E
                    var e = 0
                    var dp = 0.0
                    while e < E { oi[e] += pj * vj[e]; dp += dOi[e] * vj[e]; e += 1 }
                    dS[i * J + j] = dp
                    j += 1
                }
                var di = 0.0
                j = 0
                while j < J { di += row[j] * dS[i * J + j]; j += 1 }
                j = 0
                while j < J {
                    dS[i * J + j] = masked[i * J + j] ? 0 : row[j] * (dS[i * J + j] - di)
                    j += 1
                }
            }
            for i in 0..<I {
                let qi = qb + i * D, dqi = dqb + i * D, dOi = dOb + i * E
                var j = 0
                while j < J {
                    let g = dS[i * J + j], pj = P[i * J + j]
                    dbias[((b * H + h) * I + i) * J + j] = g
                    let kj = kb + j * D, dkj = dkb + j * D, dvj = dvb + j * E
                    var d = 0
                    while d < D { dqi[d] += scale * g * kj[d]; dkj[d] += scale * g * qi[d]; d += 1 }
                    var e = 0
                    while e < E { dvj[e] += pj * dOi[e]; e += 1 }
                    j += 1
                }
            }
        }
    }
    func array(_ b: UnsafeMutablePointer<Double>, _ n: Int) -> [Double] { Array(UnsafeBufferPointer(start: b, count: n)) }
    return AttentionResult(o: array(o, B * H * I * E), dq: array(dq, B * H * I * D), dk: array(dk, B * H * J * D),
                           dv: array(dv, B * H * J * E), dbias: array(dbias, B * H * I * J))
}

/// How a [B, H, rows, cols] operand lies in memory.
enum AttentionLayout {
    case contiguous
    /// A [B, rows, H, cols] buffer viewed as [B, H, rows, cols] (phenaki's `b n (h d)` split).
    case permuted
    /// A [B, H, cols, rows] buffer: non-unit column stride (packed by the kernel).
    case transposed

    func strides(_ s: [Int]) -> [Int] {
        let (H, R, C) = (s[1], s[2], s[3])
        switch self {
        case .contiguous: return [H * R * C, R * C, C, 1]
        case .permuted: return [R * H * C, C, H * C, 1]
        case .transposed: return [H * C * R, C * R, 1, R]
        }
    }
}

/// Physical offset of logical element `flat` of `shape` through `strides`.
private func physical(_ flat: Int, _ shape: [Int], _ strides: [Int]) -> Int {
    var f = flat, off = 0
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        off += (f % shape[d]) * strides[d]
        f /= shape[d]
    }
    return off
}

extension KernelArena {
    /// Stores logical values in `layout`; returns the view.
    func store(_ values: [Double], _ shape: [Int], _ layout: AttentionLayout) -> pk_view {
        let strides = layout.strides(shape)
        var physicalValues = [Double](repeating: 0, count: values.count)
        for (i, x) in values.enumerated() { physicalValues[physical(i, shape, strides)] = x }
        let offset = alloc(values.count)
        write(physicalValues, dtype: .float32, at: offset)
        return view(offset, shape, strides: strides)
    }

    /// An output region in `layout` (poisoned before runs); returns the view.
    func output(_ shape: [Int], _ layout: AttentionLayout) -> pk_view {
        view(output(shape.reduce(1, *)), shape, strides: layout.strides(shape))
    }

    /// Reads a view back in logical order.
    func read(_ v: pk_view) -> [Double] {
        let shape = withUnsafeBytes(of: v.shape) { Array($0.bindMemory(to: Int64.self).prefix(Int(v.rank))).map(Int.init) }
        let strides = withUnsafeBytes(of: v.strides) { Array($0.bindMemory(to: Int64.self).prefix(Int(v.rank))).map(Int.init) }
        let count = shape.reduce(1, *)
        return (0..<count).map { i in
            Double(activations.load(fromByteOffset: Int(v.ref.offset) + 4 * physical(i, shape, strides), as: Float.self))
        }
    }
}

/// The broadcast view of a compact [B?, H?, I?, J?] tensor over [B, H, I, J] (stride 0 on extent-1 axes).
private func broadcastStrides(_ compact: [Int], _ full: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: 4)
    var s = 1
    for d in stride(from: 3, through: 0, by: -1) {
        strides[d] = compact[d] == 1 && full[d] != 1 ? 0 : s
        s *= compact[d]
    }
    return strides
}

/// Sums a full [B, H, I, J] tensor over the axes where `compact` has extent 1.
private func sumToCompact(_ full: [Double], _ compact: [Int], _ B: Int, _ H: Int, _ I: Int, _ J: Int) -> [Double] {
    var out = [Double](repeating: 0, count: compact.reduce(1, *))
    var n = 0
    for b in 0..<B { for h in 0..<H { for i in 0..<I { for j in 0..<J {
        out[AttentionProblem.compactIndex(compact, b, h, i, j)] += full[n]
        n += 1
    } } } }
    return out
}

/// Records the worst element of `got` vs `want` beyond |Δ| ≤ absolute + relative·|want|.
private func expectNear(_ got: [Double], _ want: [Double], relative: Double, absolute: Double, _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == want.count, "\(what): \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
    var worst = 0.0, at = -1
    for i in 0..<min(got.count, want.count) {
        let score = got[i].isNaN || want[i].isNaN ? (got[i].isNaN == want[i].isNaN ? 0 : .infinity)
            : Swift.abs(got[i] - want[i]) / (absolute + relative * Swift.abs(want[i]))
        if score > worst || score.isNaN { worst = score.isNaN ? .infinity : score; at = i }
    }
    #expect(worst <= 1, "\(what): element \(at) is \(at >= 0 ? got[at] : 0), expected \(at >= 0 ? want[at] : 0) (\(worst)x tolerance)",
            sourceLocation: sourceLocation)
}

/// Where a case's operands and gradients live.
struct AttentionSetup {
    var layout: AttentionLayout = .contiguous
    /// Compact shape of the stored dbias (nil: no dbias output even with a bias).
    var dbiasShape: [Int]? = nil
}

/// Runs forward + backward steps with 1 and 2 threads; checks both against the reference and each other.
private func checkAttention(_ p: AttentionProblem, _ setup: AttentionSetup, relative: Double = 1e-4, absolute: Double = 1e-5,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    let (B, H, I, J, D, E) = (p.B, p.H, p.I, p.J, p.D, p.E)
    let full = [B, H, I, J]
    let arena = KernelArena(capacity: 96 << 20, scratchBytes: 16 << 20)
    let q = arena.store(p.q, [B, H, I, D], setup.layout)
    let k = arena.store(p.k, [B, H, J, D], setup.layout)
    let v = arena.store(p.v, [B, H, J, E], setup.layout)
    let dO = arena.store(p.dO, [B, H, I, E], setup.layout)
    var extra: [pk_view] = []
    if let bias = p.bias {
        let off = arena.alloc(bias.count)
        arena.write(bias, dtype: .float32, at: off)
        extra.append(arena.view(off, full, strides: broadcastStrides(p.biasShape, full)))
    }
    if let mask = p.mask {
        let off = arena.alloc(mask.count)
        arena.write(mask.map { $0 ? 1 : 0 }, dtype: .int32, at: off)
        extra.append(arena.view(off, full, .bool, strides: broadcastStrides(p.maskShape, full)))
    }
    let o = arena.output([B, H, I, E], setup.layout)
    let dq = arena.output([B, H, I, D], setup.layout)
    let dk = arena.output([B, H, J, D], setup.layout)
    let dv = arena.output([B, H, J, E], setup.layout)
    var grads = [dq, dk, dv]
    var dbiasOffset = 0
    if let shape = setup.dbiasShape {
        dbiasOffset = arena.output(shape.reduce(1, *))
        grads.append(arena.view(dbiasOffset, full, strides: broadcastStrides(shape, full)))
    }
    let flags = [p.bias != nil ? 1 : 0, p.mask != nil ? 1 : 0]
    let forward = makeStep(PK_STEP_ATTENTION, inputs: [q, k, v] + extra, outputs: [o], iattr: flags, fattr: [p.scale])
    let backward = makeStep(PK_STEP_ATTENTION_BACKWARD, inputs: [q, k, v] + extra + [o, dO], outputs: grads,
                            iattr: flags + [setup.dbiasShape != nil ? 1 : 0], fattr: [p.scale])

    let ref = attentionReference(p)
    var runs: [[[Double]]] = []
    for threads in [1, 2] {
        arena.run([forward, backward], threads: threads)
        #expect(pk_last_error() == Int32(PK_ERR_NONE), "kernel error \(pk_last_error())", sourceLocation: sourceLocation)
        pk_clear_error()
        var got = [arena.read(o), arena.read(dq), arena.read(dk), arena.read(dv)]
        if let shape = setup.dbiasShape { got.append(arena.read(dbiasOffset, shape).scalars) }
        let names = ["o", "dq", "dk", "dv", "dbias"]
        var want = [ref.o, ref.dq, ref.dk, ref.dv]
        if let shape = setup.dbiasShape { want.append(sumToCompact(ref.dbias, shape, B, H, I, J)) }
        for (n, (g, w)) in zip(got, want).enumerated() {
            expectNear(g, w, relative: relative, absolute: absolute, "\(names[n]) with \(threads) thread(s)",
                       sourceLocation: sourceLocation)
        }
        runs.append(got)
    }
    for (n, (a, b)) in zip(runs[0], runs[1]).enumerated() {
        expectNear(b, a, relative: 1e-5, absolute: 1e-5, "output \(n): 2 threads vs 1", sourceLocation: sourceLocation)
    }
}

@Suite("Fused attention steps against a double-precision reference")
struct KernelAttentionTests {
    @Test("step kinds extend the enum after IOTA")
    func kinds() {
        #expect(PK_STEP_IOTA == 19)
        #expect(PK_STEP_ATTENTION == 20)
        #expect(PK_STEP_ATTENTION_BACKWARD == 21)
        #expect(PK_STEP_KIND_COUNT == 22)
    }

    @Test("I = J = 577, D = E = 64, B = 2, H = 3: no bias or mask")
    func plain() {
        let p = AttentionProblem(B: 2, H: 3, I: 577, J: 577, D: 64, E: 64, scale: 0.125, seed: 100)
        checkAttention(p, AttentionSetup())
    }

    @Test("bias [1, H, I, J] broadcast over B, dbias with stride 0 on B (summed over the batch)")
    func biasOverBatch() {
        var p = AttentionProblem(B: 2, H: 3, I: 577, J: 577, D: 64, E: 64, scale: 0.5, seed: 200)
        p.biasShape = [1, 3, 577, 577]
        p.bias = testValues([3 * 577 * 577], seed: 210).scalars.map { 2 * $0 }
        checkAttention(p, AttentionSetup(dbiasShape: [1, 3, 577, 577]))
    }

    @Test("key padding mask [B, 1, 1, J] (many keys masked; one batch entry fully masked), permuted views")
    func keyPadding() {
        var p = AttentionProblem(B: 2, H: 3, I: 577, J: 577, D: 64, E: 64, scale: 0.25, seed: 300)
        p.maskShape = [2, 1, 1, 577]
        p.mask = (0..<(2 * 577)).map { n in n < 577 ? (n < 150 || n % 7 == 3) : false }
        checkAttention(p, AttentionSetup(layout: .permuted))
    }

    @Test("causal mask [1, 1, I, J] with bias [1, 1, I, J]; dbias summed over B and H; permuted views")
    func causalWithBias() {
        var p = AttentionProblem(B: 2, H: 3, I: 577, J: 577, D: 64, E: 64, scale: 0.125, seed: 400, amplitude: 2)
        p.maskShape = [1, 1, 577, 577]
        p.mask = (0..<(577 * 577)).map { n in n % 577 <= n / 577 }
        p.biasShape = [1, 1, 577, 577]
        p.bias = testValues([577 * 577], seed: 410).scalars
        checkAttention(p, AttentionSetup(layout: .permuted, dbiasShape: [1, 1, 577, 577]))
    }

    @Test("small: I = 3, J = 5, D = E = 4, full bias and mask with a fully masked row, full dbias")
    func small() {
        var p = AttentionProblem(B: 2, H: 2, I: 3, J: 5, D: 4, E: 4, scale: 0.7, seed: 500)
        p.biasShape = [2, 2, 3, 5]
        p.bias = testValues([60], seed: 510).scalars
        p.maskShape = [2, 2, 3, 5]
        // Row (b 0, h 1, i 2) fully masked; others random with at least one key.
        p.mask = (0..<60).map { n in
            let (b, h, i, j) = (n / 30, (n / 15) % 2, (n / 5) % 3, n % 5)
            if b == 0 && h == 1 && i == 2 { return false }
            return j == i || (n * 7919) % 3 != 0
        }
        checkAttention(p, AttentionSetup(dbiasShape: [2, 2, 3, 5]))
    }

    @Test("small, transposed operands (packed by the kernel), D ≠ E, bias [B, H, 1, J] with dbias summed over I")
    func smallTransposed() {
        var p = AttentionProblem(B: 2, H: 3, I: 3, J: 5, D: 4, E: 6, scale: 0.9, seed: 600)
        p.biasShape = [2, 3, 1, 5]
        p.bias = testValues([30], seed: 610).scalars
        checkAttention(p, AttentionSetup(layout: .transposed, dbiasShape: [2, 3, 1, 5]))
    }

    @Test("medium with several query and key blocks, no bias: I = 130, J = 300, D = 8, E = 12, transposed views")
    func mediumTransposed() {
        let p = AttentionProblem(B: 1, H: 2, I: 130, J: 300, D: 8, E: 12, scale: 1, seed: 700)
        checkAttention(p, AttentionSetup(layout: .transposed))
    }

    @Test("mismatched key shape is a bad step")
    func badShapes() {
        let arena = KernelArena()
        let q = arena.view(arena.alloc(2 * 3 * 4), [1, 2, 3, 4])
        let k = arena.view(arena.alloc(2 * 5 * 3), [1, 2, 5, 3])
        let v = arena.view(arena.alloc(2 * 5 * 4), [1, 2, 5, 4])
        let o = arena.view(arena.output(2 * 3 * 4), [1, 2, 3, 4])
        let step = makeStep(PK_STEP_ATTENTION, inputs: [q, k, v], outputs: [o], iattr: [0, 0], fattr: [1])
        for threads in [1, 2] {
            arena.run([step], threads: threads)
            #expect(pk_last_error() == Int32(PK_ERR_BAD_STEP))
            pk_clear_error()
        }
        // A missing mask input (iattr[1] = 1 with only q, k, v).
        let masked = makeStep(PK_STEP_ATTENTION, inputs: [q, arena.view(arena.alloc(40), [1, 2, 5, 4]), v], outputs: [o],
                              iattr: [0, 1], fattr: [1])
        arena.run([masked], threads: 2)
        #expect(pk_last_error() == Int32(PK_ERR_BAD_STEP))
        pk_clear_error()
    }
}
