/// An operation of the IR with its typed attributes.
///
/// Every op has, in one place per module, a shape rule (`ShapeInference.swift`), a VJP rule or
/// a non-differentiable marker (`GraphCompiler/VJPRules.swift`) and a reference kernel
/// (`GraphRuntime/ReferenceInterpreter.swift`). Those are exhaustive `switch`es over this
/// enum, so adding a case does not compile until every module handles it; `OpKind` lists the
/// flat names for tests and dumps.
public enum Op: Hashable, Sendable, Codable {
    // MARK: Sources
    /// A trainable parameter. `name` is the PyTorch `state_dict` key.
    case parameter(name: String, initializer: Initializer)
    /// A value fed at run time (data, masks, text embeddings).
    case input(name: String)
    /// A literal: one value broadcast over the output type, or one value per element.
    case constant(values: [Double])
    /// Each element holds its index along `axis` (int32).
    case iota(axis: Int)
    /// An RNG key fed at run time (int32[2]); random ops derive all their bits from it.
    case rngKey(name: String)

    // MARK: Random (counter-based; the key is the only state)
    /// Uniform floats in [0, 1) of the output shape, from the key input.
    case randomUniform
    /// Standard normal floats of the output shape, from the key input.
    case randomNormal
    /// A new key derived from the key input and `data` (split a key by folding in 0, 1, ...).
    case foldIn(data: Int)

    // MARK: Elementwise
    case unary(UnaryOp)
    case binary(BinaryOp)
    /// `where(cond, a, b)` with broadcasting.
    case select
    /// Clamp into [min, max]; the gradient passes where min <= x <= max.
    case clamp(min: Double, max: Double)
    /// Conversion between dtypes (float -> int truncates toward zero, nonzero -> true).
    case cast(DType)
    /// Identity in the forward pass; blocks gradients.
    case stopGradient

    // MARK: Reductions
    case reduce(ReduceOp, axes: [Int], keepDims: Bool)
    /// Index of the largest element along `axis` (first on ties), int32.
    case argmax(axis: Int, keepDims: Bool)

    // MARK: Row ops (kept primitive so the compiler can fuse them as rows)
    case softmax(axis: Int)
    /// Normalise over the last axis to zero mean, unit variance (no affine part).
    case layerNorm(epsilon: Double)
    /// `x / max(||x||₂, epsilon)` along `axis` (`F.normalize`).
    case l2Normalize(axis: Int, epsilon: Double)

    // MARK: Linear algebra
    /// Batched matrix product of `[..., m, k] x [..., k, n]`, batch axes broadcast.
    case matmul(transposeA: Bool, transposeB: Bool)

    // MARK: Layout
    case reshape(shape: [Int])
    case permute(perm: [Int])
    /// `x[start0..<end0, start1..<end1, ...]` (step 1; all axes given).
    case slice(starts: [Int], ends: [Int])
    case concat(axis: Int)
    /// Pad each axis with `before`/`after` elements of `value`.
    case pad(before: [Int], after: [Int], value: Double)
    /// Broadcast to `shape` (NumPy rules; leading axes may be added).
    case expand(shape: [Int])

    // MARK: Indexing
    /// `numpy.take(x, indices, axis)`: output shape x[:axis] + indices + x[axis+1:].
    case gather(axis: Int)
    /// Inverse of `gather`: adds `updates` into zeros with `size` entries along `axis`.
    case scatterAdd(axis: Int, size: Int)
    /// `numpy.take_along_axis(x, indices, axis)`.
    case takeAlongAxis(axis: Int)
    /// Inverse of `takeAlongAxis`: adds `updates` into zeros with `size` entries along `axis`.
    case scatterAlongAxisAdd(axis: Int, size: Int)
    /// Float one-hot encoding of int32 indices along a new last axis.
    case oneHot(depth: Int)
    /// Indices (int32) of the `k` largest values along `axis`, largest first, ties by index.
    case topK(k: Int, axis: Int)
    /// Indices (int32) that sort along `axis` (stable).
    case argsort(axis: Int, descending: Bool)

    // MARK: Attention (kept whole so the runtime never materialises the score matrix)
    /// `softmax(q·kᵀ·scale + bias, masked) · v` over the last two axes: inputs q [..., I, D],
    /// k [..., J, D], v [..., J, E], then `bias` (float, broadcast to [..., I, J]) and `mask`
    /// (bool, broadcast to [..., I, J]; false entries score -Float.greatestFiniteMagnitude, as
    /// `masked_fill(~mask, -finfo.max)` does) when present.
    case attention(scale: Double, hasBias: Bool, hasMask: Bool)
    /// The gradient of `attention` with respect to one operand: inputs q, k, v, [bias], [mask],
    /// the attention output o, and its gradient dO; the result has the operand's shape (a
    /// broadcast bias gets the sum over its broadcast axes).
    case attentionGrad(AttentionOperand, scale: Double, hasBias: Bool, hasMask: Bool)

    // MARK: Convolution (N spatial dims, channels first, weight [out, in/groups, k...])
    /// Cross-correlation as `nn.Conv2d` / `nn.Conv3d` compute it.
    case conv(stride: [Int], padding: [Int], groups: Int)
    /// The transpose of `conv` in its first argument (gradient wrt the input); `outputSpatial`
    /// fixes the spatial size the forward conv read.
    case convTranspose(stride: [Int], padding: [Int], groups: Int, outputSpatial: [Int])
    /// The transpose of `conv` in its weight: `convWeightGrad(x, dy)` has the weight's shape.
    case convWeightGrad(stride: [Int], padding: [Int], groups: Int, kernel: [Int])
}

/// The operands of `attention` a gradient can be taken for.
public enum AttentionOperand: String, Hashable, Sendable, Codable, CaseIterable {
    case query, key, value, bias
}

/// Elementwise ops of one input.
public enum UnaryOp: Hashable, Sendable, Codable {
    case neg, exp, log, sqrt, rsqrt, abs, sign, tanh, erf, sigmoid, relu, gelu, sin, cos
    case leakyRelu(alpha: Double)
    case logicalNot
}

/// Elementwise ops of two broadcast inputs.
public enum BinaryOp: String, Hashable, Sendable, Codable, CaseIterable {
    case add, sub, mul, div, pow, maximum, minimum
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case logicalAnd, logicalOr

    /// Comparisons produce bool from two numbers.
    public var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }
    /// Logical ops take and produce bool.
    public var isLogical: Bool { self == .logicalAnd || self == .logicalOr }
}

/// Reductions over a set of axes.
public enum ReduceOp: String, Hashable, Sendable, Codable, CaseIterable {
    case sum, mean, max, logSumExp
}

/// The flat name of every op, as dumps print it.
public enum OpKind: String, CaseIterable, Sendable, Codable {
    case parameter, input, constant, iota, rng_key
    case random_uniform, random_normal, fold_in
    case neg, exp, log, sqrt, rsqrt, abs, sign, tanh, erf, sigmoid, relu, gelu, sin, cos
    case leaky_relu, logical_not
    case add, sub, mul, div, pow, maximum, minimum
    case equal, not_equal, less, less_equal, greater, greater_equal, logical_and, logical_or
    case `where`, clamp, cast, stop_gradient
    case sum, mean, max, logsumexp, argmax
    case softmax, layer_norm, l2_normalize
    case matmul
    case reshape, permute, slice, concat, pad, expand
    case gather, scatter_add, take_along_axis, scatter_along_axis_add, one_hot, top_k, argsort
    case attention, attention_grad
    case conv, conv_transpose, conv_weight_grad
}

extension Op {
    /// The flat op name used in dumps and tests.
    public var kind: OpKind {
        switch self {
        case .parameter: return .parameter
        case .input: return .input
        case .constant: return .constant
        case .iota: return .iota
        case .rngKey: return .rng_key
        case .randomUniform: return .random_uniform
        case .randomNormal: return .random_normal
        case .foldIn: return .fold_in
        case .unary(let u):
            switch u {
            case .neg: return .neg
            case .exp: return .exp
            case .log: return .log
            case .sqrt: return .sqrt
            case .rsqrt: return .rsqrt
            case .abs: return .abs
            case .sign: return .sign
            case .tanh: return .tanh
            case .erf: return .erf
            case .sigmoid: return .sigmoid
            case .relu: return .relu
            case .gelu: return .gelu
            case .sin: return .sin
            case .cos: return .cos
            case .leakyRelu: return .leaky_relu
            case .logicalNot: return .logical_not
            }
        case .binary(let b):
            switch b {
            case .add: return .add
            case .sub: return .sub
            case .mul: return .mul
            case .div: return .div
            case .pow: return .pow
            case .maximum: return .maximum
            case .minimum: return .minimum
            case .equal: return .equal
            case .notEqual: return .not_equal
            case .less: return .less
            case .lessEqual: return .less_equal
            case .greater: return .greater
            case .greaterEqual: return .greater_equal
            case .logicalAnd: return .logical_and
            case .logicalOr: return .logical_or
            }
        case .select: return .where
        case .clamp: return .clamp
        case .cast: return .cast
        case .stopGradient: return .stop_gradient
        case .reduce(let r, _, _):
            switch r {
            case .sum: return .sum
            case .mean: return .mean
            case .max: return .max
            case .logSumExp: return .logsumexp
            }
        case .argmax: return .argmax
        case .softmax: return .softmax
        case .layerNorm: return .layer_norm
        case .l2Normalize: return .l2_normalize
        case .matmul: return .matmul
        case .reshape: return .reshape
        case .permute: return .permute
        case .slice: return .slice
        case .concat: return .concat
        case .pad: return .pad
        case .expand: return .expand
        case .gather: return .gather
        case .scatterAdd: return .scatter_add
        case .takeAlongAxis: return .take_along_axis
        case .scatterAlongAxisAdd: return .scatter_along_axis_add
        case .oneHot: return .one_hot
        case .topK: return .top_k
        case .argsort: return .argsort
        case .attention: return .attention
        case .attentionGrad: return .attention_grad
        case .conv: return .conv
        case .convTranspose: return .conv_transpose
        case .convWeightGrad: return .conv_weight_grad
        }
    }

    /// Whether the node is a leaf fed or initialised outside the graph.
    public var isSource: Bool {
        switch self {
        case .parameter, .input, .constant, .iota, .rngKey: return true
        default: return false
        }
    }

    /// Attributes in a short human-readable form for dumps (`axes=[1] keep`), empty if none.
    public var attributeSummary: String {
        func list(_ xs: [Int]) -> String { "[" + xs.map(String.init).joined(separator: ",") + "]" }
        switch self {
        case .parameter(let name, let initializer): return "\(name) init=\(initializer)"
        case .input(let name), .rngKey(let name): return name
        case .constant(let values):
            if values.count <= 4 { return "values=" + values.map { "\($0)" }.joined(separator: ",") }
            return "values=<\(values.count)>"
        case .iota(let axis): return "axis=\(axis)"
        case .foldIn(let data): return "data=\(data)"
        case .unary(.leakyRelu(let alpha)): return "alpha=\(alpha)"
        case .clamp(let lo, let hi): return "min=\(lo) max=\(hi)"
        case .cast(let t): return "to=\(t.rawValue)"
        case .reduce(_, let axes, let keep): return "axes=\(list(axes))" + (keep ? " keep" : "")
        case .argmax(let axis, let keep): return "axis=\(axis)" + (keep ? " keep" : "")
        case .softmax(let axis): return "axis=\(axis)"
        case .layerNorm(let eps): return "eps=\(eps)"
        case .l2Normalize(let axis, let eps): return "axis=\(axis) eps=\(eps)"
        case .matmul(let ta, let tb): return (ta ? "tA " : "") + (tb ? "tB" : "")
        case .reshape(let s), .expand(let s): return "shape=\(list(s))"
        case .permute(let p): return "perm=\(list(p))"
        case .slice(let s, let e): return "starts=\(list(s)) ends=\(list(e))"
        case .concat(let axis), .gather(let axis), .takeAlongAxis(let axis): return "axis=\(axis)"
        case .pad(let b, let a, let v): return "before=\(list(b)) after=\(list(a)) value=\(v)"
        case .scatterAdd(let axis, let size), .scatterAlongAxisAdd(let axis, let size):
            return "axis=\(axis) size=\(size)"
        case .oneHot(let depth): return "depth=\(depth)"
        case .topK(let k, let axis): return "k=\(k) axis=\(axis)"
        case .argsort(let axis, let desc): return "axis=\(axis)" + (desc ? " desc" : "")
        case .attention(let scale, let bias, let mask):
            return "scale=\(scale)" + (bias ? " bias" : "") + (mask ? " mask" : "")
        case .attentionGrad(let wrt, let scale, let bias, let mask):
            return "wrt=\(wrt.rawValue) scale=\(scale)" + (bias ? " bias" : "") + (mask ? " mask" : "")
        case .conv(let s, let p, let g): return "stride=\(list(s)) pad=\(list(p)) groups=\(g)"
        case .convTranspose(let s, let p, let g, let o):
            return "stride=\(list(s)) pad=\(list(p)) groups=\(g) out=\(list(o))"
        case .convWeightGrad(let s, let p, let g, let k):
            return "stride=\(list(s)) pad=\(list(p)) groups=\(g) kernel=\(list(k))"
        default: return ""
        }
    }
}
