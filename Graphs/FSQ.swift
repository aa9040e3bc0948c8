import Foundation
import TensorGraph

/// vector-quantize-pytorch 1.11.8's `FSQ(levels, dim)` (finite scalar quantization, arXiv
/// 2309.15505) with one codebook: each of the `levels.count` channels is bounded with tanh to
/// `levels[i]` values, rounded with a straight-through gradient and rescaled to [-1, 1].
///
/// Parameters (only when `dim != levels.count`): `project_in.{weight,bias}` and
/// `project_out.{weight,bias}` (`nn.Linear`). `_levels`, `_basis` and `implicit_codebook` are
/// non-persistent buffers there and constants here.
///
/// Index of a code: Σᵢ (roundedᵢ + ⌊levelsᵢ/2⌋)·basisᵢ with basis = cumprod([1] + levels[:-1])
/// (first channel least significant). It is computed from the rounded integers, so it is exact;
/// PyTorch goes through the rescaled float code, which equals it whenever ⌊levelsᵢ/2⌋ divides
/// exactly (always for levels ≤ 6 and powers of two).
///
/// Rounding is half away from zero where `torch.round` rounds half to even: they differ only on
/// exact ties, which a tanh-bounded float input meets with probability zero. FSQ has no
/// auxiliary loss. phenaki-pytorch 0.5.0 cannot build C-ViViT with FSQ: it is this package's
/// extension (`cvivit.fsq_levels`).
public struct FSQ {
    public let levels: [Int]
    public let dim: Int

    public init(levels: [Int], dim: Int? = nil) {
        precondition(!levels.isEmpty && levels.allSatisfy { $0 >= 2 }, "FSQ: every level must be at least 2")
        self.levels = levels
        self.dim = dim ?? levels.count
    }

    /// The number of codes, Π levels.
    public var codebookSize: Int { levels.reduce(1, *) }
    /// The channels quantized: `levels.count`.
    public var codebookDim: Int { levels.count }
    /// Whether `project_in` / `project_out` exist (dim ≠ levels.count).
    public var hasProjections: Bool { dim != codebookDim }

    /// `_basis`: cumprod([1] + levels[:-1]).
    public var basis: [Int] {
        var result = [1]
        for level in levels.dropLast() { result.append(result.last! * level) }
        return result
    }

    var halfWidths: [Double] { levels.map { Double($0 / 2) } }

    /// `bound(z)`: tanh(z + tan(offset / half_l)) · half_l − offset per channel, half_l = (levels − 1)(1 − ε)/2, offset ½ for even levels.
    func bound(_ z: Tensor, epsilon: Double = 1e-3) -> Tensor {
        let t = z.tracer
        let halfL = levels.map { Double($0 - 1) * (1 - epsilon) / 2 }
        let offset = levels.map { $0 % 2 == 0 ? 0.5 : 0.0 }
        let shift = zip(offset, halfL).map { tan($0 / $1) }
        let d = codebookDim
        return (z + t.constant(values: shift, [d])).tanh() * t.constant(values: halfL, [d]) - t.constant(values: offset, [d])
    }

    /// Round half away from zero, as a float tensor (float → int32 casts truncate toward zero).
    static func round(_ z: Tensor) -> Tensor {
        (z.abs() + 0.5).cast(.int32).cast(.float32) * z.sign()
    }

    /// `FSQ.forward(z)` for z [..., dim]: the quantized (and projected back) values [..., dim] and
    /// the int32 indices [...].
    public func callAsFunction(_ input: Tensor) -> (quantized: Tensor, indices: Tensor) {
        let t = input.tracer
        precondition(input.rank >= 2 && input.shape.last == dim, "FSQ: expected [..., \(dim)], got \(input.shape)")
        let lead = Array(input.shape.dropLast())
        let d = codebookDim
        var z = input.reshape([-1, dim])
        if hasProjections { z = t.scope("project_in") { Linear(dim, d)(z) } }
        let bounded = bound(z)
        let rounded = Self.round(bounded).stopGradient()
        // round_ste: bounded + sg(round(bounded) − bounded), then / half_width.
        let straight = bounded + (rounded - bounded).stopGradient()
        let halfWidth = t.constant(values: halfWidths, [d])
        var codes = straight / halfWidth
        let digits = rounded + halfWidth
        // + 0.5 before the truncating cast: the sum is an exact integer in float32 below 2^24.
        let indices = ((digits * t.constant(values: basis.map(Double.init), [d])).sum(axes: [-1]) + 0.5).cast(.int32)
        if hasProjections { codes = t.scope("project_out") { Linear(d, dim)(codes) } }
        return (codes.reshape(lead + [dim]), indices.reshape(lead))
    }

    /// Every code [codebookSize, levels.count] in [-1, 1] (`implicit_codebook`): row j holds
    /// ((j / basisᵢ) mod levelsᵢ − ⌊levelsᵢ/2⌋) / ⌊levelsᵢ/2⌋.
    public func codebook(_ t: Tracer) -> Tensor {
        var values: [Double] = []
        values.reserveCapacity(codebookSize * codebookDim)
        let basis = self.basis
        for j in 0..<codebookSize {
            for i in 0..<codebookDim {
                let digit = (j / basis[i]) % levels[i]
                let half = Double(levels[i] / 2)
                values.append((Double(digit) - half) / half)
            }
        }
        return t.constant(values: values, [codebookSize, codebookDim])
    }

    /// `FSQ.indices_to_codes(indices)` for int32 indices [...] (no image/video layout): codes
    /// [..., levels.count], through `project_out` ([..., dim]) if `projectOut`.
    public func indicesToCodes(_ indices: Tensor, projectOut: Bool = true) -> Tensor {
        let t = indices.tracer
        precondition(indices.dtype == .int32, "FSQ: indices must be int32")
        var codes = codebook(t).gather(indices.reshape([-1]), axis: 0)
        if projectOut && hasProjections { codes = t.scope("project_out") { Linear(codebookDim, dim)(codes) } }
        return codes.reshape(indices.shape + [projectOut ? dim : codebookDim])
    }
}
