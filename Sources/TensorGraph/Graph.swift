/// A static SSA graph: nodes in topological order plus named outputs.
///
/// `Graph` is a value; passes take one and return another. Build graphs with `Tracer`
/// (through the DSL) rather than by hand: it infers types and records scope paths.
public struct Graph: Hashable, Sendable, Codable {
    public var nodes: [Node]
    public var outputs: [GraphOutput]

    public init(nodes: [Node] = [], outputs: [GraphOutput] = []) {
        self.nodes = nodes
        self.outputs = outputs
    }

    public subscript(id: NodeID) -> Node { nodes[id.index] }

    /// The node of the output called `name`, if any.
    public func output(_ name: String) -> NodeID? {
        outputs.first { $0.name == name }?.node
    }

    /// Parameter nodes in graph order, with their `state_dict` names.
    public var parameters: [(name: String, node: Node)] {
        nodes.compactMap { node in
            if case .parameter(let name, _) = node.op { return (name, node) }
            return nil
        }
    }

    /// Input nodes in graph order.
    public var inputs: [(name: String, node: Node)] {
        nodes.compactMap { node in
            if case .input(let name) = node.op { return (name, node) }
            return nil
        }
    }

    /// RNG key nodes in graph order.
    public var rngKeys: [(name: String, node: Node)] {
        nodes.compactMap { node in
            if case .rngKey(let name) = node.op { return (name, node) }
            return nil
        }
    }

    /// The node of the parameter called `name`, if any.
    public func parameter(_ name: String) -> NodeID? {
        parameters.first { $0.name == name }?.node.id
    }

    /// Number of uses of every node (inputs of other nodes plus outputs).
    public func useCounts() -> [Int] {
        var uses = [Int](repeating: 0, count: nodes.count)
        for node in nodes { for input in node.inputs { uses[input.index] += 1 } }
        for output in outputs { uses[output.node.index] += 1 }
        return uses
    }
}
