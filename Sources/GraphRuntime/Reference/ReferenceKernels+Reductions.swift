import Foundation
import TensorGraph

extension ReferenceKernels {
    /// Sum, mean, max or log-sum-exp over `axes`; `out` fixes whether they are kept.
    static func reduce(_ op: ReduceOp, _ x: HostTensor, axes: [Int], out: TensorType) -> HostTensor {
        let (groups, groupCount) = reductionGroups(x.shape, axes: axes)
        var members = [[Double]](repeating: [], count: groupCount)
        for (i, g) in groups.enumerated() { members[g].append(x.scalars[i]) }
        let scalars = members.map { values -> Double in
            switch op {
            case .sum: return x.dtype == .int32 ? int32Sum(values) : values.reduce(0, +)
            case .mean: return values.reduce(0, +) / Double(values.count)
            case .max: return maxPropagatingNaN(values)
            case .logSumExp: return logSumExp(values)
            }
        }
        return HostTensor(shape: out.shape, dtype: out.dtype, scalars: scalars)
    }

    /// An int32 sum wraps like the int32 additions it stands for.
    private static func int32Sum(_ values: [Double]) -> Double {
        var total: Int32 = 0
        for v in values { total = total &+ Int32(v) }
        return Double(total)
    }

    /// The largest value; NaN if any value is NaN (`torch.amax`).
    static func maxPropagatingNaN(_ values: [Double]) -> Double {
        var best = -Double.infinity
        for v in values {
            if v.isNaN { return .nan }
            best = Swift.max(best, v)
        }
        return best
    }

    /// `log Σ exp(v)`, shifted by the maximum so no term overflows.
    static func logSumExp(_ values: [Double]) -> Double {
        let m = maxPropagatingNaN(values)
        if m.isNaN || m.isInfinite { return m }
        return m + Foundation.log(values.reduce(0) { $0 + Foundation.exp($1 - m) })
    }

    /// Index of the largest element along `axis`, the first on ties; NaN counts as largest.
    static func argmax(_ x: HostTensor, axis: Int, out: TensorType) -> HostTensor {
        let scalars = lanes(x.shape, axis: axis).map { lane -> Double in
            var best = 0
            for j in 1..<lane.count {
                let (v, b) = (x.scalars[lane[j]], x.scalars[lane[best]])
                if !b.isNaN && (v > b || v.isNaN) { best = j }
            }
            return Double(best)
        }
        return HostTensor(shape: out.shape, dtype: .int32, scalars: scalars)
    }

    /// Applies `f` to every lane along `axis` (a lane's values in, the same count out).
    static func mapLanes(_ x: HostTensor, axis: Int, _ f: ([Double]) -> [Double]) -> HostTensor {
        var result = x
        for lane in lanes(x.shape, axis: axis) {
            for (offset, value) in zip(lane, f(lane.map { x.scalars[$0] })) { result.scalars[offset] = value }
        }
        return result
    }

    /// `exp(x - max) / Σ exp(x - max)` along `axis`.
    static func softmax(_ x: HostTensor, axis: Int) -> HostTensor {
        mapLanes(x, axis: axis) { values in
            let m = maxPropagatingNaN(values)
            let e = values.map { Foundation.exp($0 - m) }
            let total = e.reduce(0, +)
            return e.map { $0 / total }
        }
    }

    /// `(x - mean) / sqrt(var + epsilon)` over the last axis, variance biased.
    static func layerNorm(_ x: HostTensor, epsilon: Double) -> HostTensor {
        mapLanes(x, axis: x.shape.count - 1) { values in
            let n = Double(values.count)
            let mean = values.reduce(0, +) / n
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            let scale = 1 / Foundation.sqrt(variance + epsilon)
            return values.map { ($0 - mean) * scale }
        }
    }

    /// `x / max(‖x‖₂, epsilon)` along `axis` (`F.normalize`).
    static func l2Normalize(_ x: HostTensor, axis: Int, epsilon: Double) -> HostTensor {
        mapLanes(x, axis: axis) { values in
            let norm = Foundation.sqrt(values.reduce(0) { $0 + $1 * $1 })
            let denominator = Swift.max(norm, epsilon)
            return values.map { $0 / denominator }
        }
    }
}
