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
///
/// Training mode learns the codebook as `CosineSimCodebook.forward` does, by EMA rather than by
/// gradient: `_codebook.embed`, `_codebook.cluster_size` [1, codebookSize] and
/// `_codebook.embed_avg` [1, codebookSize, dim] are buffers (`Tracer.bufferUpdate(of:to:)`), so a
/// training graph writes their EMA update to `next:` and the optimizer never touches them. The
/// state_dict's `_codebook.initted` is a constant 1 (no k-means init) that `WeightPolicy.phenaki`
/// accepts; eval mode declares only `_codebook.embed` and the policy accepts the other two.
public struct VectorQuantize {
    public let dim: Int
    public let codebookSize: Int
    /// Weight of the commitment term of the auxiliary loss.
    public let commitmentWeight: Double
    /// PyTorch's `self.training`: straight-through output and commitment loss. In eval mode the
    /// output is the codebook row (no gradient to the input) and the loss is 0.
    public let training: Bool
    /// The EMA decay of the codebook update (vector-quantize-pytorch's `decay`).
    public let decay: Double
    /// The Laplace smoothing of cluster sizes in the codebook update (`eps`).
    public let epsilon: Double

    public init(dim: Int, codebookSize: Int, commitmentWeight: Double = 1, training: Bool = true,
                decay: Double = 0.8, epsilon: Double = 1e-5) {
        precondition(dim >= 1 && codebookSize >= 1, "VectorQuantize: dim and codebookSize must be positive")
        self.dim = dim
        self.codebookSize = codebookSize
        self.commitmentWeight = commitmentWeight
        self.training = training
        self.decay = decay
        self.epsilon = epsilon
    }

    /// The codebook parameter `_codebook.embed` [1, codebookSize, dim] as stored.
    func embedParameter(_ t: Tracer) -> Tensor {
        // kaiming_uniform_ on (1, K, d) has fan_in K·d: bound sqrt(6 / (K·d)); rows are normalised on use.
        let bound = (6.0 / Double(codebookSize * dim)).squareRoot()
        return t.scope("_codebook") {
            t.parameter("embed", [1, codebookSize, dim], .uniform(low: -bound, high: bound))
        }
    }

    /// The codebook [codebookSize, dim] with unit rows (parameter `_codebook.embed`).
    public func codebook(_ t: Tracer) -> Tensor {
        embedParameter(t).reshape([codebookSize, dim]).l2Normalize(axis: -1).stopGradient()
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
        if training { updateCodebook(t, normalizedInput: x, indices: indices, codebook: embed, mask: mask) }
        return (out.reshape(lead + [dim]), indices.reshape(lead), auxLoss)
    }

    /// Records the EMA codebook update of one training forward (`CosineSimCodebook.forward`):
    ///
    ///     bins         = Σ_n onehot[n, k]              (tokens kept by `mask` only)
    ///     embed_sum    = onehotᵀ · x̂
    ///     cluster_size = lerp(cluster_size, bins, 1 − decay)
    ///     embed_avg    = lerp(embed_avg, embed_sum, 1 − decay)
    ///     smoothed     = (cluster_size + ε) / (Σ cluster_size + K ε) · Σ cluster_size
    ///     embed        = l2norm(embed_avg / smoothed)
    ///
    /// PyTorch starts with `embed_avg = embed.clone()` and `cluster_size = 0`, and every update
    /// with a kept token makes Σ cluster_size positive; so Σ cluster_size = 0 means a codebook
    /// never updated, whose `embed_avg` is its codebook. The graph reads `embed_avg` as the
    /// (normalised) codebook then, so this package's own init can start `embed_avg` at zeros and
    /// still follow PyTorch's first update exactly. (A batch whose tokens are all masked out gives
    /// 0 / 0, NaN, as in PyTorch.)
    func updateCodebook(_ t: Tracer, normalizedInput x: Tensor, indices: Tensor, codebook: Tensor, mask: Tensor?) {
        let (k, d) = (codebookSize, dim)
        let (clusterSize, embedAvg) = t.scope("_codebook") {
            (t.parameter("cluster_size", [1, k], .zeros), t.parameter("embed_avg", [1, k, d], .zeros))
        }
        // Per-code token counts and sums by scatter-add (PyTorch's one-hot products, without an
        // [n, K] one-hot); masked-out tokens count zero.
        let n = x.shape[0]
        let kept = mask.map { $0.reshape([n]).cast(.float32) } ?? t.constant(1, [n])
        let bins = kept.scatterAdd(indices, axis: 0, size: k)
        let embedSum = (x.stopGradient() * kept.reshape([n, 1])).scatterAdd(indices, axis: 0, size: k)

        let oldSize = clusterSize.reshape([k])
        let fresh = (oldSize.sum() .<= 0).cast(.float32)
        let oldAvg = embedAvg.reshape([k, d])
        let startAvg = oldAvg + fresh * (codebook - oldAvg)

        let newSize = oldSize + (bins - oldSize) * (1 - decay)
        let newAvg = startAvg + (embedSum - startAvg) * (1 - decay)
        let total = newSize.sum()
        let smoothed = (newSize + epsilon) / (total + Double(k) * epsilon) * total
        let newEmbed = (newAvg / smoothed.reshape([k, 1])).l2Normalize(axis: -1)

        t.bufferUpdate(of: clusterSize, to: newSize.reshape([1, k]))
        t.bufferUpdate(of: embedAvg, to: newAvg.reshape([1, k, d]))
        t.bufferUpdate(of: embedParameter(t), to: newEmbed.reshape([1, k, d]))
    }

    /// `codebook[indices]` (phenaki-pytorch's `decode_from_codebook_indices` for VQ): the codes
    /// [..., dim] of int32 indices [...].
    public func indicesToCodes(_ indices: Tensor) -> Tensor {
        let t = indices.tracer
        precondition(indices.dtype == .int32, "VectorQuantize: indices must be int32")
        return codebook(t).gather(indices.reshape([-1]), axis: 0).reshape(indices.shape + [dim])
    }
}
