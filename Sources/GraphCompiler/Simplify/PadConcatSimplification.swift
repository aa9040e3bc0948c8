import TensorGraph

extension GraphRewriter {
    /// `pad(a) + pad(b)` where both pad with zeros along one and the same axis, into ranges
    /// that touch, becomes `pad(concat(a, b))` (the pad vanishes when the two cover the axis).
    /// Autodiff writes this sum for every tensor split by slices; the concat moves each element
    /// once instead of adding two full-size zero-padded buffers.
    mutating func concatenatingAdjacentPads(_ node: Node, _ x: NodeID, _ y: NodeID) -> NodeID? {
        guard hasSingleUse(node.inputs[0]), hasSingleUse(node.inputs[1]),
              let first = paddedRange(x, shape: node.type.shape),
              let second = paddedRange(y, shape: node.type.shape),
              first.axis == second.axis
        else { return nil }
        let (low, high) = first.range.lowerBound <= second.range.lowerBound ? (first, second) : (second, first)
        guard low.range.upperBound == high.range.lowerBound else { return nil }
        let axis = first.axis
        let joined = emit(.concat(axis: axis), [self[low.pad].inputs[0], self[high.pad].inputs[0]], scope: node.scope)
        var before = [Int](repeating: 0, count: node.type.rank)
        var after = before
        before[axis] = low.range.lowerBound
        after[axis] = node.type.shape[axis] - high.range.upperBound
        if before[axis] == 0 && after[axis] == 0 { return joined }
        return emit(.pad(before: before, after: after, value: 0), [joined], scope: node.scope)
    }

    /// For a zero-pad of `shape` that pads only one axis: that axis and where the padded value
    /// lies along it.
    private func paddedRange(_ id: NodeID, shape: [Int]) -> (pad: NodeID, axis: Int, range: Range<Int>)? {
        guard case .pad(let before, let after, let value) = self[id].op, value == 0,
              type(of: id).shape == shape
        else { return nil }
        let padded = (0..<shape.count).filter { before[$0] != 0 || after[$0] != 0 }
        guard padded.count == 1, let axis = padded.first else { return nil }
        return (id, axis, before[axis]..<(shape[axis] - after[axis]))
    }

    /// `concat` whose parts include single-use `concat`s on the same axis: their parts inline.
    mutating func flattenedConcat(_ node: Node, inputs: [NodeID], axis: Int) -> NodeID? {
        var parts: [NodeID] = []
        var changed = false
        for (old, new) in zip(node.inputs, inputs) {
            if case .concat(let innerAxis) = self[new].op, innerAxis == axis, hasSingleUse(old) {
                parts += self[new].inputs
                changed = true
            } else {
                parts.append(new)
            }
        }
        return changed ? emit(.concat(axis: axis), parts, scope: node.scope) : nil
    }

    /// `reshape(reduce(x, axes, keepDims: true))` to the shape without the kept axes is the
    /// reduction without `keepDims` (same values, same order), when nothing else reads it.
    mutating func reductionDroppingKeptAxes(_ node: Node, input: NodeID, shape: [Int]) -> NodeID? {
        guard case .reduce(let op, let axes, true) = self[input].op, hasSingleUse(node.inputs[0]) else { return nil }
        let source = self[input].inputs[0]
        guard reducedShape(type(of: source).shape, axes: axes, keepDims: false) == shape else { return nil }
        return emit(.reduce(op, axes: axes, keepDims: false), [source], scope: node.scope)
    }
}
