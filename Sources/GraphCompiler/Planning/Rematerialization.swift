import GraphRuntime
import TensorGraph

/// Recomputes cheap values late instead of keeping them alive, until the activation arena fits a
/// memory budget (`CompileOptions.memoryBudget`).
///
/// A round looks at one schedule of the (already simplified) graph:
///
/// - **Liveness.** A stored value (the root under a chain of views) is live from its producer's
///   unit to its last reader's unit; graph outputs live to the end. The *peak* is the position
///   with the most live bytes.
/// - **Candidates.** Values live across the peak (made before it, read after it and not by the
///   peak unit), not clones, never recomputed before, whose producer is cheap: an element-wise or
///   row op (`RowRole`), `iota`, or a deterministic kernel (`matmul`, convolutions, reductions,
///   gathers, concat, pad). Recomputing one late needs its inputs late. An
///   input is free when it is a parameter, input or constant, or its storage is live at the peak
///   anyway; a dead input is recomputed too when cheap (views cost nothing), so a candidate is a
///   small *block* of nodes; a dead input that is not cheap is kept alive instead, and its bytes
///   are charged against the gain.
/// - **Cost model.** Gain: the value's bytes, minus the bytes of dead inputs kept alive (it must
///   be positive). Cost: the block's FLOPs (an element-wise op one per element, a row op four, a
///   matmul or convolution 2·MACs, another kernel its input and output elements). Blocks with
///   kernels other than row programs (at most two: "whole blocks", such as a linear layer and
///   its activation) are a second tier, taken only after every cheaper candidate. Within a tier candidates go by most bytes per FLOP,
///   until the gains cover the arena's excess over the budget. A candidate whose block reads a
///   value chosen in the same round is skipped (that value would stay live).
/// - **Rewrite.** The block is cloned (same ops on the same inputs, so the same deterministic
///   kernels produce the same bits) right before its first late reader in graph order, and every
///   reader after the peak reads the clone; a graph output read after the peak is rebound to the
///   clone, which then runs at the end. Clones carry the scope suffix `" (recomputed)"` and are
///   marked for fusion (they never join their producer's group) and for the scheduler (their
///   units are lazy: they run just before a reader needs them). No CSE runs afterwards, so
///   clones stay clones.
///
/// **Termination.** Each round recomputes at least one value that was never recomputed before
/// and is not a clone, and clones are never candidates, so there are at most as many rounds as
/// the simplified graph has nodes; `maxRounds` bounds compile time below that. When no round
/// fits, the error reports the smallest arena reached.
enum Rematerialization {
    /// The scope suffix of recomputed nodes.
    static let scopeSuffix = " (recomputed)"
    /// The prefix of the plan notes that list recomputed values.
    static let notePrefix = "recomputed: "
    static let maxRounds = 48
    static let maxBlockNodes = 32
    static let maxBlockKernels = 2

    /// Rewrites and re-plans `first` until its plan's activation arena is at most `budget`.
    static func fit(_ first: ScheduledGraph, plan: Plan, budget: Int) throws -> Plan {
        var state = State(graph: first.graph)
        var scheduled = first
        var current = plan
        var smallest = plan
        for _ in 0..<maxRounds {
            let chosen = candidates(scheduled, state: state, excess: current.activationBytes - budget)
            if chosen.isEmpty { break }
            state.recompute(chosen)
            scheduled = ScheduledGraph(graph: state.graph, fuse: first.fusion.enabled, recomputed: state.recomputed)
            current = try scheduled.plan(notes: state.notes)
            if current.activationBytes <= budget { return current }
            if current.activationBytes < smallest.activationBytes { smallest = current }
        }
        throw CompileError.memoryBudgetUnreachable(
            budget: budget, smallestArena: smallest.activationBytes, lowerBound: smallest.lowerBoundBytes,
            recomputedValues: smallest.notes.filter { $0.hasPrefix(notePrefix) }.count)
    }

    /// A reader of a value: a node, or graph output `-1 - reader`.
    typealias Read = (reader: Int, value: Int)

    /// A value to recompute after the peak.
    struct Candidate {
        /// The stored value (a view root).
        var root: Int
        /// Nodes to clone, ascending: the block that computes `root`, plus the views of `root`
        /// that late readers read.
        var clones: [Int]
        /// Late readers and which of the cloned nodes each reads.
        var readers: [Read]
        /// Stored values the block reads (kept alive until the clone runs).
        var leaves: Set<Int>
        /// Bytes no longer live at the peak.
        var gain: Int
        var flops: Double
        var tier: Int
    }

    /// The graph being rewritten, with its clone marks and the notes of every round.
    struct State {
        var graph: Graph
        /// Clones, by node.
        var recomputed: [Bool]
        /// Values already recomputed once (never candidates again).
        var spent: [Bool]
        var notes: [String] = []

        init(graph: Graph) {
            self.graph = graph
            recomputed = [Bool](repeating: false, count: graph.nodes.count)
            spent = recomputed
        }

        /// Clones each candidate's nodes right before its first late reader (at the end when
        /// only outputs read it late) and redirects the late readers to the clones.
        mutating func recompute(_ chosen: [Candidate]) {
            let old = graph
            var blocksAt: [Int: [Int]] = [:]
            var redirect: [Int: [Int: Int]] = [:]   // reader -> (value -> candidate)
            for (k, c) in chosen.enumerated() {
                let at = c.readers.map(\.reader).filter { $0 >= 0 }.min() ?? old.nodes.count
                blocksAt[at, default: []].append(k)
                for r in c.readers { redirect[r.reader, default: [:]][r.value] = k }
            }
            var newID = [NodeID](repeating: NodeID(-1), count: old.nodes.count)
            var cloneOf = [[Int: NodeID]](repeating: [:], count: chosen.count)
            var nodes: [Node] = []
            var recomputed: [Bool] = []
            var spent: [Bool] = []
            func append(_ node: Node, inputs: [NodeID], scope: String, clone: Bool, spent wasSpent: Bool) -> NodeID {
                let id = NodeID(nodes.count)
                nodes.append(Node(id: id, op: node.op, inputs: inputs, type: node.type, scope: scope))
                recomputed.append(clone)
                spent.append(wasSpent)
                return id
            }
            func emitBlocks(at index: Int) {
                for k in blocksAt[index] ?? [] {
                    let members = Set(chosen[k].clones)
                    for n in chosen[k].clones {
                        let original = old.nodes[n]
                        let inputs = original.inputs.map { members.contains($0.index) ? cloneOf[k][$0.index]! : newID[$0.index] }
                        let scope = original.scope.hasSuffix(scopeSuffix) ? original.scope : original.scope + scopeSuffix
                        cloneOf[k][n] = append(original, inputs: inputs, scope: scope, clone: true, spent: false)
                    }
                }
            }
            func mapped(_ x: NodeID, readBy reader: Int) -> NodeID {
                if let k = redirect[reader]?[x.index] { return cloneOf[k][x.index]! }
                return newID[x.index]
            }
            for node in old.nodes {
                emitBlocks(at: node.id.index)
                newID[node.id.index] = append(node, inputs: node.inputs.map { mapped($0, readBy: node.id.index) },
                                              scope: node.scope, clone: self.recomputed[node.id.index],
                                              spent: self.spent[node.id.index])
            }
            emitBlocks(at: old.nodes.count)
            for c in chosen {
                spent[newID[c.root].index] = true
                let node = old.nodes[c.root]
                let outputs = c.readers.filter { $0.reader < 0 }.count, readers = c.readers.count - outputs
                let who = [readers > 0 ? "\(readers) later reader\(readers == 1 ? "" : "s")" : nil,
                           outputs > 0 ? "\(outputs) output\(outputs == 1 ? "" : "s") at the end" : nil]
                notes.append(notePrefix + "\(node.op.kind.rawValue) at \(node.scope) \(node.type) for "
                    + who.compactMap { $0 }.joined(separator: " and ") + " (\(c.gain) bytes no longer live across "
                    + "the peak; \(c.clones.count) op\(c.clones.count == 1 ? "" : "s"), \(Int(c.flops)) FLOPs again)")
            }
            graph = Graph(nodes: nodes, outputs: old.outputs.enumerated().map { i, o in
                GraphOutput(name: o.name, node: mapped(o.node, readBy: -1 - i))
            })
            self.recomputed = recomputed
            self.spent = spent
        }
    }

    static func isView(_ op: Op) -> Bool {
        switch op {
        case .reshape, .permute, .slice, .expand: return true
        default: return false
        }
    }

    /// Sources with no activation storage.
    static func isFree(_ op: Op) -> Bool {
        switch op {
        case .parameter, .input, .rngKey, .constant: return true
        default: return false
        }
    }

    /// FLOPs to recompute `node`, and whether it runs a kernel other than a row program (a
    /// "block" kernel); nil when it is not recomputed at all (random draws, scatters, attention).
    /// Every kernel allowed here splits its work by thread index only, so a clone computes the
    /// original's bits.
    static func recomputeCost(_ node: Node, _ graph: Graph) -> (flops: Double, kernel: Bool)? {
        if isView(node.op) { return (0, false) }
        let elements = Double(node.type.count)
        let inputElements = node.inputs.reduce(0.0) { $0 + Double(graph[$1].type.count) }
        switch node.op {
        case .iota: return (elements, false)
        case .matmul(let ta, _):
            let a = graph[node.inputs[0]].type.shape
            let k = ta ? a[a.count - 2] : a[a.count - 1]
            return (2 * elements * Double(k), true)
        case .conv:
            return (2 * elements * Double(graph[node.inputs[1]].type.shape.dropFirst().reduce(1, *)), true)
        case .convTranspose:
            let w = graph[node.inputs[1]].type.shape.dropFirst().reduce(1, *)
            return (2 * Double(graph[node.inputs[0]].type.count) * Double(w), true)
        case .convWeightGrad:
            return (2 * Double(graph[node.inputs[1]].type.count) * Double(node.type.shape.dropFirst().reduce(1, *)), true)
        case .reduce, .argmax, .gather, .takeAlongAxis, .oneHot, .concat, .pad:
            if let role = RowRole(node) {  // a one-axis reduction is a row program
                return (4 * Double(role.iterationShape(node, graph).reduce(1, *)), false)
            }
            return (elements + inputElements, true)
        default:
            guard let role = RowRole(node) else { return nil }
            let space = Double(role.iterationShape(node, graph).reduce(1, *))
            return (role.reducesAxis == nil ? space : 4 * space, false)
        }
    }

    /// The values to recompute in this round, best first, whose gains cover `excess` bytes (or
    /// all there are).
    static func candidates(_ s: ScheduledGraph, state: State, excess: Int) -> [Candidate] {
        let g = s.graph
        let n = g.nodes.count
        let end = s.order.count
        var position = [Int](repeating: 0, count: s.units.count)
        for (p, u) in s.order.enumerated() { position[u] = p }
        func at(_ id: Int) -> Int { id < 0 ? end : position[s.unitOf[id]] }

        // Storage roots, and the readers (non-views, outputs) of each root through its views.
        var root = Array(0..<n)
        var readers = [[Read]](repeating: [], count: n)
        var stored = [Bool](repeating: false, count: n)
        var last = [Int](repeating: -1, count: n)
        for node in g.nodes {
            let i = node.id.index
            if isView(node.op) { root[i] = root[node.inputs[0].index] }
            for x in node.inputs {
                if isView(node.op) || s.unitOf[x.index] != s.unitOf[i] { stored[x.index] = true }
                if !isView(node.op) && s.unitOf[x.index] != s.unitOf[i] {
                    readers[root[x.index]].append((i, x.index))
                    last[root[x.index]] = max(last[root[x.index]], at(i))
                }
            }
        }
        for (k, output) in g.outputs.enumerated() {
            stored[output.node.index] = true
            readers[root[output.node.index]].append((-1 - k, output.node.index))
            last[root[output.node.index]] = end
        }
        func bytes(_ r: Int) -> Int { aligned(g.nodes[r].type.byteCount) }

        // Live bytes per position, and the peak.
        var delta = [Int](repeating: 0, count: end + 2)
        for r in 0..<n where root[r] == r && stored[r] && !isFree(g.nodes[r].op) {
            delta[at(r)] += bytes(r)
            delta[max(last[r], at(r)) + 1] -= bytes(r)
        }
        var live = 0, peakBytes = -1, peak = 0
        for p in 0..<end {
            live += delta[p]
            if live > peakBytes { (peakBytes, peak) = (live, p) }
        }
        func available(_ r: Int) -> Bool {
            isFree(g.nodes[r].op) || (stored[r] && at(r) <= peak && last[r] >= peak)
        }

        var found: [Candidate] = []
        for r in 0..<n where root[r] == r && stored[r] && !state.recomputed[r] && !state.spent[r] {
            let node = g.nodes[r]
            guard !isFree(node.op), at(r) < peak, last[r] > peak, let own = recomputeCost(node, g),
                  readers[r].allSatisfy({ at($0.reader) != peak }) else { continue }
            let late = readers[r].filter { at($0.reader) > peak }
            // The block: r and the dead values it needs that are cheap; the others stay alive.
            var block: Set<Int> = [r]
            var leaves = Set<Int>()
            var kept = Set<Int>()
            var flops = own.flops
            var kernels = own.kernel ? 1 : 0
            var stack = [r]
            while let m = stack.popLast() {
                for x in g.nodes[m].inputs where !block.contains(x.index) {
                    let q = root[x.index]
                    if available(q) {
                        if !isFree(g.nodes[q].op) { leaves.insert(q) }
                        continue
                    }
                    if let cost = recomputeCost(g[x], g), block.count < maxBlockNodes,
                       kernels + (cost.kernel ? 1 : 0) <= maxBlockKernels {
                        kernels += cost.kernel ? 1 : 0
                        flops += cost.flops
                        block.insert(x.index)
                        stack.append(x.index)
                    } else {
                        leaves.insert(q)
                        kept.insert(q)
                    }
                }
            }
            let gain = bytes(r) - kept.reduce(0) { $0 + bytes($1) }
            guard gain > 0 else { continue }
            // The views between r and what late readers read.
            for (_, value) in late {
                var v = value
                while v != r && block.insert(v).inserted { v = g.nodes[v].inputs[0].index }
            }
            found.append(Candidate(root: r, clones: block.sorted(), readers: late, leaves: leaves,
                                   gain: gain, flops: flops, tier: kernels > 0 ? 1 : 0))
        }
        func density(_ c: Candidate) -> Double { Double(c.gain) / max(c.flops, 1) }
        found.sort {
            $0.tier != $1.tier ? $0.tier < $1.tier : density($0) != density($1) ? density($0) > density($1) : $0.root < $1.root
        }
        var chosen: [Candidate] = []
        var pinned = Set<Int>()
        var roots = Set<Int>()
        var gain = 0
        for c in found where gain < excess {
            guard !pinned.contains(c.root), roots.isDisjoint(with: c.leaves) else { continue }
            chosen.append(c)
            pinned.formUnion(c.leaves)
            roots.insert(c.root)
            gain += c.gain
        }
        return chosen
    }
}
