import Foundation
import TensorGraph

/// The graph as one pretty-printed JSON object with sorted keys:
/// `{"nodes": [...], "outputs": [{"name": ..., "node": id}, ...]}`.
///
/// Each node is `{"id": int, "op": OpKind name, "shape": [int], "dtype": DType name,
/// "inputs": [int], "scope": string, "attrs": <Op>}`, where `attrs` is the Swift-synthesised
/// `Codable` encoding of the `Op` value (so `graphFromJSON` restores it exactly). `op`,
/// `shape` and `dtype` are there for readers that do not decode `attrs`. Non-finite
/// numbers are written as the strings `"inf"`, `"-inf"` and `"nan"`.
public func jsonDump(_ graph: Graph) throws(DumpError) -> String {
    let document = JSONGraphDocument(
        nodes: graph.nodes.map(JSONGraphNode.init),
        outputs: graph.outputs.map { JSONGraphOutput(name: $0.name, node: $0.node.index) }
    )
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do {
        let data = try encoder.encode(document)
        return String(decoding: data, as: UTF8.self) + "\n"
    } catch {
        throw DumpError.encodingFailed("\(error)")
    }
}

/// Reads a graph written by `jsonDump`, checks that every node's `op` agrees with its
/// `attrs` and that its integers are in range (`DumpLimits`), and verifies the result.
///
/// - Throws: `DumpError` saying what is wrong and where.
public func graphFromJSON(_ text: String) throws(DumpError) -> Graph {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let document: JSONGraphDocument
    do {
        document = try decoder.decode(JSONGraphDocument.self, from: Data(text.utf8))
    } catch let error as DecodingError {
        throw .malformedJSON(describe(error))
    } catch {
        throw .malformedJSON("\(error)")
    }
    var nodes: [Node] = []
    for (position, entry) in document.nodes.enumerated() {
        nodes.append(try entry.node(position: position))
    }
    let graph = Graph(
        nodes: nodes,
        outputs: document.outputs.map { GraphOutput(name: $0.name, node: NodeID($0.node)) }
    )
    do {
        try verify(graph)
    } catch {
        throw .invalidGraph(error)
    }
    return graph
}

/// The top-level object of a JSON dump.
struct JSONGraphDocument: Codable {
    var nodes: [JSONGraphNode]
    var outputs: [JSONGraphOutput]
}

/// One named output of a JSON dump.
struct JSONGraphOutput: Codable {
    var name: String
    var node: Int
}

/// One node of a JSON dump.
struct JSONGraphNode: Codable {
    var id: Int
    var op: String
    var shape: [Int]
    var dtype: String
    var inputs: [Int]
    var scope: String
    var attrs: Op

    init(_ node: Node) {
        id = node.id.index
        op = node.op.kind.rawValue
        shape = node.type.shape
        dtype = node.type.dtype.rawValue
        inputs = node.inputs.map(\.index)
        scope = node.scope
        attrs = node.op
    }

    /// The IR node, after checking the redundant fields agree with `attrs`.
    func node(position: Int) throws(DumpError) -> Node {
        guard let kind = OpKind(rawValue: op) else { throw .unknownOp(node: position, name: op) }
        guard kind == attrs.kind else {
            throw .opMismatch(node: position, op: op, attrs: attrs.kind.rawValue)
        }
        guard let type = DType(rawValue: dtype) else { throw .unknownDType(node: position, name: dtype) }
        let node = Node(id: NodeID(id), op: attrs, inputs: inputs.map(NodeID.init),
                        type: TensorType(shape, type), scope: scope)
        if let problem = DumpLimits.violation(in: node) { throw .outOfRange(node: position, detail: problem) }
        return node
    }
}

/// `at nodes[3].attrs: <what went wrong>`.
private func describe(_ error: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text.isEmpty ? "top level" : text
    }
    switch error {
    case .dataCorrupted(let context):
        return "at \(path(context.codingPath)): \(context.debugDescription)"
    case .keyNotFound(let key, let context):
        return "at \(path(context.codingPath)): missing field '\(key.stringValue)'"
    case .typeMismatch(let type, let context):
        return "at \(path(context.codingPath)): expected \(type); \(context.debugDescription)"
    case .valueNotFound(let type, let context):
        return "at \(path(context.codingPath)): expected \(type) but found null"
    @unknown default:
        return "\(error)"
    }
}
