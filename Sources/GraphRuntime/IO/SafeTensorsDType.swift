import TensorGraph

/// The dtype names of the safetensors format and how each maps to a stored element.
enum SafeTensorsDType {
    /// Names this reader converts, with the element each is stored as.
    static let supported: [(name: String, element: StoredElement)] = [
        ("F32", .float32), ("F16", .float16), ("BF16", .bfloat16), ("F64", .float64),
        ("I32", .int32), ("I64", .int64), ("I16", .int16), ("I8", .int8),
        ("U8", .uint8), ("U16", .uint16), ("U32", .uint32), ("U64", .uint64),
        ("BOOL", .bool),
    ]

    /// Names the format defines that this reader does not convert (8-, 6- and 4-bit floats,
    /// complex numbers): refused with a message rather than read as something else.
    static let knownUnsupported: Set<String> = ["F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"]

    /// The supported names, for messages.
    static var supportedNames: String { supported.map(\.name).joined(separator: ", ") }

    /// The element stored under `name`, if this reader converts it.
    static func element(named name: String) -> StoredElement? {
        supported.first { $0.name == name }?.element
    }

    /// The name a host dtype is written under.
    static func writtenName(for dtype: DType) -> String {
        switch dtype {
        case .float32: return "F32"
        case .int32: return "I32"
        case .bool: return "BOOL"
        }
    }

    /// The reference writer lays tensors out by dtype, widest alignment first, then by name;
    /// this is that dtype order for the dtypes written here.
    static func writeRank(of dtype: DType) -> Int {
        switch dtype {
        case .float32: return 0
        case .int32: return 1
        case .bool: return 2
        }
    }
}
