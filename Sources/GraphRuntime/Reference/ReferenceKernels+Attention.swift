import Foundation
import TensorGraph

/// Attention computed the obvious way: full score matrices per batch entry, in `Double`.
struct AttentionProblem {
    let batch: Int, rows: Int, keys: Int, depth: Int, valueDepth: Int
    let q: [Double], k: [Double], v: [Double]
    /// Bias and mask broadcast to [batch, rows, keys] (nil when absent).
    let bias: [Double]?, mask: [Double]?
    let scale: Double

    init(_ x: [HostTensor], hasBias: Bool, hasMask: Bool, scale: Double) {
        let q = x[0], k = x[1], v = x[2]
        rows = q.shape[q.shape.count - 2]
        depth = q.shape[q.shape.count - 1]
        keys = k.shape[k.shape.count - 2]
        valueDepth = v.shape[v.shape.count - 1]
        let lead = Array(q.shape.dropLast(2))
        batch = lead.reduce(1, *)
        self.q = q.scalars
        self.k = k.scalars
        self.v = v.scalars
        self.scale = scale
        let scores = lead + [rows, keys]
        var next = 3
        if hasBias {
            let b = x[next]
            bias = broadcastOffsets(from: b.shape, to: scores).map { b.scalars[$0] }
            next += 1
        } else {
            bias = nil
        }
        if hasMask {
            let m = x[next]
            mask = broadcastOffsets(from: m.shape, to: scores).map { m.scalars[$0] }
        } else {
            mask = nil
        }
    }

    /// Softmax probabilities of batch entry `g`, row-major [rows, keys].
    func probabilities(_ g: Int) -> [Double] {
        var p = [Double](repeating: 0, count: rows * keys)
        for i in 0..<rows {
            var row = [Double](repeating: 0, count: keys)
            for j in 0..<keys {
                var s = 0.0
                for d in 0..<depth { s += q[(g * rows + i) * depth + d] * k[(g * keys + j) * depth + d] }
                s *= scale
                let at = (g * rows + i) * keys + j
                if let bias { s += bias[at] }
                if let mask, mask[at] == 0 { s = -Double(Float.greatestFiniteMagnitude) }
                row[j] = s
            }
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let total = e.reduce(0, +)
            for j in 0..<keys { p[i * keys + j] = e[j] / total }
        }
        return p
    }
}

extension ReferenceKernels {
    static func attention(_ x: [HostTensor], hasBias: Bool, hasMask: Bool, scale: Double, out: TensorType) -> HostTensor {
        let a = AttentionProblem(x, hasBias: hasBias, hasMask: hasMask, scale: scale)
        var o = [Double](repeating: 0, count: out.count)
        for g in 0..<a.batch {
            let p = a.probabilities(g)
            for i in 0..<a.rows {
                for e in 0..<a.valueDepth {
                    var s = 0.0
                    for j in 0..<a.keys { s += p[i * a.keys + j] * a.v[(g * a.keys + j) * a.valueDepth + e] }
                    o[(g * a.rows + i) * a.valueDepth + e] = s
                }
            }
        }
        return HostTensor(shape: out.shape, dtype: .float32, scalars: o)
    }

    /// dS = P ∘ (dO·vᵀ − rowsum(dO ∘ o)); dq = scale·dS·k, dk = scale·dSᵀ·q, dv = Pᵀ·dO,
    /// dbias = dS summed over the bias's broadcast axes.
    static func attentionGrad(_ x: [HostTensor], wrt: AttentionOperand, hasBias: Bool, hasMask: Bool,
                              scale: Double, out: TensorType) -> HostTensor {
        let a = AttentionProblem(x, hasBias: hasBias, hasMask: hasMask, scale: scale)
        let o = x[x.count - 2].scalars, dO = x[x.count - 1].scalars
        var result = [Double](repeating: 0, count: out.count)
        let scoreShape = Array(x[0].shape.dropLast(2)) + [a.rows, a.keys]
        let biasOffsets = wrt == .bias ? broadcastOffsets(from: out.shape, to: scoreShape) : []
        for g in 0..<a.batch {
            let p = a.probabilities(g)
            for i in 0..<a.rows {
                var rowD = 0.0
                for e in 0..<a.valueDepth { rowD += dO[(g * a.rows + i) * a.valueDepth + e] * o[(g * a.rows + i) * a.valueDepth + e] }
                for j in 0..<a.keys {
                    let pij = p[i * a.keys + j]
                    var dp = 0.0
                    for e in 0..<a.valueDepth { dp += dO[(g * a.rows + i) * a.valueDepth + e] * a.v[(g * a.keys + j) * a.valueDepth + e] }
                    // A masked score is a constant (masked_fill), so no gradient reaches it, even in
                    // a fully masked row whose softmax is uniform.
                    let masked = a.mask.map { $0[(g * a.rows + i) * a.keys + j] == 0 } ?? false
                    let ds = masked ? 0 : pij * (dp - rowD)
                    switch wrt {
                    case .query:
                        for d in 0..<a.depth { result[(g * a.rows + i) * a.depth + d] += scale * ds * a.k[(g * a.keys + j) * a.depth + d] }
                    case .key:
                        for d in 0..<a.depth { result[(g * a.keys + j) * a.depth + d] += scale * ds * a.q[(g * a.rows + i) * a.depth + d] }
                    case .value:
                        for e in 0..<a.valueDepth { result[(g * a.keys + j) * a.valueDepth + e] += pij * dO[(g * a.rows + i) * a.valueDepth + e] }
                    case .bias:
                        result[biasOffsets[(g * a.rows + i) * a.keys + j]] += ds
                    }
                }
            }
        }
        return HostTensor(shape: out.shape, dtype: .float32, scalars: result)
    }
}
