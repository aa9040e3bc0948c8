/// The shape rule of every op: the output type of `op` applied to `inputs`.
///
/// Sources and random ops have no inputs to infer from; their type is `declared` and only
/// checked. Axes in attributes are already normalised (0 ..< rank).
public func inferType(
    _ op: Op, inputs: [TensorType], declared: TensorType?, scope: String = ""
) throws(GraphError) -> TensorType {
    let type = try ruleType(op, inputs: inputs, declared: declared, scope: scope)
    guard type.count <= TensorType.maxElementCount else {
        throw .shape(scope: scope, op: op.kind, inputs: inputs, reason: "the result \(type) has more than 2^40 elements")
    }
    return type
}

private func ruleType(
    _ op: Op, inputs: [TensorType], declared: TensorType?, scope: String
) throws(GraphError) -> TensorType {
    func fail(_ reason: String) -> GraphError {
        .shape(scope: scope, op: op.kind, inputs: inputs, reason: reason)
    }
    for t in inputs + (declared.map { [$0] } ?? []) where t.count > TensorType.maxElementCount {
        throw fail("\(t) has more than 2^40 elements")
    }
    func arity(_ n: Int) throws(GraphError) {
        if inputs.count != n { throw fail("expects \(n) inputs, got \(inputs.count)") }
    }
    func need(_ condition: Bool, _ reason: @autoclosure () -> String) throws(GraphError) {
        if !condition { throw fail(reason()) }
    }
    func declaredType() throws(GraphError) -> TensorType {
        guard let declared else { throw fail("a source op needs a declared type") }
        try need(declared.shape.allSatisfy { $0 >= 0 }, "negative extent in \(declared)")
        return declared
    }
    func axesValid(_ axes: [Int], rank: Int) -> Bool {
        axes.allSatisfy { $0 >= 0 && $0 < rank } && Set(axes).count == axes.count
    }

    switch op {
    case .parameter, .input:
        try arity(0)
        return try declaredType()
    case .constant(let values):
        try arity(0)
        let t = try declaredType()
        try need(values.count == 1 || values.count == t.count,
                 "\(values.count) values for \(t.count) elements")
        return t
    case .iota(let axis):
        try arity(0)
        let t = try declaredType()
        try need(t.dtype == .int32, "iota is int32")
        try need(axis >= 0 && axis < t.rank, "axis \(axis) out of range for \(t)")
        return t
    case .rngKey:
        try arity(0)
        let t = try declaredType()
        try need(t == TensorType([2], .int32), "an RNG key is i32[2]")
        return t
    case .randomUniform, .randomNormal:
        try arity(1)
        try need(inputs[0] == TensorType([2], .int32), "the key must be i32[2]")
        let t = try declaredType()
        try need(t.dtype == .float32, "random values are float32")
        return t
    case .foldIn:
        try arity(1)
        try need(inputs[0] == TensorType([2], .int32), "the key must be i32[2]")
        return inputs[0]

    case .unary(let u):
        try arity(1)
        let x = inputs[0]
        switch u {
        case .logicalNot:
            try need(x.dtype == .bool, "logical_not takes bool")
        case .neg, .abs, .sign:
            try need(x.dtype != .bool, "\(op.kind.rawValue) takes numbers")
        default:
            try need(x.dtype == .float32, "\(op.kind.rawValue) takes float32")
        }
        return x
    case .binary(let b):
        try arity(2)
        let (a, c) = (inputs[0], inputs[1])
        try need(a.dtype == c.dtype, "dtypes differ; insert a cast")
        guard let shape = broadcastShapes(a.shape, c.shape) else {
            throw fail("shapes do not broadcast")
        }
        if b.isLogical {
            try need(a.dtype == .bool, "logical ops take bool")
            return TensorType(shape, .bool)
        }
        let equality = b == .equal || b == .notEqual
        try need(a.dtype != .bool || equality, "arithmetic and ordering take numbers")
        if b == .pow { try need(a.dtype == .float32, "pow takes float32") }
        return TensorType(shape, b.isComparison ? .bool : a.dtype)
    case .select:
        try arity(3)
        try need(inputs[0].dtype == .bool, "the condition must be bool")
        try need(inputs[1].dtype == inputs[2].dtype, "both branches need one dtype")
        guard let ab = broadcastShapes(inputs[1].shape, inputs[2].shape),
              let shape = broadcastShapes(inputs[0].shape, ab)
        else { throw fail("shapes do not broadcast") }
        return TensorType(shape, inputs[1].dtype)
    case .clamp(let lo, let hi):
        try arity(1)
        try need(inputs[0].dtype == .float32, "clamp takes float32")
        try need(lo <= hi, "min \(lo) is above max \(hi)")
        return inputs[0]
    case .cast(let to):
        try arity(1)
        return TensorType(inputs[0].shape, to)
    case .stopGradient:
        try arity(1)
        return inputs[0]

    case .reduce(let r, let axes, let keepDims):
        try arity(1)
        let x = inputs[0]
        try need(axesValid(axes, rank: x.rank), "axes \(axes) invalid for rank \(x.rank)")
        if r != .sum && r != .max { try need(x.dtype == .float32, "\(op.kind.rawValue) takes float32") }
        try need(x.dtype != .bool, "reductions take numbers")
        try need(axes.allSatisfy { x.shape[$0] > 0 } || r == .sum, "reducing an empty axis")
        return TensorType(reducedShape(x.shape, axes: axes, keepDims: keepDims), x.dtype)
    case .argmax(let axis, let keepDims):
        try arity(1)
        let x = inputs[0]
        try need(axesValid([axis], rank: x.rank), "axis \(axis) invalid for rank \(x.rank)")
        try need(x.dtype != .bool && x.shape[axis] > 0, "argmax takes numbers over a non-empty axis")
        return TensorType(reducedShape(x.shape, axes: [axis], keepDims: keepDims), .int32)

    case .softmax(let axis), .l2Normalize(let axis, _):
        try arity(1)
        try need(inputs[0].dtype == .float32, "takes float32")
        try need(axesValid([axis], rank: inputs[0].rank), "axis \(axis) invalid")
        return inputs[0]
    case .layerNorm:
        try arity(1)
        try need(inputs[0].dtype == .float32 && inputs[0].rank >= 1, "takes float32 of rank >= 1")
        return inputs[0]

    case .matmul(let ta, let tb):
        try arity(2)
        let (a, b) = (inputs[0], inputs[1])
        try need(a.dtype == .float32 && b.dtype == .float32, "matmul takes float32")
        try need(a.rank >= 2 && b.rank >= 2, "matmul needs rank >= 2 on both sides")
        let m = ta ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
        let ka = ta ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let kb = tb ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
        let n = tb ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        try need(ka == kb, "inner dimensions \(ka) and \(kb) differ")
        guard let batch = broadcastShapes(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
            throw fail("batch dimensions do not broadcast")
        }
        return TensorType(batch + [m, n], .float32)

    case .reshape(let shape):
        try arity(1)
        try need(shape.allSatisfy { $0 >= 0 }, "negative extent in \(shape)")
        try need(TensorType(shape).count == inputs[0].count,
                 "\(inputs[0].count) elements cannot take shape \(shape)")
        return TensorType(shape, inputs[0].dtype)
    case .permute(let perm):
        try arity(1)
        try need(perm.sorted() == Array(0..<inputs[0].rank), "\(perm) is not a permutation of the axes")
        return TensorType(perm.map { inputs[0].shape[$0] }, inputs[0].dtype)
    case .slice(let starts, let ends):
        try arity(1)
        let x = inputs[0]
        try need(starts.count == x.rank && ends.count == x.rank, "slice needs a start and end per axis")
        for axis in 0..<x.rank {
            try need(0 <= starts[axis] && starts[axis] <= ends[axis] && ends[axis] <= x.shape[axis],
                     "range \(starts[axis])..<\(ends[axis]) outside axis \(axis) of extent \(x.shape[axis])")
        }
        return TensorType(zip(starts, ends).map { $1 - $0 }, x.dtype)
    case .concat(let axis):
        try need(!inputs.isEmpty, "concat needs inputs")
        let first = inputs[0]
        try need(axis >= 0 && axis < first.rank, "axis \(axis) invalid for rank \(first.rank)")
        var shape = first.shape
        shape[axis] = 0
        for t in inputs {
            try need(t.dtype == first.dtype && t.rank == first.rank, "inputs differ in dtype or rank")
            for i in 0..<t.rank where i != axis {
                try need(t.shape[i] == first.shape[i], "axis \(i) differs")
            }
            shape[axis] += t.shape[axis]
        }
        return TensorType(shape, first.dtype)
    case .pad(let before, let after, _):
        try arity(1)
        let x = inputs[0]
        try need(before.count == x.rank && after.count == x.rank, "pad needs before/after per axis")
        try need((before + after).allSatisfy { $0 >= 0 }, "negative padding")
        return TensorType((0..<x.rank).map { x.shape[$0] + before[$0] + after[$0] }, x.dtype)
    case .expand(let shape):
        try arity(1)
        try need(shape.count >= inputs[0].rank && broadcastShapes(inputs[0].shape, shape) == shape,
                 "cannot broadcast to \(shape)")
        return TensorType(shape, inputs[0].dtype)

    case .gather(let axis):
        try arity(2)
        let (x, idx) = (inputs[0], inputs[1])
        try need(idx.dtype == .int32, "indices must be int32")
        try need(axis >= 0 && axis < x.rank, "axis \(axis) invalid for rank \(x.rank)")
        return TensorType(Array(x.shape[..<axis]) + idx.shape + Array(x.shape[(axis + 1)...]), x.dtype)
    case .scatterAdd(let axis, let size):
        try arity(2)
        let (updates, idx) = (inputs[0], inputs[1])
        try need(idx.dtype == .int32, "indices must be int32")
        try need(updates.dtype == .float32, "updates must be float32")
        let outRank = updates.rank - idx.rank + 1
        try need(axis >= 0 && axis < outRank && size >= 0, "axis \(axis) invalid")
        try need(Array(updates.shape[axis..<(axis + idx.rank)]) == idx.shape,
                 "updates do not hold the index shape at axis \(axis)")
        return TensorType(Array(updates.shape[..<axis]) + [size] + Array(updates.shape[(axis + idx.rank)...]),
                          updates.dtype)
    case .takeAlongAxis(let axis):
        try arity(2)
        let (x, idx) = (inputs[0], inputs[1])
        try need(idx.dtype == .int32 && idx.rank == x.rank, "indices must be int32 of the same rank")
        try need(axis >= 0 && axis < x.rank, "axis \(axis) invalid")
        for i in 0..<x.rank where i != axis {
            try need(idx.shape[i] == x.shape[i], "axis \(i) differs")
        }
        return TensorType(idx.shape, x.dtype)
    case .scatterAlongAxisAdd(let axis, let size):
        try arity(2)
        let (updates, idx) = (inputs[0], inputs[1])
        try need(idx.dtype == .int32 && idx.shape == updates.shape, "indices must be int32 shaped like updates")
        try need(updates.dtype == .float32, "updates must be float32")
        try need(axis >= 0 && axis < updates.rank, "axis \(axis) invalid")
        var shape = updates.shape
        shape[axis] = size
        return TensorType(shape, .float32)
    case .oneHot(let depth):
        try arity(1)
        try need(inputs[0].dtype == .int32 && depth > 0, "one_hot takes int32 indices and depth > 0")
        return TensorType(inputs[0].shape + [depth], .float32)
    case .topK(let k, let axis):
        try arity(1)
        let x = inputs[0]
        try need(axis >= 0 && axis < x.rank, "axis \(axis) invalid")
        try need(k >= 0 && k <= x.shape[axis], "k \(k) exceeds axis extent \(x.shape[axis])")
        var shape = x.shape
        shape[axis] = k
        return TensorType(shape, .int32)
    case .argsort(let axis, _):
        try arity(1)
        try need(axis >= 0 && axis < inputs[0].rank, "axis \(axis) invalid")
        return TensorType(inputs[0].shape, .int32)

    case .attention(_, let hasBias, let hasMask):
        try arity(3 + (hasBias ? 1 : 0) + (hasMask ? 1 : 0))
        return try attentionOutput(inputs, hasBias: hasBias, hasMask: hasMask, fail: fail)
    case .attentionGrad(let wrt, _, let hasBias, let hasMask):
        try arity(5 + (hasBias ? 1 : 0) + (hasMask ? 1 : 0))
        let o = try attentionOutput(Array(inputs.dropLast(2)), hasBias: hasBias, hasMask: hasMask, fail: fail)
        try need(inputs[inputs.count - 2] == o && inputs[inputs.count - 1] == o,
                 "o and dO must have the attention output's type \(o)")
        switch wrt {
        case .query: return inputs[0]
        case .key: return inputs[1]
        case .value: return inputs[2]
        case .bias:
            try need(hasBias, "a gradient for the bias needs a bias")
            return inputs[3]
        }

    case .conv(let stride, let padding, let groups):
        try arity(2)
        let (x, w) = (inputs[0], inputs[1])
        let spatial = x.rank - 2
        try convChecks(x: x, w: w, stride: stride, padding: padding, groups: groups, fail: fail)
        var out: [Int] = []
        for i in 0..<spatial {
            let padded: Int = x.shape[2 + i] + 2 * padding[i]
            out.append((padded - w.shape[2 + i]) / stride[i] + 1)
        }
        try need(out.allSatisfy { $0 > 0 }, "kernel larger than the padded input")
        return TensorType([x.shape[0], w.shape[0]] + out, .float32)
    case .convTranspose(let stride, let padding, let groups, let outputSpatial):
        try arity(2)
        let (dy, w) = (inputs[0], inputs[1])
        try need(dy.rank >= 3 && w.rank == dy.rank, "gradient [N,O,...] and weight [O,C/g,...] need one rank >= 3")
        let spatial = dy.rank - 2
        try need(outputSpatial.count == spatial, "output size per spatial axis")
        let x = TensorType([dy.shape[0], w.shape[1] * groups] + outputSpatial, .float32)
        try convChecks(x: x, w: w, stride: stride, padding: padding, groups: groups, fail: fail)
        let expected = try inferType(.conv(stride: stride, padding: padding, groups: groups),
                                     inputs: [x, w], declared: nil, scope: scope)
        try need(expected == dy, "gradient \(dy) does not match the conv output \(expected)")
        return x
    case .convWeightGrad(let stride, let padding, let groups, let kernel):
        try arity(2)
        let (x, dy) = (inputs[0], inputs[1])
        try need(x.rank >= 3 && dy.rank == x.rank, "input [N,C,...] and gradient [N,O,...] need one rank >= 3")
        try need(kernel.count == x.rank - 2, "kernel size per spatial axis")
        try need(groups > 0 && x.shape[1] % groups == 0, "channels not divisible by groups")
        let w = TensorType([dy.shape[1], x.shape[1] / groups] + kernel, .float32)
        let expected = try inferType(.conv(stride: stride, padding: padding, groups: groups),
                                     inputs: [x, w], declared: nil, scope: scope)
        try need(expected == dy, "gradient \(dy) does not match the conv output \(expected)")
        return w
    }
}

/// The output type of attention over q, k, v, [bias], [mask].
private func attentionOutput(
    _ inputs: [TensorType], hasBias: Bool, hasMask: Bool, fail: (String) -> GraphError
) throws(GraphError) -> TensorType {
    let (q, k, v) = (inputs[0], inputs[1], inputs[2])
    guard [q, k, v].allSatisfy({ $0.dtype == .float32 && $0.rank >= 2 }) else {
        throw fail("q, k and v must be float32 of rank >= 2")
    }
    let lead = Array(q.shape.dropLast(2))
    guard Array(k.shape.dropLast(2)) == lead, Array(v.shape.dropLast(2)) == lead else {
        throw fail("q, k and v need the same leading (batch, head) axes")
    }
    let (i, d) = (q.shape[q.rank - 2], q.shape[q.rank - 1])
    let (j, dk) = (k.shape[k.rank - 2], k.shape[k.rank - 1])
    guard d == dk else { throw fail("q and k feature sizes \(d) and \(dk) differ") }
    guard v.shape[v.rank - 2] == j else { throw fail("k has \(j) keys but v has \(v.shape[v.rank - 2])") }
    let scores = lead + [i, j]
    var next = 3
    if hasBias {
        let bias = inputs[next]
        guard bias.dtype == .float32, broadcastShapes(bias.shape, scores) == scores else {
            throw fail("the bias \(bias) must broadcast to the scores \(scores)")
        }
        next += 1
    }
    if hasMask {
        let mask = inputs[next]
        guard mask.dtype == .bool, broadcastShapes(mask.shape, scores) == scores else {
            throw fail("the mask \(mask) must be bool and broadcast to the scores \(scores)")
        }
    }
    return TensorType(lead + [i, v.shape[v.rank - 1]], .float32)
}

private func convChecks(
    x: TensorType, w: TensorType, stride: [Int], padding: [Int], groups: Int,
    fail: (String) -> GraphError
) throws(GraphError) {
    let spatial = x.rank - 2
    guard x.dtype == .float32, w.dtype == .float32 else { throw fail("conv takes float32") }
    guard spatial >= 1, w.rank == x.rank else { throw fail("input [N,C,...] and weight [O,C/g,...] ranks differ") }
    guard stride.count == spatial, padding.count == spatial else { throw fail("stride and padding per spatial axis") }
    guard stride.allSatisfy({ $0 > 0 }), padding.allSatisfy({ $0 >= 0 }) else { throw fail("bad stride or padding") }
    guard groups > 0, x.shape[1] % groups == 0, w.shape[0] % groups == 0 else {
        throw fail("channels \(x.shape[1]) / \(w.shape[0]) not divisible by groups \(groups)")
    }
    guard w.shape[1] == x.shape[1] / groups else {
        throw fail("weight expects \(w.shape[1] * groups) input channels, input has \(x.shape[1])")
    }
}

/// Shape after reducing `axes`, keeping them as size-1 axes or dropping them.
public func reducedShape(_ shape: [Int], axes: [Int], keepDims: Bool) -> [Int] {
    var out: [Int] = []
    for (i, d) in shape.enumerated() {
        if axes.contains(i) {
            if keepDims { out.append(1) }
        } else {
            out.append(d)
        }
    }
    return out
}
