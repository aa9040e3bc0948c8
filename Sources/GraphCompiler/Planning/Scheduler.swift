import TensorGraph

/// A memory-aware topological order of lowering units.
///
/// List scheduling: among the units whose inputs are ready, run the one that adds the fewest
/// live bytes (bytes it allocates minus bytes whose last reader it is); ties go to the unit
/// that comes first in the graph, which keeps the traced order when memory does not care.
///
/// Lazy units (those that only recompute values, see `Rematerialization`) are held back even
/// when their inputs are ready: a lazy unit becomes a candidate only once some non-lazy unit
/// that reads it (directly or through other lazy units) waits for nothing but lazy units. So a
/// recomputed value is made just before its first reader, not as soon as it could be, which
/// is the point of recomputing it. Lazy units that only graph outputs read run at the end.
struct UnitScheduler {
    /// Units in graph order, each with its member nodes.
    let units: [[NodeID]]
    /// Units to run only on demand (empty: none).
    var lazy: [Bool] = []

    func order(graph: Graph, unitOf: [Int]) -> [Int] {
        let n = units.count
        let lazy = self.lazy.isEmpty ? [Bool](repeating: false, count: n) : self.lazy
        let anyLazy = lazy.contains(true)
        var dependencies = [Set<Int>](repeating: [], count: n)
        var dependents = [Set<Int>](repeating: [], count: n)
        for (u, members) in units.enumerated() {
            for id in members {
                for input in graph[id].inputs where unitOf[input.index] != u {
                    dependencies[u].insert(unitOf[input.index])
                    dependents[unitOf[input.index]].insert(u)
                }
            }
        }
        // Remaining reader units per value, to know when a value dies.
        var readers = [Set<Int>](repeating: [], count: graph.nodes.count)
        for node in graph.nodes {
            for input in node.inputs where unitOf[input.index] != unitOf[node.id.index] {
                readers[input.index].insert(unitOf[node.id.index])
            }
        }
        let outputs = Set(graph.outputs.map(\.node.index))
        func bytes(_ id: Int) -> Int {
            switch graph.nodes[id].op {
            case .parameter, .input, .rngKey, .constant, .reshape, .permute, .slice, .expand: return 0
            default: return graph.nodes[id].type.byteCount
            }
        }
        var remaining = dependencies.map(\.count)
        var scheduled = [Bool](repeating: false, count: n)
        // Non-lazy units are always wanted; lazy ones once something wants them.
        var wanted = lazy.map { !$0 }
        var ready = Set((0..<n).filter { remaining[$0] == 0 && wanted[$0] })

        /// Whether `u` could run once some lazy units run: every unscheduled dependency is lazy
        /// and could itself run that way.
        func waitsOnlyForLazy(_ u: Int) -> Bool {
            var stack = [u], seen: Set<Int> = [u]
            while let v = stack.popLast() {
                for d in dependencies[v] where !scheduled[d] && seen.insert(d).inserted {
                    if !lazy[d] { return false }
                    stack.append(d)
                }
            }
            return true
        }
        /// Marks the unscheduled lazy units `u` waits for as wanted.
        func want(dependenciesOf u: Int) {
            for d in dependencies[u] where !scheduled[d] && !wanted[d] {
                wanted[d] = true
                if remaining[d] == 0 { ready.insert(d) }
                want(dependenciesOf: d)
            }
        }
        /// Re-examines the non-lazy readers reached from `u` through lazy units.
        func demand(from u: Int, visited: inout Set<Int>) {
            for d in dependents[u] where !scheduled[d] && visited.insert(d).inserted {
                if lazy[d] {
                    demand(from: d, visited: &visited)
                } else if remaining[d] > 0 && waitsOnlyForLazy(d) {
                    want(dependenciesOf: d)
                }
            }
        }
        if anyLazy {
            for u in 0..<n where !lazy[u] && remaining[u] > 0 && waitsOnlyForLazy(u) { want(dependenciesOf: u) }
        }

        var order: [Int] = []
        order.reserveCapacity(n)
        while order.count < n {
            if ready.isEmpty {
                // Only lazy units no unit reads are left (clones of graph outputs): they run last.
                guard let u = (0..<n).first(where: { !scheduled[$0] && remaining[$0] == 0 }) else { break }
                wanted[u] = true
                ready.insert(u)
            }
            var best = -1
            var bestScore = Int.max
            for u in ready {
                var score = 0
                for id in units[u] where !readers[id.index].isEmpty || outputs.contains(id.index) {
                    score += bytes(id.index)
                }
                var inputsSeen = Set<Int>()
                for id in units[u] {
                    for input in graph[id].inputs where unitOf[input.index] != u && inputsSeen.insert(input.index).inserted {
                        if readers[input.index] == [u] && !outputs.contains(input.index) { score -= bytes(input.index) }
                    }
                }
                if score < bestScore || (score == bestScore && u < best) {
                    best = u
                    bestScore = score
                }
            }
            ready.remove(best)
            scheduled[best] = true
            order.append(best)
            for id in units[best] {
                for input in graph[id].inputs { readers[input.index].remove(best) }
            }
            for d in dependents[best] {
                remaining[d] -= 1
                if remaining[d] == 0 && wanted[d] { ready.insert(d) }
            }
            if anyLazy {
                var visited = Set<Int>()
                demand(from: best, visited: &visited)
            }
        }
        precondition(order.count == n, "scheduler: the unit graph has a cycle")
        return order
    }
}
