import CKernels
import Foundation

/// The activation layout of the arena debug mode: every memory class (a buffer and the ones
/// that take it over in place) gets its own slot, with canary words from the end of its bytes
/// to the next slot, and the classes to poison after each step.
struct ArenaDebugLayout {
    /// A quiet NaN with a payload no kernel produces: freed and unwritten memory.
    static let poison: UInt32 = 0x7FC0_DEAD
    /// Canary word between slots (a finite float, so a NaN scan never mistakes it).
    static let canary: UInt32 = 0xFDFD_FDFD
    /// Canary bytes before the first slot and at least this many after every slot.
    static let gap = 64

    /// The plan with the new activation offsets (and arena size).
    let plan: Plan
    /// Byte range of the canary after each class root's slot, and before it (the previous
    /// slot's after-range, or the leading canary).
    let canaryAfter: [Int: Range<Int>]
    let canaryBefore: [Int: Range<Int>]
    /// Class roots whose memory is poisoned after each step (the last step of the class).
    let poisonAfter: [Int: [(root: Int, bytes: Range<Int>)]]

    init(_ original: Plan) {
        var plan = original
        let buffers = plan.buffers
        var classes: [Int: [Int]] = [:]
        for b in buffers.indices where buffers[b].arena == .activations {
            classes[memoryClassRoot(b, buffers), default: []].append(b)
        }
        let outputs = Set(plan.outputs.map(\.buffer))
        var after: [Int: Range<Int>] = [:], before: [Int: Range<Int>] = [:]
        var poison: [Int: [(root: Int, bytes: Range<Int>)]] = [:]
        var cursor = Self.gap
        var previous = 0..<Self.gap
        for root in classes.keys.sorted() {
            let members = classes[root]!
            let bytes = members.map { buffers[$0].byteCount }.max() ?? 0
            let offset = cursor
            for m in members { plan.buffers[m].offset = offset }
            let end = offset + bytes
            cursor = (end + Self.gap + 63) / 64 * 64
            after[root] = end..<cursor
            before[root] = previous
            previous = end..<cursor
            let used = members.filter { buffers[$0].firstStep >= 0 }
            // Plan outputs must survive the run; unused buffers are never touched.
            if !used.isEmpty && !members.contains(where: outputs.contains) {
                let last = used.map { buffers[$0].lastStep }.max()!
                poison[last, default: []].append((root, offset..<end))
            }
        }
        plan.activationBytes = cursor
        self.plan = plan
        canaryAfter = after
        canaryBefore = before
        poisonAfter = poison
    }

    /// Poisons the whole arena, then writes the canaries.
    func prepare(_ base: UnsafeMutableRawPointer) {
        pk_debug_fill(base, Int64(plan.activationBytes / 4), Self.poison)
        pk_debug_fill(base, Int64(Self.gap / 4), Self.canary)
        for range in canaryAfter.values { pk_debug_fill(base + range.lowerBound, Int64(range.count / 4), Self.canary) }
    }

    /// The first broken canary byte of `range`, if any.
    func broken(_ range: Range<Int>, _ base: UnsafeMutableRawPointer) -> Int? {
        let i = pk_debug_find_mismatch(base + range.lowerBound, Int64(range.count / 4), Self.canary)
        return i < 0 ? nil : range.lowerBound + 4 * Int(i)
    }
}

extension PlanExecutor {
    /// `run()` in the arena debug mode: one step at a time (each with the run's thread count,
    /// so every kernel splits its work as in a normal run and results are bit-equal).
    func runChecked(_ layout: ArenaDebugLayout) throws {
        let base = arenas[Int(PK_ARENA_ACTIVATIONS)]!
        let buffers = plan.buffers
        func site(_ s: Int) -> (String, String) { ("\(plan.steps[s].kind)", plan.steps[s].label) }
        try arenas.withUnsafeBufferPointer { bases in
            let raw = UnsafeRawPointer(bases.baseAddress!).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
            for s in plan.steps.indices {
                let step = plan.steps[s]
                // Reads of poison: checked on the C step's own views, element by element.
                try withUnsafePointer(to: &steps[s].inputs) { inputs in
                    try inputs.withMemoryRebound(to: pk_view.self, capacity: Int(PK_MAX_INPUTS)) { views in
                        for (i, v) in step.inputs.enumerated() where buffers[v.buffer].arena == .activations {
                            let hit = pk_debug_view_find_word(views + i, raw, ArenaDebugLayout.poison)
                            if hit >= 0 {
                                let (kind, label) = site(s)
                                throw PlanRunError.arenaPoisonRead(step: s, kind: kind, label: label,
                                                                   buffer: "\(v.buffer) (\(buffers[v.buffer].label))",
                                                                   element: Int(hit))
                            }
                        }
                    }
                }
                pk_execute(steps.advanced(by: s), 1, raw, Int32(threads))
                let code = pk_last_error()
                if code != Int32(PK_ERR_NONE) { throw PlanRunError.kernel(code: code, step: s, label: step.label) }
                for v in step.outputs where buffers[v.buffer].arena == .activations {
                    let root = memoryClassRoot(v.buffer, buffers)
                    let name = "\(v.buffer) (\(buffers[v.buffer].label))"
                    let (kind, label) = site(s)
                    if let at = layout.broken(layout.canaryAfter[root]!, base) {
                        throw PlanRunError.arenaCanary(step: s, kind: kind, label: label, buffer: name,
                                                       detail: "\(at - buffers[v.buffer].offset - buffers[v.buffer].byteCount) bytes past the end of")
                    }
                    if let at = layout.broken(layout.canaryBefore[root]!, base) {
                        throw PlanRunError.arenaCanary(step: s, kind: kind, label: label, buffer: name,
                                                       detail: "\(buffers[v.buffer].offset - at) bytes before the start of")
                    }
                }
                for freed in layout.poisonAfter[s] ?? [] {
                    pk_debug_fill(base + freed.bytes.lowerBound, Int64(freed.bytes.count / 4), ArenaDebugLayout.poison)
                }
            }
        }
        // Writes that landed in some other slot's canary (a wild pointer) show up here.
        for (root, range) in layout.canaryAfter where layout.broken(range, base) != nil {
            throw PlanRunError.arenaCanary(step: plan.steps.count - 1, kind: "?", label: "end of run",
                                           buffer: "\(root) (\(buffers[root].label))", detail: "over the canary after")
        }
    }
}
