import TensorGraph

/// A concrete tensor held on the host, row-major.
///
/// Every dtype is stored as `Double`: float32 values as their (possibly `Float`-rounded)
/// value, int32 values as integral numbers, bool values as 0 or 1. This is the value type of
/// the reference interpreter, which favours being obviously right over being fast.
public struct HostTensor: Equatable, Sendable, CustomStringConvertible {
    /// Extent of each axis, outermost first; `[]` for a scalar.
    public var shape: [Int]
    /// Element type the scalars stand for.
    public var dtype: DType
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Double]

    /// A tensor of `shape` holding `scalars` (row-major).
    public init(shape: [Int], dtype: DType = .float32, scalars: [Double]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in \(shape)")
        precondition(scalars.count == shape.reduce(1, *),
                     "\(scalars.count) scalars for shape \(shape)")
        self.shape = shape
        self.dtype = dtype
        self.scalars = scalars
    }

    /// A float32 scalar.
    public init(_ value: Double) {
        self.init(shape: [], dtype: .float32, scalars: [value])
    }

    /// A tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], dtype: DType = .float32, repeating value: Double) {
        self.init(shape: shape, dtype: dtype, scalars: [Double](repeating: value, count: shape.reduce(1, *)))
    }

    /// All zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> HostTensor {
        HostTensor(shape: shape, dtype: dtype, repeating: 0)
    }

    /// The static type this value has.
    public var type: TensorType { TensorType(shape, dtype) }

    /// Number of elements.
    public var count: Int { scalars.count }

    /// The element at a row-major position.
    public subscript(flat index: Int) -> Double {
        get { scalars[index] }
        set { scalars[index] = newValue }
    }

    /// The element at a multi-index (one entry per axis).
    public subscript(index: [Int]) -> Double {
        get { scalars[flatIndex(index)] }
        set { scalars[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var flat = 0
        for (i, extent) in zip(index, shape) {
            precondition(i >= 0 && i < extent, "index \(index) outside shape \(shape)")
            flat = flat * extent + i
        }
        return flat
    }

    /// `f32[2,3] [1.0, 2.0, ...]`, eliding long tensors.
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "\(type) [\(shown)\(scalars.count > 8 ? ", ..." : "")]"
    }
}
