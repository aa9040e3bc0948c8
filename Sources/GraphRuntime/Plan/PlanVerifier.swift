/// A plan that breaks one of the invariants the executor relies on.
public struct PlanError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "invalid plan: \(message)" }
}

/// Checks a plan before it runs: buffers inside their arenas and aligned, no two activation
/// buffers that are live at the same time sharing a byte, every view inside its buffer, every
/// activation read preceded by a write, and a barrier between every pair of conflicting steps.
public func verifyPlan(_ plan: Plan) throws(PlanError) {
    let buffers = plan.buffers
    let sizes: [PlanArena: Int] = [.activations: plan.activationBytes, .persistent: plan.persistentBytes,
                                   .constants: plan.constantBytes]
    for (i, b) in buffers.enumerated() {
        guard b.offset % 64 == 0 else { throw PlanError("buffer \(i) (\(b.label)) is not 64-byte aligned") }
        guard b.offset >= 0, b.offset + b.byteCount <= sizes[b.arena]! else {
            throw PlanError("buffer \(i) (\(b.label)) ends past its \(b.arena) arena")
        }
    }
    // No overlap between buffers live at the same time.
    let live = buffers.indices.filter { buffers[$0].arena == .activations && buffers[$0].firstStep >= 0 }
        .sorted { buffers[$0].offset < buffers[$1].offset }
    for (n, i) in live.enumerated() {
        let a = buffers[i]
        for j in live[(n + 1)...] {
            let b = buffers[j]
            if b.offset >= a.offset + a.byteCount { break }
            let handOver = sameMemoryClass(i, j, buffers) && (a.lastStep == b.firstStep || b.lastStep == a.firstStep)
            if a.firstStep <= b.lastStep && b.firstStep <= a.lastStep && a.byteCount > 0 && b.byteCount > 0 && !handOver {
                throw PlanError("buffers \(i) (\(a.label)) and \(j) (\(b.label)) are live at the same time "
                    + "(steps \(a.firstStep)-\(a.lastStep) and \(b.firstStep)-\(b.lastStep)) and overlap")
            }
        }
    }
    // Views inside buffers, reads after writes, steps within live intervals.
    var written = Set<Int>()
    for (s, step) in plan.steps.enumerated() {
        for view in step.inputs + step.outputs {
            guard view.buffer >= 0 && view.buffer < buffers.count else {
                throw PlanError("step \(s) refers to missing buffer \(view.buffer)")
            }
            let b = buffers[view.buffer]
            let r = view.elementRange
            guard r.lowerBound >= 0 && r.upperBound <= max(b.type.count, r.lowerBound), view.shape.count == view.strides.count else {
                throw PlanError("step \(s) (\(step.kind)) reads or writes outside buffer \(view.buffer) (\(b.label))")
            }
            if b.arena == .activations && (s < b.firstStep || s > b.lastStep) {
                throw PlanError("step \(s) touches buffer \(view.buffer) (\(b.label)) outside its live interval")
            }
        }
        for view in step.inputs where buffers[view.buffer].arena == .activations && !written.contains(view.buffer) {
            throw PlanError("step \(s) (\(step.kind) at \(step.label)) reads buffer \(view.buffer) before any step writes it")
        }
        for view in step.outputs { written.insert(view.buffer) }
    }
    // Barriers.
    var reads: [MemoryRange] = []
    var writes: [MemoryRange] = []
    for (s, step) in plan.steps.enumerated() {
        let r = step.inputs.map { MemoryRange($0, buffers) }
        let w = step.outputs.map { MemoryRange($0, buffers) }
        let hazard = r.contains { x in writes.contains { x.overlaps($0) } }
            || w.contains { x in writes.contains { x.overlaps($0) } || reads.contains { x.overlaps($0) } }
        if hazard { throw PlanError("step \(s) (\(step.kind) at \(step.label)) conflicts with an earlier step and no barrier separates them") }
        reads += r
        writes += w
        if step.barrierAfter {
            reads = []
            writes = []
        }
    }
    for binding in plan.feeds + plan.outputs {
        guard binding.buffer >= 0 && binding.buffer < buffers.count,
              buffers[binding.buffer].type.count == binding.type.count else {
            throw PlanError("binding \(binding.name) refers to a missing or mis-sized buffer")
        }
    }
}

/// The buffer a chain of in-place hand-overs (`sharesMemoryWith`) starts from.
public func memoryClassRoot(_ b: Int, _ buffers: [PlanBuffer]) -> Int {
    var b = b
    var steps = 0
    while let earlier = buffers[b].sharesMemoryWith, steps < buffers.count {
        b = earlier
        steps += 1
    }
    return b
}

public func sameMemoryClass(_ a: Int, _ b: Int, _ buffers: [PlanBuffer]) -> Bool {
    memoryClassRoot(a, buffers) == memoryClassRoot(b, buffers)
}
