import GraphRuntime

/// Bytes every buffer offset is a multiple of (one cache line, and AVX-512 loads).
let bufferAlignment = 64

func aligned(_ n: Int) -> Int { (n + bufferAlignment - 1) / bufferAlignment * bufferAlignment }

/// Live intervals and arena offsets.
///
/// Greedy by size (as TFLite's planner): buffers sorted by size, largest first; each goes in
/// the best-fitting gap among the already placed buffers whose live intervals overlap its own,
/// or after the last of them. The lower bound beside it is the most bytes live at any step.
enum MemoryPlanner {
    /// Fills `firstStep`/`lastStep` of every activation buffer from the steps that touch it;
    /// buffers in `keepAlive` (outputs) live to the last step.
    static func computeLiveness(_ buffers: inout [PlanBuffer], steps: [PlanStep], keepAlive: Set<Int>) {
        for b in buffers.indices {
            buffers[b].firstStep = -1
            buffers[b].lastStep = -1
        }
        for (i, step) in steps.enumerated() {
            for view in step.inputs + step.outputs {
                let b = view.buffer
                if buffers[b].firstStep < 0 { buffers[b].firstStep = i }
                buffers[b].lastStep = i
            }
        }
        for b in keepAlive {
            if buffers[b].firstStep < 0 { buffers[b].firstStep = 0 }
            buffers[b].lastStep = max(steps.count - 1, 0)
        }
    }

    /// Assigns offsets to the activation buffers; returns the arena size.
    static func assignActivationOffsets(_ buffers: inout [PlanBuffer]) -> Int {
        let candidates = buffers.indices.filter { buffers[$0].arena == .activations && buffers[$0].firstStep >= 0 }
        let order = candidates.sorted {
            let (a, b) = (buffers[$0], buffers[$1])
            return a.byteCount != b.byteCount ? a.byteCount > b.byteCount : a.firstStep < b.firstStep
        }
        var placed: [Int] = []
        var arena = 0
        for b in order {
            let size = aligned(buffers[b].byteCount)
            let overlapping = placed.filter { overlaps(buffers[$0], buffers[b]) }
                .map { (start: buffers[$0].offset, end: buffers[$0].offset + aligned(buffers[$0].byteCount)) }
                .sorted { $0.start < $1.start }
            var best: (offset: Int, waste: Int)?
            var cursor = 0
            for interval in overlapping {
                let gap = interval.start - cursor
                if gap >= size, best == nil || gap - size < best!.waste { best = (cursor, gap - size) }
                cursor = max(cursor, interval.end)
            }
            buffers[b].offset = best?.offset ?? cursor
            arena = max(arena, buffers[b].offset + size)
            placed.append(b)
        }
        for b in buffers.indices where buffers[b].arena == .activations && buffers[b].firstStep < 0 {
            buffers[b].offset = 0  // never touched (a copy no step needed)
        }
        return arena
    }

    /// Packs the buffers of a never-reused arena one after another; returns its size.
    static func assignSequentialOffsets(_ buffers: inout [PlanBuffer], arena: PlanArena) -> Int {
        var cursor = 0
        for b in buffers.indices where buffers[b].arena == arena {
            buffers[b].offset = cursor
            cursor += aligned(buffers[b].byteCount)
        }
        return cursor
    }

    /// The most activation bytes live at once (each buffer counted at its aligned size).
    static func lowerBound(_ buffers: [PlanBuffer], stepCount: Int) -> Int {
        var delta = [Int](repeating: 0, count: stepCount + 1)
        for b in buffers where b.arena == .activations && b.firstStep >= 0 {
            delta[b.firstStep] += aligned(b.byteCount)
            delta[b.lastStep + 1] -= aligned(b.byteCount)
        }
        var live = 0, peak = 0
        for d in delta {
            live += d
            peak = max(peak, live)
        }
        return peak
    }

    static func overlaps(_ a: PlanBuffer, _ b: PlanBuffer) -> Bool {
        a.firstStep <= b.lastStep && b.firstStep <= a.lastStep
    }
}
