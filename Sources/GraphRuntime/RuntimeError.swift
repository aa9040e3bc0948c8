import TensorGraph

/// Errors a caller can cause when running a graph: feeds that do not fit it, and data that
/// an op cannot accept (an index out of range, an integer division by zero).
public enum RuntimeError: Error, Equatable, CustomStringConvertible {
    /// The graph reads a parameter, input or RNG key that `feeds` does not hold.
    case missingFeed(name: String, expected: TensorType)
    /// A feed has another shape or dtype than the node that reads it.
    case feedTypeMismatch(name: String, expected: TensorType, got: TensorType)
    /// A feed holds a value its dtype cannot hold (a fraction for int32, 2 for bool).
    case invalidFeedValue(name: String, dtype: DType, index: Int, value: Double)
    /// An index op read index `index` on an axis with `extent` entries.
    case indexOutOfRange(scope: String, op: OpKind, index: Int, extent: Int)
    /// An int32 division had a zero divisor.
    case integerDivisionByZero(scope: String)
    /// An optimizer got a gradient whose type differs from its parameter.
    case gradientTypeMismatch(name: String, parameter: TensorType, gradient: TensorType)

    public var description: String {
        switch self {
        case .missingFeed(let name, let expected):
            return "missing feed '\(name)': the graph reads it as \(expected); add it to the feeds"
        case .feedTypeMismatch(let name, let expected, let got):
            return "feed '\(name)' is \(got) but the graph reads \(expected); "
                + "reshape or cast the value before feeding it"
        case .invalidFeedValue(let name, let dtype, let index, let value):
            let allowed = dtype == .bool ? "0 or 1" : "an integer in the int32 range"
            return "feed '\(name)' holds \(value) at element \(index), but a \(dtype.rawValue) "
                + "element must be \(allowed)"
        case .indexOutOfRange(let scope, let op, let index, let extent):
            let at = scope.isEmpty ? "<root>" : scope
            return "index \(index) out of range at \(at) (\(op.rawValue)): the axis has \(extent) "
                + "entries, so indices must lie in 0..<\(extent)"
        case .integerDivisionByZero(let scope):
            let at = scope.isEmpty ? "<root>" : scope
            return "int32 division by zero at \(at); mask the divisor or divide in float32"
        case .gradientTypeMismatch(let name, let parameter, let gradient):
            return "gradient of '\(name)' is \(gradient) but the parameter is \(parameter); "
                + "pass the gradient the backward graph produced for this parameter"
        }
    }
}
