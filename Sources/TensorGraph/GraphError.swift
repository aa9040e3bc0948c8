/// Errors a user can cause while building or checking a graph.
public enum GraphError: Error, Equatable, CustomStringConvertible {
    /// An op was applied to values of types it does not accept.
    case shape(scope: String, op: OpKind, inputs: [TensorType], reason: String)
    /// A structural problem found by the verifier (bad SSA order, unknown output, ...).
    case invalid(String)
    /// A parameter name was declared twice with different shapes or initialisers.
    case duplicateParameter(name: String, first: TensorType, second: TensorType)

    public var description: String {
        switch self {
        case .shape(let scope, let op, let inputs, let reason):
            let shapes = inputs.map(\.description).joined(separator: " and ")
            let at = scope.isEmpty ? "<root>" : scope
            return "shape error at \(at): \(op.rawValue) of \(shapes): \(reason)"
        case .invalid(let message):
            return "invalid graph: \(message)"
        case .duplicateParameter(let name, let first, let second):
            return "parameter \(name) declared twice with different types (\(first), \(second)) "
                + "or initialisers; give the second layer its own name"
        }
    }
}
