/// The static type of a value in the graph: its shape and element type.
///
/// Shapes are fully static. A scalar has shape `[]`.
public struct TensorType: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Extent of each axis, outermost first.
    public var shape: [Int]
    /// Element type.
    public var dtype: DType

    public init(_ shape: [Int], _ dtype: DType = .float32) {
        self.shape = shape
        self.dtype = dtype
    }

    /// Number of axes.
    public var rank: Int { shape.count }
    /// Number of elements (1 for a scalar); saturates at `Int.max` instead of trapping, so a
    /// corrupt shape is reported by the shape rules rather than crashing.
    public var count: Int {
        var n = 1
        for d in shape {
            let (product, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return Int.max }
            n = product
        }
        return n
    }

    /// The largest number of elements one value may have (2⁴⁰, far beyond any real model).
    public static let maxElementCount = 1 << 40
    /// Bytes needed to hold the value.
    public var byteCount: Int { count == Int.max ? Int.max : count * dtype.byteSize }

    /// `f32[2,3]`, `i32[]`, `bool[4]`.
    public var description: String {
        let prefix: String
        switch dtype {
        case .float32: prefix = "f32"
        case .int32: prefix = "i32"
        case .bool: prefix = "bool"
        }
        return "\(prefix)[\(shape.map(String.init).joined(separator: ","))]"
    }
}

/// Row-major strides of a shape (in elements).
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis] = running
        running *= shape[axis]
    }
    return strides
}

/// NumPy broadcasting of two shapes, or `nil` when they are incompatible.
public func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if da == db || db == 1 {
            out[i] = da
        } else if da == 1 {
            out[i] = db
        } else {
            return nil
        }
    }
    return out
}
