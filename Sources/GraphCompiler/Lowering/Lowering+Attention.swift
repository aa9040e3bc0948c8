import GraphRuntime
import TensorGraph

extension Lowering {
    /// A view of `v` with its leading axes folded into exactly two (the kernels' [B, H]).
    /// Leading axes that cannot be merged as a view are made contiguous first.
    private mutating func rank4(_ v: PlanView, of id: NodeID?) -> PlanView {
        var v = v
        while v.shape.count < 4 { v = v.inserting(axis: 0) }
        while v.shape.count > 4 {
            let (d0, d1, s0, s1) = (v.shape[0], v.shape[1], v.strides[0], v.strides[1])
            let merged: Int?
            if d1 == 1 { merged = s0 } else if d0 == 1 || s0 == s1 * d1 { merged = s1 } else { merged = nil }
            guard let merged else {
                guard let id else { fatalError("lowering: attention operand with unmergeable broadcast axes") }
                return rank4(contiguous(id), of: nil)
            }
            v = PlanView(buffer: v.buffer, elementOffset: v.elementOffset,
                         shape: [d0 * d1] + Array(v.shape.dropFirst(2)), strides: [merged] + Array(v.strides.dropFirst(2)))
        }
        return v
    }

    /// q, k, v, o, dO views: unit stride on the feature axis, two leading axes.
    private mutating func matrixOperand(_ id: NodeID) -> PlanView {
        var v = view(id)
        if v.strides.last != 1 && (v.shape.last ?? 1) > 1 { v = contiguous(id) }
        return rank4(v, of: id)
    }

    /// Bias or mask broadcast to the score shape, two leading axes.
    private mutating func scoreOperand(_ id: NodeID, scores: [Int]) -> PlanView {
        rank4(view(id).broadcast(to: scores), of: nil)
    }

    mutating func emitAttention(_ node: Node, scale: Double, hasBias: Bool, hasMask: Bool) {
        let q = graph[node.inputs[0]].type.shape, k = graph[node.inputs[1]].type.shape
        let scores = Array(q.dropLast(2)) + [q[q.count - 2], k[k.count - 2]]
        var inputs = (0..<3).map { matrixOperand(node.inputs[$0]) }
        for extra in node.inputs.dropFirst(3) { inputs.append(scoreOperand(extra, scores: scores)) }
        let out = allocate(node)
        let flops = 4 * Double(scores.reduce(1, *)) * Double(q[q.count - 1])
        emit(PlanStep(kind: .attention, inputs: inputs, outputs: [rank4(out, of: nil)],
                      iattr: [hasBias ? 1 : 0, hasMask ? 1 : 0], fattr: [Float(scale)],
                      label: node.scope, nodes: [node.id.index], flops: flops))
    }

    /// All gradients of one attention (the `attentionGrad` nodes with the same inputs) come
    /// from one backward step; operands nobody differentiates get a scratch output.
    mutating func emitAttentionBackward(_ node: Node, scale: Double, hasBias: Bool, hasMask: Bool) {
        let family = graph.nodes.filter { other in
            guard case .attentionGrad(_, let s, let b, let m) = other.op else { return false }
            return other.inputs == node.inputs && s == scale && b == hasBias && m == hasMask
        }
        let q = graph[node.inputs[0]].type.shape, k = graph[node.inputs[1]].type.shape
        let scores = Array(q.dropLast(2)) + [q[q.count - 2], k[k.count - 2]]
        var inputs = (0..<3).map { matrixOperand(node.inputs[$0]) }
        var next = 3
        if hasBias { inputs.append(scoreOperand(node.inputs[next], scores: scores)); next += 1 }
        if hasMask { inputs.append(scoreOperand(node.inputs[next], scores: scores)); next += 1 }
        inputs.append(matrixOperand(node.inputs[next]))
        inputs.append(matrixOperand(node.inputs[next + 1]))

        let operands: [AttentionOperand] = hasBias ? [.query, .key, .value, .bias] : [.query, .key, .value]
        var outputs: [PlanView] = []
        var nodes: [Int] = []
        for operand in operands {
            let member = family.first { if case .attentionGrad(let w, _, _, _) = $0.op { return w == operand }; return false }
            let view: PlanView
            if let member {
                view = allocate(member)
                nodes.append(member.id.index)
            } else {
                let shape = operand == .bias ? graph[node.inputs[3]].type.shape
                    : graph[node.inputs[[AttentionOperand.query, .key, .value].firstIndex(of: operand)!]].type.shape
                view = .contiguous(newBuffer(TensorType(shape), .activations, label: node.scope + " (unused gradient)"), shape)
            }
            outputs.append(operand == .bias ? rank4(view.broadcast(to: scores), of: nil) : rank4(view, of: nil))
        }
        let flops = 12 * Double(scores.reduce(1, *)) * Double(q[q.count - 1])
        emit(PlanStep(kind: .attentionBackward, inputs: inputs, outputs: outputs,
                      iattr: [hasBias ? 1 : 0, hasMask ? 1 : 0, hasBias ? 1 : 0], fattr: [Float(scale)],
                      label: node.scope, nodes: nodes, flops: flops))
    }
}
