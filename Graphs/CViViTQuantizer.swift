import TensorGraph

/// The quantizer between C-ViViT's encoder and decoder (scope `vq`), one of:
///
/// - `lfq`: phenaki-pytorch's default (`lookup_free_quantization=True`), `LFQ(dim, codebook_size)`;
/// - `vectorQuantize`: `lookup_free_quantization=False`, `VectorQuantize(dim, codebook_size,
///   use_cosine_sim=True)`;
/// - `fsq`: this package's extension, vector-quantize-pytorch's `FSQ(levels, dim)`.
///
/// All three map tokens [b, n, dim] to quantized tokens [b, n, dim], int32 ids [b, n] and a scalar
/// auxiliary loss (0 for FSQ), and ids back to codes [..., dim].
public enum CViViTQuantizer {
    case lfq(LFQ)
    case vectorQuantize(VectorQuantize)
    case fsq(FSQ)

    /// The token width the quantizer takes and returns.
    public var dim: Int {
        switch self {
        case .lfq(let q): return q.dim
        case .vectorQuantize(let q): return q.dim
        case .fsq(let q): return q.dim
        }
    }

    /// The number of distinct ids.
    public var codebookSize: Int {
        switch self {
        case .lfq(let q): return q.codebookSize
        case .vectorQuantize(let q): return q.codebookSize
        case .fsq(let q): return q.codebookSize
        }
    }

    /// Quantizes tokens [b, n, dim]. `mask` (bool [b, n]) reaches only `VectorQuantize`, as in
    /// phenaki-pytorch's `CViViT.forward` (LFQ gets no mask there; FSQ takes none).
    public func callAsFunction(_ tokens: Tensor, mask: Tensor? = nil) -> (quantized: Tensor, indices: Tensor, auxLoss: Tensor) {
        switch self {
        case .lfq(let q): return q(tokens)
        case .vectorQuantize(let q): return q(tokens, mask: mask)
        case .fsq(let q):
            let (quantized, indices) = q(tokens)
            return (quantized, indices, tokens.tracer.constant(0))
        }
    }

    /// The codes [..., dim] of int32 ids [...] (`CViViT.decode_from_codebook_indices`).
    public func indicesToCodes(_ indices: Tensor) -> Tensor {
        switch self {
        case .lfq(let q): return q.indicesToCodes(indices)
        case .vectorQuantize(let q): return q.indicesToCodes(indices)
        case .fsq(let q): return q.indicesToCodes(indices)
        }
    }
}
