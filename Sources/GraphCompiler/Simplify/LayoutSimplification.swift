import TensorGraph

extension GraphRewriter {
    /// Layout identities of `.algebraicSimplification`: ops that move no element, and chains of
    /// two layout ops of one kind that compose into one.
    mutating func simplifyLayout(_ node: Node, inputs: [NodeID]) -> NodeID? {
        let scope = node.scope
        let out = node.type.shape
        guard let x = inputs.first else { return nil }
        let xShape = type(of: x).shape
        let producer = self[x]
        switch node.op {
        case .reshape:
            if xShape == out { return x }
            if case .reshape = producer.op { return reshaped(producer.inputs[0], to: out, scope: scope) }
            return nil
        case .permute(let perm):
            if perm == Array(perm.indices) { return x }
            if case .permute(let inner) = producer.op {
                // y[j] = x[inner[j]] and z[j] = y[perm[j]], so z[j] = x[inner[perm[j]]].
                let composed = perm.map { inner[$0] }
                let source = producer.inputs[0]
                return composed == Array(composed.indices)
                    ? source : emit(.permute(perm: composed), [source], scope: scope)
            }
            // Moving only size-1 axes keeps the row-major order of the elements.
            let moved = perm.filter { xShape[$0] != 1 }
            if moved == moved.sorted() { return reshaped(x, to: out, scope: scope) }
            return nil
        case .expand:
            if xShape == out { return x }
            if case .expand = producer.op { return expanded(producer.inputs[0], to: out, scope: scope) }
            return nil
        case .slice(let starts, let ends):
            if starts.allSatisfy({ $0 == 0 }) && ends == xShape { return x }
            if case .slice(let innerStarts, _) = producer.op {
                let total = zip(innerStarts, starts).map(+)
                let end = zip(innerStarts, ends).map(+)
                return emit(.slice(starts: total, ends: end), [producer.inputs[0]], scope: scope)
            }
            return nil
        case .pad(let before, let after, _):
            return (before + after).allSatisfy { $0 == 0 } ? x : nil
        case .concat(let axis):
            let parts = inputs.filter { type(of: $0).shape[axis] != 0 }
            if parts.count == 1 { return parts[0] }
            if !parts.isEmpty && parts.count < inputs.count { return emit(.concat(axis: axis), parts, scope: scope) }
            return nil
        default:
            return nil
        }
    }
}
