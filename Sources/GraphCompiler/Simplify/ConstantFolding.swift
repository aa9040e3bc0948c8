import GraphRuntime
import TensorGraph

extension GraphPass {
    /// Replaces nodes whose inputs are all literals (`constant` or `iota`) by the `constant`
    /// they evaluate to, with the default `SimplifyOptions` (float32 arithmetic, results of at
    /// most 4096 elements).
    ///
    /// Safe because every op is a pure function of its inputs: the reference interpreter
    /// computes the value the node would have had at run time. Sources (parameters, inputs,
    /// RNG keys, constants, iotas) and random ops are never folded, nor is a node the
    /// interpreter refuses (an int32 division by zero, an index out of range): it stays to
    /// fail at run time as before.
    public static let constantFolding = constantFolding(SimplifyOptions())

    /// Constant folding with explicit options (precision and size limits).
    ///
    /// Splat constants (one value for every element) fold at any size through elementwise and
    /// layout ops, by evaluating the op on one element: the result is again a splat.
    public static func constantFolding(_ options: SimplifyOptions) -> GraphPass {
        GraphPass("constant-folding") { graph in
            let folder = ConstantFolder(options: options)
            return GraphRewriter.rewrite(graph) { rewriter, node, inputs in
                folder.fold(node, inputs: inputs, in: &rewriter)
            }
        }
    }
}

/// The evaluation behind `.constantFolding`.
struct ConstantFolder {
    let options: SimplifyOptions

    /// The folded constant standing for `node`, or `nil` to keep the node.
    func fold(_ node: Node, inputs: [NodeID], in rewriter: inout GraphRewriter) -> NodeID? {
        guard Self.isFoldable(node.op), !inputs.isEmpty else { return nil }
        let literals = inputs.map { rewriter[$0] }
        guard literals.allSatisfy({ Self.isLiteral($0.op) }) else { return nil }

        if let value = splatResult(node, literals: literals) {
            return rewriter.constant([value], node.type, scope: node.scope)
        }
        guard node.type.count <= options.maxFoldedElements else { return nil }
        for literal in literals {
            if case .constant(let values) = literal.op, values.count == 1 { continue }
            guard literal.type.count <= options.maxFoldedInputElements else { return nil }
        }
        guard let values = evaluate(node.op, type: node.type, inputs: literals) else { return nil }
        return rewriter.constant(values, node.type, scope: node.scope)
    }

    /// Whether the op may be folded at all: not a source (nothing to fold) and not random (its
    /// value is meant to change with the key fed at run time).
    static func isFoldable(_ op: Op) -> Bool {
        switch op {
        case .parameter, .input, .constant, .iota, .rngKey, .randomUniform, .randomNormal, .foldIn:
            return false
        default:
            return true
        }
    }

    /// Nodes whose value is known at compile time.
    static func isLiteral(_ op: Op) -> Bool {
        switch op {
        case .constant, .iota: return true
        default: return false
        }
    }

    /// The one value of the result when every input is a splat and the op maps elements to
    /// elements (or only moves them): then the result is a splat of any size.
    func splatResult(_ node: Node, literals: [Node]) -> Double? {
        var splats: [Double] = []
        for literal in literals {
            guard case .constant(let values) = literal.op, values.count == 1 else { return nil }
            splats.append(values[0])
        }
        switch node.op {
        case .reshape, .permute, .slice, .expand, .stopGradient:
            return splats[0]
        case .concat:
            return splats.allSatisfy({ $0.bitPattern == splats[0].bitPattern }) ? splats[0] : nil
        case .pad(_, _, let value):
            let padsSomething = literals[0].type.count != node.type.count
            return !padsSomething || value.bitPattern == splats[0].bitPattern ? splats[0] : nil
        case .unary, .binary, .select, .clamp, .cast:
            // One element of each input, as a scalar; the elementwise kernel does the rest.
            let scalarInputs = zip(literals, splats).map { literal, value in
                Node(id: literal.id, op: .constant(values: [value]), inputs: [],
                     type: TensorType([], literal.type.dtype), scope: literal.scope)
            }
            let type = TensorType([], node.type.dtype)
            return evaluate(node.op, type: type, inputs: scalarInputs)?.first
        default:
            return nil
        }
    }

    /// Runs `op` on the literal inputs with the reference interpreter; `nil` if it refuses.
    func evaluate(_ op: Op, type: TensorType, inputs: [Node]) -> [Double]? {
        var nodes: [Node] = []
        for (position, input) in inputs.enumerated() {
            nodes.append(Node(id: NodeID(position), op: input.op, inputs: [], type: input.type, scope: input.scope))
        }
        let result = NodeID(nodes.count)
        nodes.append(Node(id: result, op: op, inputs: (0..<inputs.count).map(NodeID.init), type: type, scope: ""))
        let graph = Graph(nodes: nodes, outputs: [GraphOutput(name: "folded", node: result)])
        guard let values = try? ReferenceInterpreter(precision: options.foldingPrecision).evaluate(graph, feeds: [:])
        else { return nil }
        return values[result.index].scalars
    }
}
