import TensorGraph

/// A graph split for repeated runs in which some inputs stay fixed: `prefix` computes, once,
/// every value that depends only on parameters, constants and the fixed inputs; `step` computes
/// the rest each run and reads the hoisted values as inputs.
///
/// Running `prefix` and feeding its outputs (by name) to `step`, with the same other feeds,
/// gives the original graph's outputs.
public struct HoistedGraph: Sendable {
    /// One value computed by `prefix` and read by `step`.
    public struct Value: Sendable, Hashable {
        /// The name of the prefix output and of the step input (`hoisted.0`, ...).
        public var name: String
        /// The node of the original graph it stands for.
        public var node: NodeID
        /// The value's type.
        public var type: TensorType
        /// The op that made it and its scope, for the summary.
        public var op: OpKind
        public var scope: String
    }

    /// Everything loop-invariant that is worth keeping; outputs are the `hoisted` names.
    public var prefix: Graph
    /// The per-run graph: the original outputs, hoisted values as inputs.
    public var step: Graph
    /// The hoisted values in `prefix` output order.
    public var hoisted: [Value]
    /// Node count of the original graph (after dropping dead nodes).
    public var originalNodeCount: Int

    /// Bytes the hoisted values take (they stay alive between runs in the step plan's feeds).
    public var hoistedBytes: Int { hoisted.reduce(0) { $0 + $1.type.byteCount } }

    /// A few lines saying what moved: node counts, bytes, and each hoisted value.
    public var summary: String {
        var lines = ["hoisted \(hoisted.count) values (\(hoistedBytes) bytes): prefix \(prefix.nodes.count) nodes, "
                     + "step \(step.nodes.count) of \(originalNodeCount) nodes"]
        for v in hoisted {
            lines.append("  \(v.name) = \(v.node) \(v.op.rawValue) \(v.type) at \(v.scope.isEmpty ? "<root>" : v.scope)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Loop-invariant code motion for graphs run many times with some inputs fixed (a sampler's
/// text and text mask): see `HoistedGraph`.
///
/// A node is invariant when it reads only parameters, constants, iotas and the fixed inputs
/// (RNG keys are never fixed). An invariant value is hoisted when a per-run node (or a graph
/// output) reads it and it did real work: a chain of sources and layout ops (reshape, permute,
/// slice, expand, cast) is cheap to redo and may be much larger than its sources (an `expand`),
/// so the step graph keeps its own copy of such chains instead of reading a hoisted buffer.
public enum InvariantHoisting {
    /// Splits `graph` for runs in which the inputs named in `fixedInputs` keep their values.
    /// Names that are not inputs of `graph` are ignored.
    public static func split(_ graph: Graph, fixedInputs: Set<String>) -> HoistedGraph {
        let count = graph.nodes.count
        var invariant = [Bool](repeating: false, count: count)
        var worked = [Bool](repeating: false, count: count)
        for node in graph.nodes {
            let i = node.id.index
            switch node.op {
            case .parameter, .constant, .iota: invariant[i] = true
            case .input(let name): invariant[i] = fixedInputs.contains(name)
            case .rngKey: invariant[i] = false
            default:
                invariant[i] = node.inputs.allSatisfy { invariant[$0.index] }
                worked[i] = invariant[i] && (!isCheap(node.op) || node.inputs.contains { worked[$0.index] })
            }
        }

        // Values the step graph must read: invariant values with real work behind them that a
        // per-run node or an output consumes.
        var hoist = [Bool](repeating: false, count: count)
        for node in graph.nodes where !invariant[node.id.index] {
            for input in node.inputs where worked[input.index] { hoist[input.index] = true }
        }
        for output in graph.outputs where worked[output.node.index] { hoist[output.node.index] = true }

        // The step graph: what the outputs need, stopping at hoisted values.
        var stepNeeds = [Bool](repeating: false, count: count)
        for output in graph.outputs { stepNeeds[output.node.index] = true }
        for i in stride(from: count - 1, through: 0, by: -1) where stepNeeds[i] && !hoist[i] {
            for input in graph.nodes[i].inputs { stepNeeds[input.index] = true }
        }
        var hoisted: [HoistedGraph.Value] = []
        for i in 0..<count where hoist[i] && stepNeeds[i] {
            let node = graph.nodes[i]
            hoisted.append(HoistedGraph.Value(name: "hoisted.\(hoisted.count)", node: node.id, type: node.type,
                                              op: node.op.kind, scope: node.scope))
        }

        // The prefix: what the hoisted values need.
        var prefixNeeds = [Bool](repeating: false, count: count)
        for v in hoisted { prefixNeeds[v.node.index] = true }
        for i in stride(from: count - 1, through: 0, by: -1) where prefixNeeds[i] {
            for input in graph.nodes[i].inputs { prefixNeeds[input.index] = true }
        }
        let prefix = copy(graph, keeping: prefixNeeds, asInputs: [:],
                          outputs: hoisted.map { ($0.name, $0.node) })
        let inputNames = Dictionary(uniqueKeysWithValues: hoisted.map { ($0.node.index, $0.name) })
        let step = copy(graph, keeping: stepNeeds, asInputs: inputNames,
                        outputs: graph.outputs.map { ($0.name, $0.node) })

        var live = [Bool](repeating: false, count: count)
        for output in graph.outputs { live[output.node.index] = true }
        for i in stride(from: count - 1, through: 0, by: -1) where live[i] {
            for input in graph.nodes[i].inputs { live[input.index] = true }
        }
        return HoistedGraph(prefix: prefix, step: step, hoisted: hoisted,
                            originalNodeCount: live.lazy.filter { $0 }.count)
    }

    /// Ops that only move, view or relabel data: not worth a buffer of their own between runs.
    static func isCheap(_ op: Op) -> Bool {
        switch op {
        case .parameter, .input, .constant, .iota, .reshape, .permute, .slice, .expand, .cast, .stopGradient:
            return true
        default:
            return false
        }
    }

    /// The nodes of `graph` marked in `keep`, renumbered in order; nodes in `asInputs` become
    /// inputs of that name (same type and scope).
    static func copy(_ graph: Graph, keeping keep: [Bool], asInputs: [Int: String],
                     outputs: [(String, NodeID)]) -> Graph {
        var newID = [Int](repeating: -1, count: graph.nodes.count)
        var nodes: [Node] = []
        for node in graph.nodes where keep[node.id.index] {
            let id = NodeID(nodes.count)
            newID[node.id.index] = id.index
            if let name = asInputs[node.id.index] {
                nodes.append(Node(id: id, op: .input(name: name), inputs: [], type: node.type, scope: node.scope))
            } else {
                nodes.append(Node(id: id, op: node.op, inputs: node.inputs.map { NodeID(newID[$0.index]) },
                                  type: node.type, scope: node.scope))
            }
        }
        return Graph(nodes: nodes, outputs: outputs.map { GraphOutput(name: $0.0, node: NodeID(newID[$0.1.index])) })
    }
}
