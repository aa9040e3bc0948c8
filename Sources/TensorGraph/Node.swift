/// The index of a node in its graph. Nodes are in SSA form: a node only reads nodes with
/// smaller ids.
public struct NodeID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }
    public var description: String { "%\(index)" }

    public init(from decoder: any Decoder) throws {
        index = try decoder.singleValueContainer().decode(Int.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(index)
    }
}

/// One operation applied to earlier values, producing one typed value.
public struct Node: Hashable, Sendable, Codable {
    public var id: NodeID
    public var op: Op
    public var inputs: [NodeID]
    public var type: TensorType
    /// Dotted path of the layer that made the node (`layers.0.1.to_q`); backward nodes are
    /// prefixed with `backward/`.
    public var scope: String

    public init(id: NodeID, op: Op, inputs: [NodeID], type: TensorType, scope: String) {
        self.id = id
        self.op = op
        self.inputs = inputs
        self.type = type
        self.scope = scope
    }
}

/// A named result of a graph.
public struct GraphOutput: Hashable, Sendable, Codable {
    public var name: String
    public var node: NodeID
    public init(name: String, node: NodeID) {
        self.name = name
        self.node = node
    }
}
