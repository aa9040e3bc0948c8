import GraphRuntime

/// Bytes every buffer offset is a multiple of (one cache line, and AVX-512 loads).
let bufferAlignment = 64

func aligned(_ n: Int) -> Int { (n + bufferAlignment - 1) / bufferAlignment * bufferAlignment }

/// Live intervals and arena offsets.
///
/// Greedy by size (as TFLite's planner): buffers sorted by size, largest first; each goes in
/// the best-fitting gap among the already placed buffers whose live intervals overlap its own,
/// or after the last of them. Two other visiting orders (size × lifetime, lifetime) are tried
/// too and the smallest arena wins. The lower bound beside it is the most bytes live at any step.
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

    /// The buffers that own memory (not taking over another's in place), each with the live
    /// interval and size of its whole in-place chain.
    static func memoryClasses(_ buffers: [PlanBuffer]) -> [Int: (first: Int, last: Int, bytes: Int)] {
        var classes: [Int: (first: Int, last: Int, bytes: Int)] = [:]
        for b in buffers.indices where buffers[b].arena == .activations && buffers[b].firstStep >= 0 {
            let root = memoryClassRoot(b, buffers)
            let own = (first: buffers[b].firstStep, last: buffers[b].lastStep, bytes: aligned(buffers[b].byteCount))
            if let c = classes[root] {
                classes[root] = (min(c.first, own.first), max(c.last, own.last), max(c.bytes, own.bytes))
            } else {
                classes[root] = own
            }
        }
        return classes
    }

    /// Assigns offsets to the activation buffers; returns the arena size. Buffers that take
    /// over another's memory in place get that buffer's offset.
    static func assignActivationOffsets(_ buffers: inout [PlanBuffer]) -> Int {
        let classes = memoryClasses(buffers)
        var shadow = buffers
        for (root, c) in classes {
            shadow[root].firstStep = c.first
            shadow[root].lastStep = c.last
        }
        // Greedy placement depends on the order buffers are placed in; try a few well-known
        // orders (by size, by size × lifetime, by lifetime) and keep the smallest arena.
        let sizes = classes.mapValues(\.bytes)
        var best: (arena: Int, layout: [PlanBuffer])?
        for order in PlacementOrder.allCases {
            var attempt = shadow
            let arena = assignOwnerOffsets(&attempt, owners: Set(classes.keys), sizes: sizes, order: order)
            if best == nil || arena < best!.arena { best = (arena, attempt) }
        }
        shadow = best!.layout
        let arena = best!.arena
        for b in buffers.indices where buffers[b].arena == .activations {
            buffers[b].offset = buffers[b].firstStep >= 0 ? shadow[memoryClassRoot(b, buffers)].offset : 0
        }
        return arena
    }

    /// Orders in which greedy placement visits the buffers.
    enum PlacementOrder: CaseIterable {
        case size, sizeTimesLifetime, lifetime
    }

    private static func assignOwnerOffsets(_ buffers: inout [PlanBuffer], owners: Set<Int>, sizes: [Int: Int],
                                           order placement: PlacementOrder) -> Int {
        let candidates = owners.sorted()
        func key(_ b: Int) -> Int {
            let lifetime = buffers[b].lastStep - buffers[b].firstStep + 1
            switch placement {
            case .size: return sizes[b]!
            case .sizeTimesLifetime: return sizes[b]! * lifetime
            case .lifetime: return lifetime
            }
        }
        let order = candidates.sorted {
            let (a, b) = (key($0), key($1))
            return a != b ? a > b : (buffers[$0].firstStep, $0) < (buffers[$1].firstStep, $1)
        }
        var placed: [Int] = []
        var arena = 0
        for b in order {
            let size = sizes[b]!
            let overlapping = placed.filter { overlaps(buffers[$0], buffers[b]) }
                .map { (start: buffers[$0].offset, end: buffers[$0].offset + sizes[$0]!) }
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
        for c in memoryClasses(buffers).values {
            delta[c.first] += c.bytes
            delta[c.last + 1] -= c.bytes
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
