import Foundation
import TensorGraph

extension ReferenceKernels {
    /// `f` applied to every element, keeping shape and dtype.
    static func map(_ x: HostTensor, _ f: (Double) -> Double) -> HostTensor {
        HostTensor(shape: x.shape, dtype: x.dtype, scalars: x.scalars.map(f))
    }

    /// An int32 result wrapped into the int32 range (two's complement), as C computes it.
    static func wrapInt32(_ v: Int64) -> Double { Double(Int32(truncatingIfNeeded: v)) }

    static func unary(_ op: UnaryOp, _ x: HostTensor) -> HostTensor {
        let isInt = x.dtype == .int32
        switch op {
        case .neg: return map(x) { isInt ? wrapInt32(-Int64($0)) : -$0 }
        case .abs: return map(x) { isInt ? wrapInt32(Swift.abs(Int64($0))) : Swift.abs($0) }
        case .sign: return map(x) { $0 > 0 ? 1 : $0 < 0 ? -1 : $0 == 0 ? 0 : $0 }
        case .exp: return map(x) { Foundation.exp($0) }
        case .log: return map(x) { Foundation.log($0) }
        case .sqrt: return map(x) { Foundation.sqrt($0) }
        case .rsqrt: return map(x) { 1 / Foundation.sqrt($0) }
        case .tanh: return map(x) { Foundation.tanh($0) }
        case .erf: return map(x) { Foundation.erf($0) }
        case .sigmoid: return map(x) { 1 / (1 + Foundation.exp(-$0)) }
        case .relu: return map(x) { $0 > 0 || $0.isNaN ? $0 : 0 }
        // 0.5·x·(1 + erf(x/√2)) written with erfc, which has no cancellation for negative x
        // (1 + erf loses all digits below x ≈ -8 even in double).
        case .gelu: return map(x) { $0 == -.infinity ? .nan : 0.5 * $0 * Foundation.erfc(-$0 / 2.0.squareRoot()) }
        case .sin: return map(x) { Foundation.sin($0) }
        case .cos: return map(x) { Foundation.cos($0) }
        case .leakyRelu(let alpha): return map(x) { $0 >= 0 ? $0 : alpha * $0 }
        case .logicalNot: return map(x) { $0 == 0 ? 1 : 0 }
        }
    }

    /// Two operands broadcast against each other (NumPy rules).
    static func binary(
        _ op: BinaryOp, _ a: HostTensor, _ b: HostTensor, out: TensorType, scope: String
    ) throws(RuntimeError) -> HostTensor {
        let ia = broadcastOffsets(from: a.shape, to: out.shape)
        let ib = broadcastOffsets(from: b.shape, to: out.shape)
        var result = [Double](repeating: 0, count: out.count)
        for i in result.indices {
            let (x, y) = (a.scalars[ia[i]], b.scalars[ib[i]])
            result[i] = a.dtype == .int32 && !op.isComparison
                ? try int32Binary(op, Int64(x), Int64(y), scope: scope)
                : floatBinary(op, x, y)
        }
        return HostTensor(shape: out.shape, dtype: out.dtype, scalars: result)
    }

    private static func floatBinary(_ op: BinaryOp, _ x: Double, _ y: Double) -> Double {
        switch op {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        case .pow: return Foundation.pow(x, y)
        // NaN wins, as torch.maximum / torch.minimum propagate it.
        case .maximum: return x.isNaN || y.isNaN ? .nan : Swift.max(x, y)
        case .minimum: return x.isNaN || y.isNaN ? .nan : Swift.min(x, y)
        case .equal: return x == y ? 1 : 0
        case .notEqual: return x != y ? 1 : 0
        case .less: return x < y ? 1 : 0
        case .lessEqual: return x <= y ? 1 : 0
        case .greater: return x > y ? 1 : 0
        case .greaterEqual: return x >= y ? 1 : 0
        case .logicalAnd: return x != 0 && y != 0 ? 1 : 0
        case .logicalOr: return x != 0 || y != 0 ? 1 : 0
        }
    }

    /// int32 arithmetic wraps; division truncates toward zero (C, `torch.div(rounding_mode="trunc")`).
    private static func int32Binary(_ op: BinaryOp, _ x: Int64, _ y: Int64, scope: String) throws(RuntimeError) -> Double {
        switch op {
        case .add: return wrapInt32(x + y)
        case .sub: return wrapInt32(x - y)
        case .mul: return wrapInt32(x * y)
        case .div:
            if y == 0 { throw .integerDivisionByZero(scope: scope) }
            return wrapInt32(x / y)
        case .maximum: return Double(Swift.max(x, y))
        case .minimum: return Double(Swift.min(x, y))
        case .pow, .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .logicalAnd, .logicalOr:
            return floatBinary(op, Double(x), Double(y))
        }
    }

    /// `cond ? a : b` with all three broadcast to `out`.
    static func select(_ cond: HostTensor, _ a: HostTensor, _ b: HostTensor, out: TensorType) -> HostTensor {
        let ic = broadcastOffsets(from: cond.shape, to: out.shape)
        let ia = broadcastOffsets(from: a.shape, to: out.shape)
        let ib = broadcastOffsets(from: b.shape, to: out.shape)
        let scalars = (0..<out.count).map { i in cond.scalars[ic[i]] != 0 ? a.scalars[ia[i]] : b.scalars[ib[i]] }
        return HostTensor(shape: out.shape, dtype: out.dtype, scalars: scalars)
    }

    /// Float to int truncates toward zero (NaN gives 0, out-of-range values saturate); any
    /// nonzero value (NaN included) becomes true; bool becomes 0 or 1.
    static func cast(_ x: HostTensor, to dtype: DType) -> HostTensor {
        let scalars: [Double]
        switch dtype {
        case .float32:
            scalars = x.scalars
        case .int32:
            scalars = x.scalars.map { v in
                v.isNaN ? 0 : Swift.min(Swift.max(v.rounded(.towardZero), Double(Int32.min)), Double(Int32.max))
            }
        case .bool:
            scalars = x.scalars.map { $0 != 0 ? 1 : 0 }
        }
        return HostTensor(shape: x.shape, dtype: dtype, scalars: scalars)
    }
}
