import TensorGraph

extension ReferenceKernels {
    /// Output axis `i` is input axis `perm[i]`.
    static func permute(_ x: HostTensor, perm: [Int]) -> HostTensor {
        let strides = contiguousStrides(x.shape)
        let shape = perm.map { x.shape[$0] }
        return gathered(x, offsets: stridedOffsets(shape: shape, strides: perm.map { strides[$0] }), shape: shape)
    }

    /// `x[starts[0]..<ends[0], starts[1]..<ends[1], ...]`.
    static func slice(_ x: HostTensor, starts: [Int], ends: [Int]) -> HostTensor {
        let strides = contiguousStrides(x.shape)
        let shape = zip(starts, ends).map { $1 - $0 }
        let base = zip(starts, strides).reduce(0) { $0 + $1.0 * $1.1 }
        return gathered(x, offsets: stridedOffsets(shape: shape, strides: strides, base: base), shape: shape)
    }

    /// The inputs laid end to end along `axis`.
    static func concat(_ xs: [HostTensor], axis: Int, out: TensorType) -> HostTensor {
        let outer = product(out.shape[..<axis])
        var scalars: [Double] = []
        scalars.reserveCapacity(out.count)
        for o in 0..<outer {
            for x in xs {
                let block = product(x.shape[axis...])
                scalars.append(contentsOf: x.scalars[(o * block)..<((o + 1) * block)])
            }
        }
        return HostTensor(shape: out.shape, dtype: out.dtype, scalars: scalars)
    }

    /// `x` placed at offset `before` inside a tensor of `out` filled with `value`.
    static func pad(_ x: HostTensor, before: [Int], value: Double, out: TensorType) -> HostTensor {
        let strides = contiguousStrides(out.shape)
        let base = zip(before, strides).reduce(0) { $0 + $1.0 * $1.1 }
        var result = HostTensor(shape: out.shape, dtype: out.dtype, repeating: value)
        for (i, offset) in stridedOffsets(shape: x.shape, strides: strides, base: base).enumerated() {
            result.scalars[offset] = x.scalars[i]
        }
        return result
    }
}
