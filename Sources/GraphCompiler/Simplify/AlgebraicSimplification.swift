import TensorGraph

extension GraphPass {
    /// Removes operations that do not change their operand, with the default (exact) options.
    ///
    /// Arithmetic identities: `x + 0`, `0 + x`, `x - 0`, `x * 1`, `1 * x`, `x / 1`, `pow(x, 1)`,
    /// `neg(neg x)`, `x && true`, `x || false`, `!!x`, integer `x * 0` (→ zeros), `clamp` to
    /// (-∞, ∞). Layout identities: `reshape` to the same shape, `reshape(reshape x)`, `permute`
    /// by the identity, `permute(permute x)` (composed), a `permute` that only moves size-1
    /// axes (→ `reshape`), `expand` to the same shape, `expand(expand x)`, `slice` of the full
    /// range, `slice(slice x)` (composed), `pad` by nothing, `concat` of one non-empty part,
    /// `concat(concat ...)` on one axis (flattened), `cast` to the same dtype, reductions over
    /// no axes or only size-1 axes (→ `reshape`), `reshape` of a `keepDims` reduction to the
    /// shape without the kept axes (→ the reduction without `keepDims`). `select` with a
    /// constant condition, or with both branches the same node, picks a branch. The sum of two
    /// zero-pads of adjacent ranges of one axis (what autodiff writes for a tensor split by
    /// slices) becomes one pad of a `concat`. A rewrite that absorbs an operand does so only
    /// when nothing live else reads that operand, so no work is duplicated.
    ///
    /// Why it is safe: each rewrite computes the same value for every input, NaN and infinity
    /// included, with one exception shared with XLA's simplifier: `x + 0` (also inside a sum of
    /// pads, and a sum or mean over one element) turns `-0.0` into `+0.0` at run time, and the
    /// rewrite keeps `-0.0`; the two compare equal. Where the identity operand broadcasts `x` to a larger shape, the
    /// result is `expand(x)`, so every value keeps its type. `stopGradient` stays (autodiff
    /// needs it) unless `SimplifyOptions.eraseStopGradients` is set, and float `x * 0` stays
    /// unless `SimplifyOptions.assumeFiniteValues` is set (`inf · 0` is NaN).
    public static let algebraicSimplification = algebraicSimplification(SimplifyOptions())

    /// Algebraic simplification with explicit options (`assumeFiniteValues`,
    /// `eraseStopGradients`).
    public static func algebraicSimplification(_ options: SimplifyOptions) -> GraphPass {
        GraphPass("algebraic-simplification") { graph in
            GraphRewriter.rewrite(graph) { rewriter, node, inputs in
                rewriter.simplifyAlgebra(node, inputs: inputs, options: options)
            }
        }
    }

    /// Removes every `stopGradient` (an identity in the forward pass). Run it only on a graph
    /// that will not be differentiated again: autodiff reads `stopGradient` to block gradients.
    public static let eraseStopGradients = GraphPass("erase-stop-gradients") { graph in
        GraphRewriter.rewrite(graph) { _, node, inputs in
            node.op == .stopGradient ? inputs[0] : nil
        }
    }
}

extension GraphRewriter {
    /// The node that replaces `node` under the rules of `.algebraicSimplification`, or `nil`.
    mutating func simplifyAlgebra(_ node: Node, inputs: [NodeID], options: SimplifyOptions) -> NodeID? {
        let scope = node.scope
        let out = node.type.shape
        switch node.op {
        case .binary(let b):
            return simplifyBinary(b, node: node, inputs[0], inputs[1], options: options)
        case .unary(let u):
            guard u == .neg || u == .logicalNot, self[inputs[0]].op == .unary(u) else { return nil }
            return self[inputs[0]].inputs[0]
        case .select:
            let (cond, a, b) = (inputs[0], inputs[1], inputs[2])
            if a == b || isConstant(cond, equalTo: 1) { return expanded(a, to: out, scope: scope) }
            if isConstant(cond, equalTo: 0) { return expanded(b, to: out, scope: scope) }
            return nil
        case .clamp(let lo, let hi):
            return lo == -.infinity && hi == .infinity ? inputs[0] : nil
        case .cast(let dtype):
            return type(of: inputs[0]).dtype == dtype ? inputs[0] : nil
        case .stopGradient:
            return options.eraseStopGradients ? inputs[0] : nil
        case .reduce(_, let axes, _):
            let shape = type(of: inputs[0]).shape
            guard axes.allSatisfy({ shape[$0] == 1 }) else { return nil }
            return reshaped(inputs[0], to: out, scope: scope)
        case .concat(let axis):
            return flattenedConcat(node, inputs: inputs, axis: axis) ?? simplifyLayout(node, inputs: inputs)
        case .reshape(let shape):
            return reductionDroppingKeptAxes(node, input: inputs[0], shape: shape)
                ?? simplifyLayout(node, inputs: inputs)
        default:
            return simplifyLayout(node, inputs: inputs)
        }
    }

    /// Arithmetic and logical identities of a binary node `x ∘ y`.
    private mutating func simplifyBinary(
        _ b: BinaryOp, node: Node, _ x: NodeID, _ y: NodeID, options: SimplifyOptions
    ) -> NodeID? {
        let (out, scope) = (node.type.shape, node.scope)
        func keep(_ id: NodeID) -> NodeID { expanded(id, to: out, scope: scope) }
        switch b {
        case .add:
            if isConstant(y, equalTo: 0) { return keep(x) }
            if isConstant(x, equalTo: 0) { return keep(y) }
            return concatenatingAdjacentPads(node, x, y)
        case .sub:
            if isConstant(y, equalTo: 0) { return keep(x) }
        case .mul:
            if isConstant(y, equalTo: 1) { return keep(x) }
            if isConstant(x, equalTo: 1) { return keep(y) }
            let zeroIsExact = node.type.dtype == .int32 || options.assumeFiniteValues
            if zeroIsExact && (isConstant(x, equalTo: 0) || isConstant(y, equalTo: 0)) {
                return constant([0], node.type, scope: scope)
            }
        case .div, .pow:
            if isConstant(y, equalTo: 1) { return keep(x) }
        case .logicalAnd:
            if isConstant(y, equalTo: 1) { return keep(x) }
            if isConstant(x, equalTo: 1) { return keep(y) }
        case .logicalOr:
            if isConstant(y, equalTo: 0) { return keep(x) }
            if isConstant(x, equalTo: 0) { return keep(y) }
        default:
            break
        }
        return nil
    }
}
