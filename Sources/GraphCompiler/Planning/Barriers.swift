import GraphRuntime

/// Which steps must be followed by a barrier: a step waits for the steps since the last
/// barrier when it reads what they wrote (RAW) or writes what they read or wrote (WAR, WAW —
/// real hazards once the memory planner reuses offsets).
enum BarrierPlacement {
    static func place(_ steps: inout [PlanStep], buffers: [PlanBuffer]) {
        var reads: [MemoryRange] = []
        var writes: [MemoryRange] = []
        for i in steps.indices {
            steps[i].barrierAfter = false
            let r = steps[i].inputs.map { MemoryRange($0, buffers) }
            let w = steps[i].outputs.map { MemoryRange($0, buffers) }
            let hazard = r.contains { x in writes.contains { x.overlaps($0) } }
                || w.contains { x in writes.contains { x.overlaps($0) } || reads.contains { x.overlaps($0) } }
            if hazard && i > 0 {
                steps[i - 1].barrierAfter = true
                reads = []
                writes = []
            }
            reads += r
            writes += w
        }
        if !steps.isEmpty { steps[steps.count - 1].barrierAfter = true }
    }
}
