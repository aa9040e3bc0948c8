import TensorGraph

/// vector-quantize-pytorch 1.11.8's `LFQ` (lookup-free quantization, arXiv 2310.05737) with one
/// codebook, as phenaki-pytorch's `CViViT` builds it: `LFQ(dim: dim, codebook_size: codebook_size)`
/// with the default weights (entropy 0.1, commitment 0.25, diversity γ 1, codebook scale 1) and
/// the default `inv_temperature` 100 of `forward`.
///
/// Parameters (only when `dim != log2(codebookSize)`): `project_in.{weight,bias}` and
/// `project_out.{weight,bias}` (`nn.Linear`). The `mask` buffer of the state_dict (2^(bits-1) … 1)
/// and the ±1 codebook are constants here.
///
/// Codes and indices are most significant bit first: code j has bit k = (j >> (bits-1-k)) & 1,
/// value 2·bit − 1 (times the codebook scale), and the index of a quantized vector is
/// Σₖ (qₖ > 0)·2^(bits-1-k).
public struct LFQ {
    public let dim: Int
    public let codebookSize: Int
    /// log2(codebookSize): the number of bits of a code.
    public let codebookDim: Int
    public let entropyLossWeight: Double
    public let commitmentLossWeight: Double
    public let diversityGamma: Double
    public let codebookScale: Double
    /// `forward`'s `inv_temperature` of the entropy softmax.
    public let inverseTemperature: Double
    /// PyTorch's `self.training`: the straight-through estimator and the auxiliary losses. In
    /// eval mode the output is the quantized value (no gradient to the input) and the loss is 0.
    public let training: Bool

    public init(dim: Int? = nil, codebookSize: Int? = nil, entropyLossWeight: Double = 0.1,
                commitmentLossWeight: Double = 0.25, diversityGamma: Double = 1, codebookScale: Double = 1,
                inverseTemperature: Double = 100, training: Bool = true) {
        precondition(dim != nil || codebookSize != nil, "LFQ: either dim or codebookSize must be given")
        let size = codebookSize ?? (1 << dim!)
        precondition(size > 1 && size & (size - 1) == 0, "LFQ: the codebook size must be a power of 2")
        self.codebookSize = size
        self.codebookDim = size.trailingZeroBitCount
        self.dim = dim ?? self.codebookDim
        self.entropyLossWeight = entropyLossWeight
        self.commitmentLossWeight = commitmentLossWeight
        self.diversityGamma = diversityGamma
        self.codebookScale = codebookScale
        self.inverseTemperature = inverseTemperature
        self.training = training
    }

    /// Whether `project_in` / `project_out` exist (dim ≠ log2(codebookSize)).
    public var hasProjections: Bool { dim != codebookDim }

    /// The bit weights 2^(bits-1), …, 1 (the reference's `mask` buffer).
    var bitWeights: [Double] { (0..<codebookDim).map { Double(1 << (codebookDim - 1 - $0)) } }

    /// All codes [codebookSize, codebookDim] of ±codebookScale, row j the bits of j (MSB first).
    public func codebook(_ t: Tracer) -> Tensor {
        var values: [Double] = []
        values.reserveCapacity(codebookSize * codebookDim)
        for j in 0..<codebookSize {
            for k in 0..<codebookDim {
                let bit = (j >> (codebookDim - 1 - k)) & 1
                values.append(bit == 1 ? codebookScale : -codebookScale)
            }
        }
        return t.constant(values: values, [codebookSize, codebookDim])
    }

    /// `LFQ.forward(x)` for x [..., dim] (the (b, n, d) layout CViViT passes): the quantized
    /// (and projected back) values [..., dim], the int32 indices [...], and the scalar auxiliary
    /// loss `entropy_loss_weight · (per-sample entropy − γ · codebook entropy) +
    /// commitment_loss_weight · mse(x, quantized)` (0 in eval mode).
    public func callAsFunction(_ input: Tensor) -> (quantized: Tensor, indices: Tensor, auxLoss: Tensor) {
        let t = input.tracer
        precondition(input.rank >= 2 && input.shape.last == dim, "LFQ: expected [..., \(dim)], got \(input.shape)")
        let lead = Array(input.shape.dropLast())
        var x = input.reshape([-1, dim])
        if hasProjections { x = t.scope("project_in") { Linear(dim, codebookDim)(x) } }
        let original = x
        let quantized = select(x .> 0, t.constant(codebookScale), -codebookScale)
        let out = training ? x + (quantized - x).stopGradient() : quantized
        let indices = ((out .> 0).cast(.int32) * t.constant(values: bitWeights, [codebookDim], .int32))
            .sum(axes: [-1])

        let auxLoss: Tensor
        if training {
            // -distance · inv_temperature with distance = -2 x·c.
            let logits = matmul(original, codebook(t), transposeB: true) * (2 * inverseTemperature)
            let prob = logits.softmax(axis: -1)
            let perSampleEntropy = Self.entropy(prob).mean()
            let averageProb = prob.mean(axes: [0])
            let codebookEntropy = Self.entropy(averageProb)
            let entropyAuxLoss = perSampleEntropy - diversityGamma * codebookEntropy
            let commitLoss = (original - quantized.stopGradient()).square().mean()
            auxLoss = entropyAuxLoss * entropyLossWeight + commitLoss * commitmentLossWeight
        } else {
            auxLoss = t.constant(0)
        }

        var y = out
        if hasProjections { y = t.scope("project_out") { Linear(codebookDim, dim)(y) } }
        return (y.reshape(lead + [dim]), indices.reshape(lead), auxLoss)
    }

    /// `LFQ.indices_to_codes(indices)` for int32 indices [...] (no image/video layout): the codes
    /// [..., codebookDim] of ±codebookScale, through `project_out` ([..., dim]) if `projectOut`.
    public func indicesToCodes(_ indices: Tensor, projectOut: Bool = true) -> Tensor {
        let t = indices.tracer
        precondition(indices.dtype == .int32, "LFQ: indices must be int32")
        let lead = indices.shape
        let oneHot = indices.reshape([-1]).oneHot(codebookSize)
        var codes = matmul(oneHot, codebook(t))
        if projectOut && hasProjections { codes = t.scope("project_out") { Linear(codebookDim, dim)(codes) } }
        return codes.reshape(lead + [projectOut ? dim : codebookDim])
    }

    /// `entropy(prob)` of lookup_free_quantization.py: Σ −p·log(max(p, 1e-5)) over the last axis.
    static func entropy(_ prob: Tensor) -> Tensor {
        (-prob * prob.maximum(1e-5).log()).sum(axes: [-1])
    }
}
