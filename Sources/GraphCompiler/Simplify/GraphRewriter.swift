import TensorGraph

/// Builds a new graph from an old one, node by node, in the old graph's order.
///
/// A rewrite rule sees each old node with its inputs already mapped into the new graph and
/// either lets the node be copied or emits replacement nodes and names the one that now
/// stands for it. Because nodes are emitted in order, the result is in SSA order by
/// construction; nodes a replacement made dead are left for `.deadCode`.
struct GraphRewriter {
    /// The graph being rewritten.
    let old: Graph
    /// The new graph's nodes so far.
    private(set) var nodes: [Node] = []
    /// For every old node already visited, the new node that stands for it.
    private var newID: [NodeID]
    /// How many live nodes and outputs read each old node (dead readers, which earlier
    /// rewrites leave behind, do not count).
    let oldUses: [Int]

    init(_ graph: Graph) {
        old = graph
        oldUses = liveUseCounts(graph)
        newID = []
        newID.reserveCapacity(graph.nodes.count)
        nodes.reserveCapacity(graph.nodes.count)
    }

    /// The new node already emitted with id `id`.
    subscript(id: NodeID) -> Node { nodes[id.index] }

    /// The new node that stands for the old node `id` (which must have been visited).
    func mapped(_ id: NodeID) -> NodeID { newID[id.index] }

    /// Whether only one node or output reads the old node `id`, so a rewrite of its reader may
    /// absorb it without computing it twice.
    func hasSingleUse(_ id: NodeID) -> Bool { oldUses[id.index] == 1 }

    /// Appends `op` applied to `inputs` (new ids), inferring its type. Rules only emit ops whose
    /// shape rule they have checked, so a failure here is a bug in the rule.
    mutating func emit(_ op: Op, _ inputs: [NodeID], declared: TensorType? = nil, scope: String) -> NodeID {
        let types = inputs.map { nodes[$0.index].type }
        let type: TensorType
        do {
            type = try inferType(op, inputs: types, declared: declared, scope: scope)
        } catch {
            preconditionFailure("simplification emitted an ill-typed \(op.kind.rawValue) at \(scope): \(error)")
        }
        let id = NodeID(nodes.count)
        nodes.append(Node(id: id, op: op, inputs: inputs, type: type, scope: scope))
        return id
    }

    /// A constant of `type` holding `values` (one value when all are equal).
    mutating func constant(_ values: [Double], _ type: TensorType, scope: String) -> NodeID {
        let uniform = !values.isEmpty && values.allSatisfy { $0.bitPattern == values[0].bitPattern }
        let compact = uniform ? [values[0]] : values
        return emit(.constant(values: compact), [], declared: type, scope: scope)
    }

    /// `x` broadcast to `shape`, or `x` itself when it already has that shape.
    mutating func expanded(_ x: NodeID, to shape: [Int], scope: String) -> NodeID {
        nodes[x.index].type.shape == shape ? x : emit(.expand(shape: shape), [x], scope: scope)
    }

    /// `x` reshaped to `shape`, or `x` itself when it already has that shape.
    mutating func reshaped(_ x: NodeID, to shape: [Int], scope: String) -> NodeID {
        nodes[x.index].type.shape == shape ? x : emit(.reshape(shape: shape), [x], scope: scope)
    }

    /// Visits every old node in order: `rule` returns the new node that replaces it (whose type
    /// must equal the old node's), or `nil` to copy the node with its inputs mapped.
    static func rewrite(
        _ graph: Graph, _ rule: (inout GraphRewriter, Node, [NodeID]) -> NodeID?
    ) -> Graph {
        var rewriter = GraphRewriter(graph)
        for node in graph.nodes {
            let inputs = node.inputs.map { rewriter.newID[$0.index] }
            if let replacement = rule(&rewriter, node, inputs) {
                precondition(rewriter.nodes[replacement.index].type == node.type,
                             "a simplification changed the type of \(node.op.kind.rawValue) at \(node.scope) "
                                + "from \(node.type) to \(rewriter.nodes[replacement.index].type)")
                rewriter.newID.append(replacement)
            } else {
                var copy = node
                copy.id = NodeID(rewriter.nodes.count)
                copy.inputs = inputs
                rewriter.nodes.append(copy)
                rewriter.newID.append(copy.id)
            }
        }
        let outputs = graph.outputs.map { GraphOutput(name: $0.name, node: rewriter.newID[$0.node.index]) }
        return Graph(nodes: rewriter.nodes, outputs: outputs)
    }
}

/// Number of uses of every node by outputs and by nodes an output depends on.
func liveUseCounts(_ graph: Graph) -> [Int] {
    var live = [Bool](repeating: false, count: graph.nodes.count)
    var uses = [Int](repeating: 0, count: graph.nodes.count)
    for output in graph.outputs {
        live[output.node.index] = true
        uses[output.node.index] += 1
    }
    for node in graph.nodes.reversed() where live[node.id.index] {
        for input in node.inputs {
            live[input.index] = true
            uses[input.index] += 1
        }
    }
    return uses
}
