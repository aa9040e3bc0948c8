import TensorGraph

/// The `descr` strings of `.npy` files: a byte-order character then a type code (`<f4`, `|b1`).
enum NumPyDType {
    /// Type codes this reader converts, with the element each is stored as.
    static let codes: [(code: String, element: StoredElement)] = [
        ("f4", .float32), ("f2", .float16), ("f8", .float64),
        ("i4", .int32), ("i8", .int64), ("i2", .int16), ("i1", .int8),
        ("u1", .uint8), ("u2", .uint16), ("u4", .uint32), ("u8", .uint64),
        ("b1", .bool),
    ]

    /// The supported descrs, for messages.
    static var supportedDescription: String {
        codes.map { ($0.element.byteSize == 1 ? "|" : "<") + $0.code }.joined(separator: ", ")
    }

    /// What a descr means: an element, a big-endian layout, or something unsupported.
    enum Parsed: Equatable {
        case element(StoredElement)
        case bigEndian
        case unsupported
    }

    /// Parses `descr`. `=` (native order) is read as little-endian, as on every machine this
    /// runs on; byte order does not matter for one-byte types.
    static func parse(_ descr: String) -> Parsed {
        guard let order = descr.first, "<>|=".contains(order) else { return .unsupported }
        guard let element = codes.first(where: { $0.code == descr.dropFirst() })?.element else { return .unsupported }
        if order == ">" && element.byteSize > 1 { return .bigEndian }
        if order == "|" && element.byteSize > 1 { return .unsupported }
        return .element(element)
    }

    /// The descr a host dtype is written as.
    static func written(for dtype: DType) -> String {
        switch dtype {
        case .float32: return "<f4"
        case .int32: return "<i4"
        case .bool: return "|b1"
        }
    }
}
