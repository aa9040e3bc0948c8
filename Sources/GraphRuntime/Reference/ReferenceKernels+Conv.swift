import TensorGraph

/// The shapes of one convolution: input x [N, C, s...], weight w [O, C/groups, k...] and
/// output y [N, O, o...], with the stride and symmetric zero padding of each spatial axis.
///
/// `conv`, `convTranspose` and `convWeightGrad` are the same sum over `taps` read three
/// ways, which is what makes the latter two exact adjoints of the first.
struct ConvGeometry {
    var x: [Int], w: [Int], y: [Int]
    var stride: [Int], padding: [Int], groups: Int

    /// One term of the sum: output position `out` reads input position `input` through kernel
    /// position `kernel` (flat offsets within one spatial block).
    struct Tap { var out: Int, kernel: Int, input: Int }

    /// Every (output, kernel, input) spatial triple whose input position lies inside the
    /// unpadded input: `input[i] = out[i] * stride[i] - padding[i] + kernel[i]`.
    var taps: [Tap] {
        let (inSpatial, kernelSpatial, outSpatial) = (Array(x.dropFirst(2)), Array(w.dropFirst(2)), Array(y.dropFirst(2)))
        let inStrides = contiguousStrides(inSpatial)
        var result: [Tap] = []
        var outFlat = 0
        forEachIndex(outSpatial) { o in
            var kernelFlat = 0
            forEachIndex(kernelSpatial) { k in
                var inputFlat = 0
                var inside = true
                for axis in 0..<o.count {
                    let position = o[axis] * stride[axis] - padding[axis] + k[axis]
                    if position < 0 || position >= inSpatial[axis] { inside = false; break }
                    inputFlat += position * inStrides[axis]
                }
                if inside { result.append(Tap(out: outFlat, kernel: kernelFlat, input: inputFlat)) }
                kernelFlat += 1
            }
            outFlat += 1
        }
        return result
    }

    /// Calls `body(xOffset, wOffset, yOffset)` for every multiply-add of the convolution.
    func forEachTerm(_ body: (Int, Int, Int) -> Void) {
        let taps = self.taps
        let (batch, inChannels, outChannels) = (x[0], x[1], w[0])
        let (inPerGroup, outPerGroup) = (inChannels / groups, outChannels / groups)
        let (inBlock, kernelBlock, outBlock) = (product(x.dropFirst(2)), product(w.dropFirst(2)), product(y.dropFirst(2)))
        for n in 0..<batch {
            for oc in 0..<outChannels {
                let group = oc / outPerGroup
                for icInGroup in 0..<inPerGroup {
                    let ic = group * inPerGroup + icInGroup
                    let xBase = (n * inChannels + ic) * inBlock
                    let wBase = (oc * inPerGroup + icInGroup) * kernelBlock
                    let yBase = (n * outChannels + oc) * outBlock
                    for tap in taps { body(xBase + tap.input, wBase + tap.kernel, yBase + tap.out) }
                }
            }
        }
    }
}

extension ReferenceKernels {
    /// Cross-correlation as `nn.Conv2d` / `nn.Conv3d` compute it.
    static func conv(_ x: HostTensor, _ w: HostTensor, geometry: ConvGeometry) -> HostTensor {
        var y = HostTensor.zeros(geometry.y)
        geometry.forEachTerm { xi, wi, yi in y.scalars[yi] += x.scalars[xi] * w.scalars[wi] }
        return y
    }

    /// The adjoint of `conv` in its input: `dy` spread back through the weights.
    static func convTranspose(_ dy: HostTensor, _ w: HostTensor, geometry: ConvGeometry) -> HostTensor {
        var dx = HostTensor.zeros(geometry.x)
        geometry.forEachTerm { xi, wi, yi in dx.scalars[xi] += dy.scalars[yi] * w.scalars[wi] }
        return dx
    }

    /// The adjoint of `conv` in its weight: input patches weighted by `dy`.
    static func convWeightGrad(_ x: HostTensor, _ dy: HostTensor, geometry: ConvGeometry) -> HostTensor {
        var dw = HostTensor.zeros(geometry.w)
        geometry.forEachTerm { xi, wi, yi in dw.scalars[wi] += x.scalars[xi] * dy.scalars[yi] }
        return dw
    }
}
