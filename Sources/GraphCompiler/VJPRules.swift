import TensorGraph

/// What autodiff knows about an op: how to pull a gradient back through it, or why it never
/// carries one.
public enum VJPRule {
    /// Given the node's inputs, its output and the gradient of the output, returns one gradient
    /// per input (`nil` where none flows: integer inputs, masks, keys). Rules only emit ops that
    /// have rules of their own, so backward graphs can be differentiated again.
    case rule((VJPArguments) -> [Tensor?])
    /// The op never carries a gradient, and why.
    case nonDifferentiable(String)
}

/// The values a VJP rule reads.
public struct VJPArguments {
    public let node: Node
    public let inputs: [Tensor]
    public let output: Tensor
    public let grad: Tensor

    var x: Tensor { inputs[0] }
    var tracer: Tracer { grad.tracer }
    func zeros(_ shape: [Int]) -> Tensor { tracer.constant(0, shape) }
}

/// Sums `g` over the axes that broadcasting added or stretched, back to `shape`.
func unbroadcast(_ g: Tensor, to shape: [Int]) -> Tensor {
    if g.shape == shape { return g }
    let lead = g.rank - shape.count
    var axes = Array(0..<lead)
    for (i, d) in shape.enumerated() where d == 1 && g.shape[lead + i] != 1 {
        axes.append(lead + i)
    }
    let summed = axes.isEmpty ? g : g.sum(axes: axes, keepDims: true)
    return summed.reshape(shape)
}

/// Broadcasts a reduced gradient back over the reduced axes of `shape`.
func expandReduced(_ g: Tensor, axes: [Int], keepDims: Bool, to shape: [Int]) -> Tensor {
    let kept = keepDims ? g : g.reshape(reducedShape(shape, axes: axes, keepDims: true))
    return kept.expand(shape)
}

/// The rule table: one entry per op, nothing clever. This `switch` has no `default`, so a new
/// op does not compile until it has a rule or a reason.
public func vjpRule(for op: Op) -> VJPRule {
    switch op {
    case .parameter, .input, .constant, .iota, .rngKey:
        return .nonDifferentiable("a leaf: gradients end here")
    case .randomUniform, .randomNormal, .foldIn:
        return .nonDifferentiable("depends only on the RNG key")
    case .unary(let u):
        return unaryRule(u)
    case .binary(let b):
        return binaryRule(b)
    case .select:
        return .rule { a in
            let (cond, t, f) = (a.inputs[0], a.inputs[1], a.inputs[2])
            let zero = a.zeros([])
            return [nil, unbroadcast(select(cond, a.grad, zero), to: t.shape),
                    unbroadcast(select(cond, zero, a.grad), to: f.shape)]
        }
    case .clamp(let lo, let hi):
        return .rule { a in
            let inside = ((a.x .>= lo) .& (a.x .<= hi)).cast(.float32)
            return [a.grad * inside]
        }
    case .cast:
        return .rule { a in
            a.x.dtype.isFloatingPoint && a.output.dtype.isFloatingPoint ? [a.grad] : [nil]
        }
    case .stopGradient:
        return .rule { _ in [nil] }
    case .reduce(let r, let axes, let keepDims):
        return .rule { a in
            let shape = a.x.shape
            let g = expandReduced(a.grad, axes: axes, keepDims: keepDims, to: shape)
            switch r {
            case .sum:
                return [g]
            case .mean:
                let n = axes.map { shape[$0] }.reduce(1, *)
                return [g / Double(n)]
            case .max:
                // Ties share the gradient evenly, as torch.amax does.
                let y = expandReduced(a.output, axes: axes, keepDims: keepDims, to: shape)
                let hit = (a.x .== y).cast(.float32)
                let count = expandReduced(hit.sum(axes: axes, keepDims: true), axes: axes, keepDims: true, to: shape)
                return [g * hit / count]
            case .logSumExp:
                let y = expandReduced(a.output, axes: axes, keepDims: keepDims, to: shape)
                return [g * (a.x - y).exp()]
            }
        }
    case .argmax:
        return .nonDifferentiable("integer output")
    case .softmax(let axis):
        return .rule { a in
            let y = a.output
            return [y * (a.grad - (a.grad * y).sum(axes: [axis], keepDims: true))]
        }
    case .layerNorm(let eps):
        return .rule { a in
            let y = a.output  // = (x - mean) * rstd
            let centered = a.x - a.x.mean(axes: [-1], keepDims: true)
            let rstd = (centered.square().mean(axes: [-1], keepDims: true) + eps).rsqrt()
            let g = a.grad
            let inner = g - g.mean(axes: [-1], keepDims: true) - y * (g * y).mean(axes: [-1], keepDims: true)
            return [rstd * inner]
        }
    case .l2Normalize(let axis, let eps):
        return .rule { a in
            let y = a.output
            let norm = a.x.square().sum(axes: [axis], keepDims: true).sqrt()
            let clamped = norm.maximum(eps)
            let active = (norm .> eps).cast(.float32)
            let radial = y * (a.grad * y).sum(axes: [axis], keepDims: true) * active
            return [(a.grad - radial) / clamped]
        }
    case .matmul(let ta, let tb):
        return .rule { a in
            let (lhs, rhs, g) = (a.inputs[0], a.inputs[1], a.grad)
            let da: Tensor
            let db: Tensor
            switch (ta, tb) {
            case (false, false):
                da = matmul(g, rhs, transposeB: true)
                db = matmul(lhs, g, transposeA: true)
            case (true, false):
                da = matmul(rhs, g, transposeB: true)
                db = matmul(lhs, g)
            case (false, true):
                da = matmul(g, rhs)
                db = matmul(g, lhs, transposeA: true)
            case (true, true):
                da = matmul(rhs, g, transposeA: true, transposeB: true)
                db = matmul(g, lhs, transposeA: true, transposeB: true)
            }
            return [unbroadcast(da, to: lhs.shape), unbroadcast(db, to: rhs.shape)]
        }
    case .reshape:
        return .rule { a in [a.grad.reshape(a.x.shape)] }
    case .permute(let perm):
        return .rule { a in
            var inverse = [Int](repeating: 0, count: perm.count)
            for (i, p) in perm.enumerated() { inverse[p] = i }
            return [a.grad.permute(inverse)]
        }
    case .slice(let starts, let ends):
        return .rule { a in
            let after = zip(a.x.shape, ends).map { $0 - $1 }
            return [a.tracer.record(.pad(before: starts, after: after, value: 0), [a.grad])]
        }
    case .concat(let axis):
        return .rule { a in
            var offset = 0
            return a.inputs.map { input in
                let extent = input.shape[axis]
                defer { offset += extent }
                return a.grad.slice(axis: axis, offset..<(offset + extent))
            }
        }
    case .pad(let before, _, _):
        return .rule { a in
            let ends = zip(before, a.x.shape).map { $0 + $1 }
            return [a.tracer.record(.slice(starts: before, ends: ends), [a.grad])]
        }
    case .expand:
        return .rule { a in [unbroadcast(a.grad, to: a.x.shape)] }
    case .gather(let axis):
        return .rule { a in
            [a.tracer.record(.scatterAdd(axis: axis, size: a.x.shape[axis]), [a.grad, a.inputs[1]]), nil]
        }
    case .scatterAdd(let axis, _):
        return .rule { a in [a.grad.gather(a.inputs[1], axis: axis), nil] }
    case .takeAlongAxis(let axis):
        return .rule { a in
            [a.tracer.record(.scatterAlongAxisAdd(axis: axis, size: a.x.shape[axis]), [a.grad, a.inputs[1]]), nil]
        }
    case .scatterAlongAxisAdd(let axis, _):
        return .rule { a in [a.grad.takeAlongAxis(a.inputs[1], axis: axis), nil] }
    case .oneHot, .topK, .argsort:
        return .nonDifferentiable("integer input or output")
    case .attention(let scale, let hasBias, let hasMask):
        // The efficient gradients, one op per operand (the runtime computes them in one pass).
        return .rule { a in
            let inputs = a.inputs + [a.output, a.grad]
            func grad(_ wrt: AttentionOperand) -> Tensor {
                a.tracer.record(.attentionGrad(wrt, scale: scale, hasBias: hasBias, hasMask: hasMask), inputs)
            }
            var grads: [Tensor?] = [grad(.query), grad(.key), grad(.value)]
            if hasBias { grads.append(grad(.bias)) }
            if hasMask { grads.append(nil) }
            return grads
        }
    case .attentionGrad(let wrt, let scale, let hasBias, let hasMask):
        // Second order: differentiate the gradient's definition in primitive ops.
        return .rule { a in
            compositeVJP(a) { x in
                attentionGradComposite(x, wrt: wrt, scale: scale, hasBias: hasBias, hasMask: hasMask)
            }
        }
    case .conv(let stride, let padding, let groups):
        return .rule { a in
            let (x, w, g) = (a.inputs[0], a.inputs[1], a.grad)
            let dx = a.tracer.record(.convTranspose(stride: stride, padding: padding, groups: groups,
                                                    outputSpatial: Array(x.shape.dropFirst(2))), [g, w])
            let dw = a.tracer.record(.convWeightGrad(stride: stride, padding: padding, groups: groups,
                                                     kernel: Array(w.shape.dropFirst(2))), [x, g])
            return [dx, dw]
        }
    case .convTranspose(let stride, let padding, let groups, _):
        // y = convᵀ(dy, w) is linear in both: ⟨gy, convᵀ(dy, w)⟩ = ⟨conv(gy, w), dy⟩.
        return .rule { a in
            let (dy, w, g) = (a.inputs[0], a.inputs[1], a.grad)
            let ddy = g.conv(w, stride: stride, padding: padding, groups: groups)
            let dw = a.tracer.record(.convWeightGrad(stride: stride, padding: padding, groups: groups,
                                                     kernel: Array(w.shape.dropFirst(2))), [g, dy])
            return [ddy, dw]
        }
    case .convWeightGrad(let stride, let padding, let groups, _):
        // F = ∂w(x, dy) satisfies ⟨gF, F⟩ = ⟨conv(x, gF), dy⟩.
        return .rule { a in
            let (x, dy, g) = (a.inputs[0], a.inputs[1], a.grad)
            let dx = a.tracer.record(.convTranspose(stride: stride, padding: padding, groups: groups,
                                                    outputSpatial: Array(x.shape.dropFirst(2))), [dy, g])
            let ddy = x.conv(g, stride: stride, padding: padding, groups: groups)
            return [dx, ddy]
        }
    }
}

private func unaryRule(_ u: UnaryOp) -> VJPRule {
    switch u {
    case .logicalNot:
        return .nonDifferentiable("bool values")
    case .sign:
        return .rule { _ in [nil] }  // piecewise constant: zero gradient
    case .neg: return .rule { a in [-a.grad] }
    case .exp: return .rule { a in [a.grad * a.output] }
    case .log: return .rule { a in [a.grad / a.x] }
    case .sqrt: return .rule { a in [a.grad * 0.5 / a.output] }
    case .rsqrt: return .rule { a in [a.grad * -0.5 * a.output * a.output * a.output] }
    case .abs: return .rule { a in [a.grad * a.x.sign()] }
    case .tanh: return .rule { a in [a.grad * (1.0 - a.output.square())] }
    case .erf: return .rule { a in [a.grad * (2 / Double.pi.squareRoot()) * (-a.x.square()).exp()] }
    case .sigmoid: return .rule { a in [a.grad * a.output * (1.0 - a.output)] }
    case .relu: return .rule { a in [a.grad * (a.x .> 0).cast(.float32)] }
    case .leakyRelu(let alpha): return .rule { a in [select(a.x .> 0, a.grad, a.grad * alpha)] }
    case .gelu:
        return .rule { a in
            let x = a.x
            let cdf = 0.5 * (1.0 + (x * (1 / 2.0.squareRoot())).erf())
            let pdf = (x.square() * -0.5).exp() * (1 / (2 * Double.pi).squareRoot())
            return [a.grad * (cdf + x * pdf)]
        }
    case .sin: return .rule { a in [a.grad * a.x.cos()] }
    case .cos: return .rule { a in [-(a.grad * a.x.sin())] }
    }
}

private func binaryRule(_ b: BinaryOp) -> VJPRule {
    if b.isComparison || b.isLogical { return .nonDifferentiable("bool output") }
    return .rule { a in
        let (l, r, g) = (a.inputs[0], a.inputs[1], a.grad)
        let gl: Tensor
        let gr: Tensor
        switch b {
        case .add:
            (gl, gr) = (g, g)
        case .sub:
            (gl, gr) = (g, -g)
        case .mul:
            (gl, gr) = (g * r, g * l)
        case .div:
            (gl, gr) = (g / r, -(g * a.output / r))
        case .pow:
            gl = g * r * l.pow(r - 1.0)
            // d/dr lᵣ = lʳ·log l, defined for l > 0; elsewhere zero (as PyTorch gives for l = 0).
            let positive = l .> 0
            let safeLog = select(positive, l, a.zeros([]) + 1.0).log()
            gr = select(positive, g * a.output * safeLog, a.zeros([]))
        case .maximum, .minimum:
            // Ties share the gradient evenly, as torch.maximum does.
            let wins = (b == .maximum ? (l .> r) : (l .< r)).cast(.float32)
            let weight = wins + (l .== r).cast(.float32) * 0.5
            (gl, gr) = (g * weight, g * (1.0 - weight))
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .logicalAnd, .logicalOr:
            fatalError("comparisons have no rule")  // excluded above
        }
        return [unbroadcast(gl, to: l.shape), unbroadcast(gr, to: r.shape)]
    }
}

/// The VJP of an op defined by a composite of primitive ops: traces `composite` on the node's
/// inputs, then pulls the gradient back through the new nodes with their own rules. Slower
/// than a dedicated rule (it materialises what the op avoids), so it serves second order only.
func compositeVJP(_ a: VJPArguments, _ composite: ([Tensor]) -> Tensor) -> [Tensor?] {
    let tracer = a.tracer
    let start = tracer.graph.nodes.count
    let result = composite(a.inputs)
    var adjoint: [NodeID: Tensor] = [result.id: a.grad]
    for index in stride(from: tracer.graph.nodes.count - 1, through: start, by: -1) {
        let node = tracer.graph.nodes[index]
        guard let grad = adjoint[node.id], node.type.dtype.isFloatingPoint,
              case .rule(let rule) = vjpRule(for: node.op) else { continue }
        let args = VJPArguments(node: node, inputs: node.inputs.map(tracer.tensor), output: tracer.tensor(node.id), grad: grad)
        for (input, g) in zip(node.inputs, rule(args)) {
            guard let g, tracer.graph[input].type.dtype.isFloatingPoint else { continue }
            adjoint[input] = adjoint[input].map { $0 + g } ?? g
        }
    }
    return a.inputs.map { input in
        input.dtype.isFloatingPoint ? adjoint[input.id] : nil
    }
}

/// Attention probabilities in primitive ops: softmax of the scaled, biased, masked scores.
func attentionProbabilities(_ x: [Tensor], scale: Double, hasBias: Bool, hasMask: Bool) -> Tensor {
    var s = matmul(x[0], x[1], transposeB: true) * scale
    var next = 3
    if hasBias {
        s = s + x[next]
        next += 1
    }
    if hasMask { s = select(x[next], s, -Double(Float.greatestFiniteMagnitude)) }
    return s.softmax(axis: -1)
}

/// `attentionGrad` in primitive ops (inputs q, k, v, [bias], [mask], o, dO).
func attentionGradComposite(_ x: [Tensor], wrt: AttentionOperand, scale: Double, hasBias: Bool, hasMask: Bool) -> Tensor {
    let (q, k, v) = (x[0], x[1], x[2])
    let (o, dO) = (x[x.count - 2], x[x.count - 1])
    let p = attentionProbabilities(x, scale: scale, hasBias: hasBias, hasMask: hasMask)
    let dP = matmul(dO, v, transposeB: true)
    var dS = p * (dP - (dO * o).sum(axes: [-1], keepDims: true))
    // Masked scores are constants: no gradient, even where a fully masked row is uniform.
    if hasMask { dS = select(x[hasBias ? 4 : 3], dS, 0) }
    switch wrt {
    case .query: return matmul(dS, k) * scale
    case .key: return matmul(dS, q, transposeA: true) * scale
    case .value: return matmul(p, dO, transposeA: true)
    case .bias: return unbroadcast(dS, to: x[3].shape)
    }
}
