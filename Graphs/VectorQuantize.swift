import TensorGraph

/// vector-quantize-pytorch 1.11.8's `VectorQuantize` as phenaki-pytorch's `CViViT` builds it with
/// `lookup_free_quantization=False`: `VectorQuantize(dim, codebook_size, use_cosine_sim=True)`, one
/// head, no projection (`codebook_dim = dim`), the defaults `commitment_weight` 1, `decay` 0.8,
/// no k-means init, no dead-code expiry, deterministic argmax (no stochastic sampling).
///
/// The input is l2-normalised; the code of a vector is the codebook row of largest cosine
/// similarity; in training mode the output is the straight-through `x̂ + sg(q − x̂)` (x̂ the
/// normalised input) and the auxiliary loss is `commitment_weight · mse(sg(q), x̂)`.
///
/// Parameter: `_codebook.embed` [1, codebookSize, dim] (a buffer in PyTorch, unit rows). It is
/// used l2-normalised: PyTorch's rows are always unit (both its init and its EMA update
/// normalise), so on loaded weights this is the identity up to rounding, and it makes this
/// package's own random init a valid cosine codebook. No gradient reaches it (as in PyTorch).
/// The state_dict's `_codebook.initted`, `_codebook.cluster_size` and `_codebook.embed_avg` are
/// EMA bookkeeping that `WeightPolicy.phenaki` accepts and ignores.
///
/// Not modelled: the EMA codebook update of training mode (`cluster_size`, `embed_avg`, decay
/// 0.8), so a Swift training step leaves the codebook as it is.
public struct VectorQuantize {
    public let dim: Int
    public let codebookSize: Int
    /// Weight of the commitment term of the auxiliary loss.
    public let commitmentWeight: Double
    /// PyTorch's `self.training`: straight-through output and commitment loss. In eval mode the
    /// output is the codebook row (no gradient to the input) and the loss is 0.
    public let training: Bool

    public init(dim: Int, codebookSize: Int, commitmentWeight: Double = 1, training: Bool = true) {
        precondition(dim >= 1 && codebookSize >= 1, "VectorQuantize: dim and codebookSize must be positive")
        self.dim = dim
        self.codebookSize = codebookSize
        self.commitmentWeight = commitmentWeight
        self.training = training
    }

    /// The codebook [codebookSize, dim] with unit rows (parameter `_codebook.embed`).
    public func codebook(_ t: Tracer) -> Tensor {
        // kaiming_uniform_ on (1, K, d) has fan_in K·d: bound sqrt(6 / (K·d)); rows are normalised below.
        let bound = (6.0 / Double(codebookSize * dim)).squareRoot()
        let embed = t.scope("_codebook") {
            t.parameter("embed", [1, codebookSize, dim], .uniform(low: -bound, high: bound))
        }
        return embed.reshape([codebookSize, dim]).l2Normalize(axis: -1).stopGradient()
    }

    /// `VectorQuantize.forward(x, mask=mask)` for x [b, n, dim] (or any [..., dim] without a
    /// mask): the quantized values [..., dim], the int32 indices [...] and the scalar auxiliary
    /// loss (PyTorch returns it with shape [1]).
    ///
    /// `mask` (bool [b, n], phenaki-pytorch's token mask from `video_frame_mask`) restricts the
    /// commitment loss to the kept tokens (mean over them) and passes masked-out tokens through
    /// unchanged (`torch.where(mask, quantize, orig_input)`: the raw, unnormalised input). Indices
    /// are computed for every token.
    public func callAsFunction(_ input: Tensor, mask: Tensor? = nil) -> (quantized: Tensor, indices: Tensor, auxLoss: Tensor) {
        let t = input.tracer
        precondition(input.rank >= 2 && input.shape.last == dim, "VectorQuantize: expected [..., \(dim)], got \(input.shape)")
        let lead = Array(input.shape.dropLast())
        if let mask {
            precondition(mask.dtype == .bool && mask.shape == lead, "VectorQuantize: mask must be bool \(lead)")
        }
        let x = input.reshape([-1, dim]).l2Normalize(axis: -1)
        let embed = codebook(t)
        let similarity = matmul(x, embed, transposeB: true)
        let indices = similarity.argmax(axis: -1)
        let quantize = embed.gather(indices, axis: 0)

        var out = training ? x + (quantize - x).stopGradient() : quantize
        let auxLoss: Tensor
        if training {
            let squared = (quantize - x).square()
            if let mask {
                let kept = mask.reshape([-1, 1]).cast(.float32)
                auxLoss = (squared * kept).sum() / (kept.sum() * Double(dim)) * commitmentWeight
            } else {
                auxLoss = squared.mean() * commitmentWeight
            }
        } else {
            auxLoss = t.constant(0)
        }
        if let mask { out = select(mask.reshape([-1, 1]), out, input.reshape([-1, dim])) }
        return (out.reshape(lead + [dim]), indices.reshape(lead), auxLoss)
    }

    /// `codebook[indices]` (phenaki-pytorch's `decode_from_codebook_indices` for VQ): the codes
    /// [..., dim] of int32 indices [...].
    public func indicesToCodes(_ indices: Tensor) -> Tensor {
        let t = indices.tracer
        precondition(indices.dtype == .int32, "VectorQuantize: indices must be int32")
        return codebook(t).gather(indices.reshape([-1]), axis: 0).reshape(indices.shape + [dim])
    }
}
