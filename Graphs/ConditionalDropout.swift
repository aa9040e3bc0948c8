import TensorGraph

/// Classifier-free guidance as phenaki-pytorch trains and samples it: conditional dropout of
/// the text while training (`cond_drop_prob`) and `forward_with_cond_scale` while sampling.
/// Shared by `MaskGit`, `TokenCritic` and `SelfCritic`, whose Python versions repeat the same code.
public enum ConditionalDropout {
    /// `prob_mask_like((b,), 1 - condDropProb)` from its uniform draws: bool [b], true where the
    /// text is kept.
    ///
    /// `uniform` f32 [b] in [0, 1) is either a graph input (parity tests feed PyTorch's own
    /// draws) or `Tracer.randomUniform` of an RNG key (training). The comparison also covers
    /// phenaki-pytorch's short cuts: probability 0 keeps everything (u < 1), 1 drops everything
    /// (u < 0).
    public static func keepMask(uniform: Tensor, condDropProb: Double) -> Tensor {
        uniform .< (1 - condDropProb)
    }

    /// The cross-attention mask after dropout: `keep[:, None] & textMask` (`textMask` nil: all
    /// true) for `text` [b, m, d]; nil when neither is given.
    static func textMask(_ textMask: Tensor?, keep: Tensor?, text: Tensor?) -> Tensor? {
        guard let keep, let text else { return textMask }
        let (b, m) = (text.shape[0], text.shape[1])
        let column = keep.reshape([b, 1])
        return textMask.map { column .& $0 } ?? column.expand([b, m])
    }

    /// `forward_with_cond_scale`: `null + (cond − null) · condScale`, where `cond` keeps the text
    /// and `null` drops all of it (`cond_drop_prob = 1`: only the null keys/values remain to
    /// attend to). Both passes run as ONE pass over the batch doubled (`[x; x]`, keep mask
    /// `[true…; false…]`), so the sampler pays one transformer call per step. `condScale == 1`,
    /// or no text, is the conditional pass alone.
    ///
    /// `forward(ids, text, textMask, videoMask, keep)` runs the model on a batch.
    static func guided(ids: Tensor, text: Tensor?, textMask: Tensor?, videoMask: Tensor?, condScale: Double,
                       forward: (Tensor, Tensor?, Tensor?, Tensor?, Tensor?) -> Tensor) -> Tensor {
        guard condScale != 1, text != nil else { return forward(ids, text, textMask, videoMask, nil) }
        let t = ids.tracer
        let b = ids.shape[0]
        func twice(_ x: Tensor?) -> Tensor? { x.map { concat([$0, $0], axis: 0) } }
        let keep = t.constant(values: Array(repeating: 1, count: b) + Array(repeating: 0, count: b), [2 * b], .bool)
        let both = forward(twice(ids)!, twice(text), twice(textMask), twice(videoMask), keep)
        let cond = both.slice(axis: 0, 0..<b)
        let null = both.slice(axis: 0, b..<(2 * b))
        return null + (cond - null) * condScale
    }
}
