import TensorGraph

/// Rebuilds `graph` keeping the nodes where `keep` is true, reading `replacement[id]` in place
/// of each replaced node, and renumbering densely.
func rebuild(_ graph: Graph, keep: [Bool], replacement: [NodeID: NodeID] = [:]) -> Graph {
    var newID = [Int](repeating: -1, count: graph.nodes.count)
    var nodes: [Node] = []
    func resolve(_ id: NodeID) -> NodeID {
        var id = id
        while let r = replacement[id] { id = r }
        return NodeID(newID[id.index])
    }
    for node in graph.nodes where keep[node.id.index] {
        var copy = node
        copy.id = NodeID(nodes.count)
        copy.inputs = node.inputs.map(resolve)
        newID[node.id.index] = nodes.count
        nodes.append(copy)
    }
    let outputs = graph.outputs.map { GraphOutput(name: $0.name, node: resolve($0.node)) }
    return Graph(nodes: nodes, outputs: outputs)
}

extension GraphPass {
    /// Removes nodes no output needs. Parameters, inputs and RNG keys stay: they are the
    /// graph's interface, and a plan must accept the same feeds after the pass.
    public static let deadCode = GraphPass("dead-code") { graph in
        var live = [Bool](repeating: false, count: graph.nodes.count)
        for output in graph.outputs { live[output.node.index] = true }
        for node in graph.nodes.reversed() {
            switch node.op {
            case .parameter, .input, .rngKey: live[node.id.index] = true
            default: break
            }
            if live[node.id.index] { for input in node.inputs { live[input.index] = true } }
        }
        return rebuild(graph, keep: live)
    }

    /// Merges nodes that apply the same op to the same inputs with the same type. Every op is
    /// a pure function of its inputs (random ops of their key), so this is always safe.
    public static let commonSubexpressions = GraphPass("common-subexpressions") { graph in
        struct Key: Hashable { let op: Op; let inputs: [NodeID]; let type: TensorType }
        var seen: [Key: NodeID] = [:]
        var replacement: [NodeID: NodeID] = [:]
        var keep = [Bool](repeating: true, count: graph.nodes.count)
        for node in graph.nodes {
            let inputs = node.inputs.map { id -> NodeID in replacement[id] ?? id }
            let key = Key(op: node.op, inputs: inputs, type: node.type)
            if let first = seen[key] {
                replacement[node.id] = first
                keep[node.id.index] = false
            } else {
                seen[key] = node.id
            }
        }
        return rebuild(graph, keep: keep, replacement: replacement)
    }
}
