import TensorGraph

extension ReferenceKernels {
    /// An index read from an int32 tensor, checked against the axis it selects on.
    static func checkedIndex(_ value: Double, extent: Int, op: OpKind, scope: String) throws(RuntimeError) -> Int {
        let index = Int(value)
        guard index >= 0 && index < extent else {
            throw .indexOutOfRange(scope: scope, op: op, index: index, extent: extent)
        }
        return index
    }

    /// `numpy.take(x, indices, axis)`: x [A..., n, B...] and indices I give [A..., I..., B...].
    static func gather(_ x: HostTensor, indices: HostTensor, axis: Int, out: TensorType, scope: String) throws(RuntimeError) -> HostTensor {
        let n = x.shape[axis]
        let outer = product(x.shape[..<axis])
        let inner = product(x.shape[(axis + 1)...])
        var scalars: [Double] = []
        scalars.reserveCapacity(out.count)
        for o in 0..<outer {
            for value in indices.scalars {
                let row = try checkedIndex(value, extent: n, op: .gather, scope: scope)
                let start = (o * n + row) * inner
                scalars.append(contentsOf: x.scalars[start..<(start + inner)])
            }
        }
        return HostTensor(shape: out.shape, dtype: x.dtype, scalars: scalars)
    }

    /// The adjoint of `gather`: updates [A..., I..., B...] added into zeros [A..., size, B...].
    static func scatterAdd(
        _ updates: HostTensor, indices: HostTensor, axis: Int, size: Int, out: TensorType, scope: String
    ) throws(RuntimeError) -> HostTensor {
        let outer = product(out.shape[..<axis])
        let inner = product(out.shape[(axis + 1)...])
        var result = HostTensor.zeros(out.shape)
        var source = 0
        for o in 0..<outer {
            for value in indices.scalars {
                let row = try checkedIndex(value, extent: size, op: .scatter_add, scope: scope)
                for j in 0..<inner {
                    result.scalars[(o * size + row) * inner + j] += updates.scalars[source]
                    source += 1
                }
            }
        }
        return result
    }

    /// For each index element, its offset in a tensor of `shape` not counting `axis`
    /// (the index supplies that coordinate).
    private static func alongAxisBases(indices: HostTensor, shape: [Int], axis: Int) -> (bases: [Int], axisStride: Int) {
        var strides = contiguousStrides(shape)
        let axisStride = strides[axis]
        strides[axis] = 0
        return (stridedOffsets(shape: indices.shape, strides: strides), axisStride)
    }

    /// `numpy.take_along_axis(x, indices, axis)`.
    static func takeAlongAxis(_ x: HostTensor, indices: HostTensor, axis: Int, scope: String) throws(RuntimeError) -> HostTensor {
        let (bases, axisStride) = alongAxisBases(indices: indices, shape: x.shape, axis: axis)
        var scalars: [Double] = []
        scalars.reserveCapacity(indices.count)
        for (i, value) in indices.scalars.enumerated() {
            let index = try checkedIndex(value, extent: x.shape[axis], op: .take_along_axis, scope: scope)
            scalars.append(x.scalars[bases[i] + index * axisStride])
        }
        return HostTensor(shape: indices.shape, dtype: x.dtype, scalars: scalars)
    }

    /// The adjoint of `takeAlongAxis`: each update added at its index along `axis`.
    static func scatterAlongAxisAdd(
        _ updates: HostTensor, indices: HostTensor, axis: Int, out: TensorType, scope: String
    ) throws(RuntimeError) -> HostTensor {
        let (bases, axisStride) = alongAxisBases(indices: indices, shape: out.shape, axis: axis)
        var result = HostTensor.zeros(out.shape)
        for (i, value) in indices.scalars.enumerated() {
            let index = try checkedIndex(value, extent: out.shape[axis], op: .scatter_along_axis_add, scope: scope)
            result.scalars[bases[i] + index * axisStride] += updates.scalars[i]
        }
        return result
    }

    /// Float one-hot rows along a new last axis; an index outside 0..<depth throws, as
    /// `F.one_hot` does.
    static func oneHot(_ indices: HostTensor, depth: Int, scope: String) throws(RuntimeError) -> HostTensor {
        var result = HostTensor.zeros(indices.shape + [depth])
        for (i, value) in indices.scalars.enumerated() {
            let index = try checkedIndex(value, extent: depth, op: .one_hot, scope: scope)
            result.scalars[i * depth + index] = 1
        }
        return result
    }

    /// A total order for sorting: NaN above every number (as `torch.sort` places it).
    private static func below(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN { return false }
        return b.isNaN || a < b
    }

    /// Positions of a lane's values in sorted order; ties keep their original order.
    private static func sortedPositions(_ values: [Double], descending: Bool) -> [Int] {
        values.indices.sorted { i, j in
            let (a, b) = (values[i], values[j])
            if below(a, b) { return !descending }
            if below(b, a) { return descending }
            return i < j
        }
    }

    /// Indices of the `k` largest values along `axis`, largest first, ties lower index first.
    static func topK(_ x: HostTensor, k: Int, axis: Int, out: TensorType) -> HostTensor {
        var result = HostTensor.zeros(out.shape, dtype: .int32)
        let outLanes = lanes(out.shape, axis: axis)
        for (lane, outLane) in zip(lanes(x.shape, axis: axis), outLanes) {
            let order = sortedPositions(lane.map { x.scalars[$0] }, descending: true)
            for (offset, position) in zip(outLane, order.prefix(k)) { result.scalars[offset] = Double(position) }
        }
        return result
    }

    /// Indices that sort each lane along `axis` (stable in both directions).
    static func argsort(_ x: HostTensor, axis: Int, descending: Bool) -> HostTensor {
        var result = HostTensor.zeros(x.shape, dtype: .int32)
        for lane in lanes(x.shape, axis: axis) {
            let order = sortedPositions(lane.map { x.scalars[$0] }, descending: descending)
            for (offset, position) in zip(lane, order) { result.scalars[offset] = Double(position) }
        }
        return result
    }
}
