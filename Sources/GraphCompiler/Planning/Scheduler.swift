import TensorGraph

/// A memory-aware topological order of lowering units.
///
/// List scheduling: among the units whose inputs are ready, run the one that adds the fewest
/// live bytes (bytes it allocates minus bytes whose last reader it is); ties go to the unit
/// that comes first in the graph, which keeps the traced order when memory does not care.
struct UnitScheduler {
    /// Units in graph order, each with its member nodes.
    let units: [[NodeID]]

    func order(graph: Graph, unitOf: [Int]) -> [Int] {
        let n = units.count
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
        var ready = Set((0..<n).filter { remaining[$0] == 0 })
        var order: [Int] = []
        order.reserveCapacity(n)
        while !ready.isEmpty {
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
            order.append(best)
            for id in units[best] {
                for input in graph[id].inputs { readers[input.index].remove(best) }
            }
            for d in dependents[best] {
                remaining[d] -= 1
                if remaining[d] == 0 { ready.insert(d) }
            }
        }
        precondition(order.count == n, "scheduler: the unit graph has a cycle")
        return order
    }
}
