import TensorGraph

extension GraphRewriter {
    /// The values of `id` when it is a `constant` node: one value (a splat) or one per element.
    func literal(_ id: NodeID) -> [Double]? {
        if case .constant(let values) = nodes[id.index].op { return values }
        return nil
    }

    /// The single value every element of `id` holds, when `id` is a constant with equal values.
    /// `-0.0` and `0.0` count as different values here, so callers see the exact bits.
    func splatValue(_ id: NodeID) -> Double? {
        guard let values = literal(id), let first = values.first,
              values.allSatisfy({ $0.bitPattern == first.bitPattern })
        else { return nil }
        return first
    }

    /// Whether `id` is a constant whose every element equals `value` (`==`, so `-0.0 == 0.0`).
    func isConstant(_ id: NodeID, equalTo value: Double) -> Bool {
        guard let values = literal(id), !values.isEmpty else { return false }
        return values.allSatisfy { $0 == value }
    }

    /// The type of the new node `id`.
    func type(of id: NodeID) -> TensorType { nodes[id.index].type }
}
