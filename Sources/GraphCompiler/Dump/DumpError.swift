import TensorGraph

/// Why a graph could not be written to or read from a dump.
public enum DumpError: Error, Equatable, CustomStringConvertible {
    /// The text is not JSON, or not a graph dump (a field missing or of the wrong type).
    case malformedJSON(String)
    /// A node's `op` is not an `OpKind` name.
    case unknownOp(node: Int, name: String)
    /// A node's `op` names one kind but its `attrs` encode another.
    case opMismatch(node: Int, op: String, attrs: String)
    /// A node's `dtype` is not a `DType` name.
    case unknownDType(node: Int, name: String)
    /// A node holds an integer too large for any real graph (see `DumpLimits`).
    case outOfRange(node: Int, detail: String)
    /// The decoded graph fails `verify` (bad ids, wrong shapes, dangling outputs, ...).
    case invalidGraph(GraphError)
    /// The graph could not be encoded.
    case encodingFailed(String)

    public var description: String {
        switch self {
        case .malformedJSON(let message):
            return "not a graph JSON dump: \(message)"
        case .unknownOp(let node, let name):
            return "node \(node): unknown op '\(name)'; expected one of the OpKind names such as matmul"
        case .opMismatch(let node, let op, let attrs):
            return "node \(node): field op is '\(op)' but attrs encode a '\(attrs)' op; make them agree"
        case .unknownDType(let node, let name):
            let valid = DType.allCases.map(\.rawValue).joined(separator: ", ")
            return "node \(node): unknown dtype '\(name)'; expected one of \(valid)"
        case .outOfRange(let node, let detail):
            return "node \(node): \(detail); the dump is corrupt"
        case .invalidGraph(let error):
            return "the dump decodes but is not a valid graph: \(error)"
        case .encodingFailed(let message):
            return "could not encode the graph as JSON: \(message)"
        }
    }
}
