/// Element type of a tensor.
///
/// The IR is typed strictly: arithmetic never promotes between dtypes, a `cast` node says so.
public enum DType: String, Hashable, Sendable, Codable, CaseIterable {
    case float32
    case int32
    case bool

    /// Size of one element in bytes, as the runtime stores it.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .bool: return 1
        }
    }

    /// Whether gradients flow through values of this type.
    public var isFloatingPoint: Bool { self == .float32 }
}
