/// A symbolic tensor: a node of the graph a `Tracer` is building.
///
/// Ops on tensors record nodes; they never compute. Shapes are known at once, so model code
/// can branch on `shape` like PyTorch code branches on `x.shape`.
public struct Tensor {
    public let id: NodeID
    public let tracer: Tracer

    public init(id: NodeID, tracer: Tracer) {
        self.id = id
        self.tracer = tracer
    }

    public var type: TensorType { tracer.graph[id].type }
    public var shape: [Int] { type.shape }
    public var dtype: DType { type.dtype }
    public var rank: Int { type.rank }

    /// Normalises a possibly negative axis against this tensor's rank.
    public func axis(_ a: Int) -> Int { a < 0 ? a + rank : a }

    /// A scalar constant of this tensor's dtype (so `mask .== 1.0` compares bools with bools).
    func scalar(_ v: Double) -> Tensor { tracer.constant(v, [], dtype) }
}

// MARK: Elementwise

extension Tensor {
    func unary(_ u: UnaryOp) -> Tensor { tracer.record(.unary(u), [self]) }
    func binary(_ b: BinaryOp, _ other: Tensor) -> Tensor { tracer.record(.binary(b), [self, other]) }

    public func exp() -> Tensor { unary(.exp) }
    public func log() -> Tensor { unary(.log) }
    public func sqrt() -> Tensor { unary(.sqrt) }
    public func rsqrt() -> Tensor { unary(.rsqrt) }
    public func abs() -> Tensor { unary(.abs) }
    public func sign() -> Tensor { unary(.sign) }
    public func tanh() -> Tensor { unary(.tanh) }
    public func erf() -> Tensor { unary(.erf) }
    public func sigmoid() -> Tensor { unary(.sigmoid) }
    public func relu() -> Tensor { unary(.relu) }
    /// Exact (erf) GELU, as `F.gelu` computes by default.
    public func gelu() -> Tensor { unary(.gelu) }
    public func sin() -> Tensor { unary(.sin) }
    public func cos() -> Tensor { unary(.cos) }
    public func leakyRelu(_ alpha: Double = 0.01) -> Tensor { unary(.leakyRelu(alpha: alpha)) }
    public func logicalNot() -> Tensor { unary(.logicalNot) }
    public func square() -> Tensor { self * self }
    public func pow(_ e: Tensor) -> Tensor { binary(.pow, e) }
    public func pow(_ e: Double) -> Tensor { binary(.pow, scalar(e)) }
    public func maximum(_ o: Tensor) -> Tensor { binary(.maximum, o) }
    public func maximum(_ o: Double) -> Tensor { binary(.maximum, scalar(o)) }
    public func minimum(_ o: Tensor) -> Tensor { binary(.minimum, o) }
    public func minimum(_ o: Double) -> Tensor { binary(.minimum, scalar(o)) }
    public func clamp(min: Double, max: Double) -> Tensor { tracer.record(.clamp(min: min, max: max), [self]) }
    public func cast(_ to: DType) -> Tensor { tracer.record(.cast(to), [self]) }
    /// Identity whose gradient is zero (`tensor.detach()`).
    public func stopGradient() -> Tensor { tracer.record(.stopGradient, [self]) }

    public static prefix func - (x: Tensor) -> Tensor { x.unary(.neg) }
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(.add, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(.sub, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(.mul, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.binary(.div, b) }
    public static func + (a: Tensor, b: Double) -> Tensor { a.binary(.add, a.scalar(b)) }
    public static func - (a: Tensor, b: Double) -> Tensor { a.binary(.sub, a.scalar(b)) }
    public static func * (a: Tensor, b: Double) -> Tensor { a.binary(.mul, a.scalar(b)) }
    public static func / (a: Tensor, b: Double) -> Tensor { a.binary(.div, a.scalar(b)) }
    public static func + (a: Double, b: Tensor) -> Tensor { b.scalar(a).binary(.add, b) }
    public static func - (a: Double, b: Tensor) -> Tensor { b.scalar(a).binary(.sub, b) }
    public static func * (a: Double, b: Tensor) -> Tensor { b.scalar(a).binary(.mul, b) }
    public static func / (a: Double, b: Tensor) -> Tensor { b.scalar(a).binary(.div, b) }

    // Pointwise comparisons and logic, spelled as Swift's SIMD operators.
    public static func .== (a: Tensor, b: Tensor) -> Tensor { a.binary(.equal, b) }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { a.binary(.notEqual, b) }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { a.binary(.less, b) }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { a.binary(.lessEqual, b) }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { a.binary(.greater, b) }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { a.binary(.greaterEqual, b) }
    public static func .== (a: Tensor, b: Double) -> Tensor { a.binary(.equal, a.scalar(b)) }
    public static func .!= (a: Tensor, b: Double) -> Tensor { a.binary(.notEqual, a.scalar(b)) }
    public static func .< (a: Tensor, b: Double) -> Tensor { a.binary(.less, a.scalar(b)) }
    public static func .<= (a: Tensor, b: Double) -> Tensor { a.binary(.lessEqual, a.scalar(b)) }
    public static func .> (a: Tensor, b: Double) -> Tensor { a.binary(.greater, a.scalar(b)) }
    public static func .>= (a: Tensor, b: Double) -> Tensor { a.binary(.greaterEqual, a.scalar(b)) }
    public static func .& (a: Tensor, b: Tensor) -> Tensor { a.binary(.logicalAnd, b) }
    public static func .| (a: Tensor, b: Tensor) -> Tensor { a.binary(.logicalOr, b) }
}

/// `cond ? a : b` elementwise, with broadcasting (`torch.where`).
public func select(_ cond: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    cond.tracer.record(.select, [cond, a, b])
}

/// `cond ? a : b` with a scalar for `b` (`masked_fill`).
public func select(_ cond: Tensor, _ a: Tensor, _ b: Double) -> Tensor {
    select(cond, a, a.scalar(b))
}

// MARK: Reductions and row ops

extension Tensor {
    func normalizedAxes(_ axes: [Int]?) -> [Int] {
        (axes ?? Array(0..<rank)).map(axis).sorted()
    }
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        tracer.record(.reduce(.sum, axes: normalizedAxes(axes), keepDims: keepDims), [self])
    }
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        tracer.record(.reduce(.mean, axes: normalizedAxes(axes), keepDims: keepDims), [self])
    }
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        tracer.record(.reduce(.max, axes: normalizedAxes(axes), keepDims: keepDims), [self])
    }
    public func logSumExp(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        tracer.record(.reduce(.logSumExp, axes: normalizedAxes(axes), keepDims: keepDims), [self])
    }
    public func argmax(axis a: Int, keepDims: Bool = false) -> Tensor {
        tracer.record(.argmax(axis: axis(a), keepDims: keepDims), [self])
    }
    public func softmax(axis a: Int = -1) -> Tensor { tracer.record(.softmax(axis: axis(a)), [self]) }
    public func logSoftmax(axis a: Int = -1) -> Tensor { self - logSumExp(axes: [a], keepDims: true) }
    /// Zero mean, unit variance over the last axis (no affine part).
    public func layerNorm(epsilon: Double = 1e-5) -> Tensor { tracer.record(.layerNorm(epsilon: epsilon), [self]) }
    /// `F.normalize(x, dim: axis)`.
    public func l2Normalize(axis a: Int = -1, epsilon: Double = 1e-12) -> Tensor {
        tracer.record(.l2Normalize(axis: axis(a), epsilon: epsilon), [self])
    }
}

// MARK: Linear algebra

/// Batched `op(a) · op(b)` with broadcast batch axes.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    a.tracer.record(.matmul(transposeA: transposeA, transposeB: transposeB), [a, b])
}

// MARK: Layout

extension Tensor {
    /// Reshape; one extent may be -1 and is inferred.
    public func reshape(_ shape: [Int]) -> Tensor {
        var shape = shape
        if let hole = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            shape[hole] = known == 0 ? 0 : type.count / known
        }
        return tracer.record(.reshape(shape: shape), [self])
    }
    public func permute(_ perm: [Int]) -> Tensor { tracer.record(.permute(perm: perm.map(axis)), [self]) }
    /// Swaps two axes.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var perm = Array(0..<rank)
        perm.swapAt(axis(a), axis(b))
        return permute(perm)
    }
    /// `x[..., range, ...]` along one axis.
    public func slice(axis a: Int, _ range: Range<Int>) -> Tensor {
        var starts = [Int](repeating: 0, count: rank)
        var ends = shape
        starts[axis(a)] = range.lowerBound
        ends[axis(a)] = range.upperBound
        return tracer.record(.slice(starts: starts, ends: ends), [self])
    }
    /// Pads one axis with `before`/`after` elements of `value`.
    public func pad(axis a: Int, before: Int, after: Int, value: Double = 0) -> Tensor {
        var b = [Int](repeating: 0, count: rank)
        var e = [Int](repeating: 0, count: rank)
        b[axis(a)] = before
        e[axis(a)] = after
        return tracer.record(.pad(before: b, after: e, value: value), [self])
    }
    /// Broadcasts to `shape`.
    public func expand(_ shape: [Int]) -> Tensor {
        shape == self.shape ? self : tracer.record(.expand(shape: shape), [self])
    }
    /// Inserts a size-1 axis at `a`.
    public func unsqueeze(_ a: Int) -> Tensor {
        var s = shape
        s.insert(1, at: a < 0 ? a + rank + 1 : a)
        return reshape(s)
    }
    /// `numpy.take(self, indices, axis)`; embeddings are `table.gather(ids, axis: 0)`.
    public func gather(_ indices: Tensor, axis a: Int = 0) -> Tensor {
        tracer.record(.gather(axis: axis(a)), [self, indices])
    }
    public func takeAlongAxis(_ indices: Tensor, axis a: Int) -> Tensor {
        tracer.record(.takeAlongAxis(axis: axis(a)), [self, indices])
    }
    /// Adds `self` (shaped like `indices` at `axis`) into zeros with `size` entries along `axis`:
    /// the adjoint of `gather`.
    public func scatterAdd(_ indices: Tensor, axis a: Int, size: Int) -> Tensor {
        tracer.record(.scatterAdd(axis: axis(a), size: size), [self, indices])
    }
    /// The adjoint of `takeAlongAxis`.
    public func scatterAlongAxisAdd(_ indices: Tensor, axis a: Int, size: Int) -> Tensor {
        tracer.record(.scatterAlongAxisAdd(axis: axis(a), size: size), [self, indices])
    }
    /// A new RNG key derived from this one and `data` (split keys by folding in 0, 1, ...).
    public func foldIn(_ data: Int) -> Tensor { tracer.record(.foldIn(data: data), [self]) }
    public func oneHot(_ depth: Int) -> Tensor { tracer.record(.oneHot(depth: depth), [self]) }
    /// Indices of the `k` largest values along `axis`, largest first.
    public func topK(_ k: Int, axis a: Int = -1) -> Tensor { tracer.record(.topK(k: k, axis: axis(a)), [self]) }
    public func argsort(axis a: Int = -1, descending: Bool = false) -> Tensor {
        tracer.record(.argsort(axis: axis(a), descending: descending), [self])
    }
    /// Convolution, channels first: `self` is [N, C, spatial...], `weight` [O, C/groups, k...].
    public func conv(_ weight: Tensor, stride: [Int], padding: [Int], groups: Int = 1) -> Tensor {
        tracer.record(.conv(stride: stride, padding: padding, groups: groups), [self, weight])
    }
    /// The transpose of `conv` in its input: maps a conv output gradient `self` back to an input
    /// of spatial size `outputSpatial` (a transposed convolution).
    public func convTranspose(_ weight: Tensor, stride: [Int], padding: [Int], groups: Int = 1,
                              outputSpatial: [Int]) -> Tensor {
        tracer.record(.convTranspose(stride: stride, padding: padding, groups: groups,
                                     outputSpatial: outputSpatial), [self, weight])
    }
    /// The transpose of `conv` in its weight: `x.convWeightGrad(dy, ...)` has the weight's shape.
    public func convWeightGrad(_ dy: Tensor, stride: [Int], padding: [Int], groups: Int = 1,
                               kernel: [Int]) -> Tensor {
        tracer.record(.convWeightGrad(stride: stride, padding: padding, groups: groups, kernel: kernel),
                      [self, dy])
    }
}

/// Scaled dot-product attention, `softmax(q·kᵀ·scale + bias, masked) · v`, as one op that
/// the runtime computes block by block without the full score matrix. `mask` is bool (true
/// keeps a score); both `bias` and `mask` broadcast to [..., I, J].
public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor? = nil, mask: Tensor? = nil,
                      scale: Double) -> Tensor {
    let inputs = [q, k, v] + (bias.map { [$0] } ?? []) + (mask.map { [$0] } ?? [])
    return q.tracer.record(.attention(scale: scale, hasBias: bias != nil, hasMask: mask != nil), inputs)
}

/// Concatenates along `axis`.
public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
    let first = tensors[0]
    return first.tracer.record(.concat(axis: first.axis(axis)), tensors)
}
