import TensorGraph

/// Position-generating convolution (`PEG`): a depthwise 3×3×3 convolution over (frames, height,
/// width), zero-padded by one on each side, or by two frames before and none after when causal.
/// Parameters `dsconv.weight` [dim, 1, 3, 3, 3] and `dsconv.bias`.
public struct PEG {
    public let dim: Int
    public let causal: Bool

    public init(dim: Int, causal: Bool = false) {
        self.dim = dim
        self.causal = causal
    }

    /// `x` is [..., d] tokens laid out as `shape` = [b, t, h, w] when flattened (phenaki-pytorch
    /// reshapes the raw memory, so a temporal transformer's `((b h w), t, d)` tokens are read
    /// in that order too); returns the convolution in `x`'s shape (the caller adds the residual).
    public func callAsFunction(_ x: Tensor, shape: [Int]) -> Tensor {
        let video = x.reshape(shape + [dim]).permute([0, 4, 1, 2, 3])
        let padded = video
            .pad(axis: 2, before: causal ? 2 : 1, after: causal ? 0 : 1)
            .pad(axis: 3, before: 1, after: 1)
            .pad(axis: 4, before: 1, after: 1)
        let y = DepthwiseConv3d(dim, kernel: [3, 3, 3]).named("dsconv")(padded)
        return y.permute([0, 2, 3, 4, 1]).reshape(x.shape)
    }
}
