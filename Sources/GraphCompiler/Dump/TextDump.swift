import TensorGraph

/// A readable listing of `graph`: one line per node, then one line per output.
///
/// A node line is `%<id> = <op> [<attributes>] <type> @<scope> (<inputs>)`, for example
/// `%12 = matmul tB f32[576,1536] @layers.0.1.to_kv (%3, %11)`. Attributes are
/// `Op.attributeSummary` and are left out when empty; the root scope prints as `@<root>`.
/// An output line is `output <name> = %<id> <type>`. Every line ends with a newline.
public func textDump(_ graph: Graph) -> String {
    var text = ""
    for node in graph.nodes {
        text += textDumpLine(node) + "\n"
    }
    for output in graph.outputs {
        let type = graph.nodes.indices.contains(output.node.index) ? " \(graph[output.node].type)" : ""
        text += "output \(output.name) = \(output.node)\(type)\n"
    }
    return text
}

/// The text-dump line of one node, without a newline.
public func textDumpLine(_ node: Node) -> String {
    let attributes = node.op.attributeSummary
    let op = attributes.isEmpty ? node.op.kind.rawValue : "\(node.op.kind.rawValue) \(attributes)"
    let scope = node.scope.isEmpty ? "<root>" : node.scope
    let inputs = node.inputs.map(\.description).joined(separator: ", ")
    return "\(node.id) = \(op) \(node.type) @\(scope) (\(inputs))"
}
