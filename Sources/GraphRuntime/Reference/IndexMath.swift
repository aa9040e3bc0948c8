import TensorGraph

// Index arithmetic shared by the reference kernels. Everything here works on flat row-major
// offsets, so a kernel reads as "which input element feeds this output element".

/// Calls `body` with every multi-index of `shape` in row-major order (once for a scalar,
/// never for an empty shape).
func forEachIndex<E: Error>(_ shape: [Int], _ body: ([Int]) throws(E) -> Void) throws(E) {
    if shape.contains(0) { return }
    var index = [Int](repeating: 0, count: shape.count)
    while true {
        try body(index)
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < shape[axis] { break }
            index[axis] = 0
            axis -= 1
        }
        if axis < 0 { return }
    }
}

/// For each element of `shape` (row-major), the offset `base + Σ index[i] · strides[i]`.
///
/// Broadcasting (stride 0), transposition (permuted strides), slicing (a base and the
/// source's strides) and padding (the destination's strides) are all this one walk.
func stridedOffsets(shape: [Int], strides: [Int], base: Int = 0) -> [Int] {
    var offsets: [Int] = []
    offsets.reserveCapacity(shape.reduce(1, *))
    forEachIndex(shape) { index in
        var offset = base
        for axis in 0..<index.count { offset += index[axis] * strides[axis] }
        offsets.append(offset)
    }
    return offsets
}

/// Strides that read a tensor of `shape` as if broadcast to `target` (NumPy rules): size-1
/// and missing leading axes get stride 0.
func broadcastStrides(from shape: [Int], to target: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    let lead = target.count - shape.count
    return (0..<target.count).map { axis in
        axis < lead || shape[axis - lead] == 1 ? 0 : own[axis - lead]
    }
}

/// For each element of `target`, the offset of the element of `shape` broadcast onto it.
func broadcastOffsets(from shape: [Int], to target: [Int]) -> [Int] {
    stridedOffsets(shape: target, strides: broadcastStrides(from: shape, to: target))
}

/// The 1-D lanes of `shape` along `axis`: each lane lists the flat offsets of its elements,
/// lanes in row-major order of the other axes.
func lanes(_ shape: [Int], axis: Int) -> [[Int]] {
    let strides = contiguousStrides(shape)
    var outer = shape
    outer[axis] = 1
    return stridedOffsets(shape: outer, strides: strides).map { start in
        (0..<shape[axis]).map { start + $0 * strides[axis] }
    }
}

/// For each element of `shape`, the flat offset of its reduction group in the reduced shape.
func reductionGroups(_ shape: [Int], axes: [Int]) -> (groups: [Int], groupCount: Int) {
    let kept = (0..<shape.count).map { axes.contains($0) ? 1 : shape[$0] }
    let keptStrides = contiguousStrides(kept)
    let strides = (0..<shape.count).map { axes.contains($0) ? 0 : keptStrides[$0] }
    return (stridedOffsets(shape: shape, strides: strides), kept.reduce(1, *))
}

/// A product of extents, 1 for none.
func product<C: Collection<Int>>(_ extents: C) -> Int { extents.reduce(1, *) }
