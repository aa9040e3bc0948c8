import TensorGraph

/// phenaki-pytorch's `Attention` (self-attention, no causal mask or ALiBi yet).
///
/// `norm` (bias-less LayerNorm) → `to_q`, `to_kv` (no bias) → split heads → optional learned
/// null keys/values prepended → l2-normalised q, k times `q_scale`, `k_scale` → `q·kᵀ · scale`
/// (+ optional additive bias) → softmax → `·v` → merge heads → `to_out` (no bias).
///
/// Parameters, relative to the layer's scope: `norm.gamma`, `to_q.weight` [inner, dim],
/// `to_kv.weight` [2·inner, dim], `q_scale` and `k_scale` [dimHead], `to_out.weight`
/// [dim, inner], and `null_kv` [heads, 2·numNullKV, dimHead] only when `numNullKV > 0`.
/// (phenaki-pytorch also keeps an empty `null_kv` and an unused `context_norm.gamma` in a
/// self-attention's `state_dict`; they hold no values a self-attention reads.)
public struct Attention: Layer {
    /// Model width.
    public let dim: Int
    /// Width of one head.
    public let dimHead: Int
    /// Number of heads.
    public let heads: Int
    /// Learned null key/value pairs prepended to the keys and values.
    public let numNullKV: Int
    /// Multiplier of the cosine-similarity logits (phenaki's default 8).
    public let scale: Double

    /// An attention layer of width `dim` with `heads` heads of `dimHead`.
    public init(dim: Int, dimHead: Int = 64, heads: Int = 8, numNullKV: Int = 0, scale: Double = 8) {
        self.dim = dim
        self.dimHead = dimHead
        self.heads = heads
        self.numNullKV = numNullKV
        self.scale = scale
    }

    /// `heads * dimHead`.
    public var innerDim: Int { heads * dimHead }

    /// Self-attention over `x` [batch, tokens, dim] without a bias.
    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, attentionBias: nil) }

    /// Self-attention over `x` [batch, tokens, dim]; `attentionBias` is added to the logits
    /// and broadcasts against [batch, heads, tokens, tokens] (it does not cover null keys; they
    /// get a bias of 0, as phenaki pads it).
    public func callAsFunction(_ x: Tensor, attentionBias: Tensor?) -> Tensor {
        let t = x.tracer
        let (batch, tokens) = (x.shape[0], x.shape[1])
        let inner = innerDim
        let normed = PhenakiLayerNorm(dim).named("norm")(x)
        let q = splitHeads(Linear(dim, inner, bias: false).named("to_q")(normed))
        let kv = Linear(dim, 2 * inner, bias: false).named("to_kv")(normed)
        var k = splitHeads(kv.slice(axis: -1, 0..<inner))
        var v = splitHeads(kv.slice(axis: -1, inner..<(2 * inner)))
        if numNullKV > 0 {
            let (nullK, nullV) = nullKeysAndValues(t, batch: batch)
            k = concat([nullK, k], axis: 2)
            v = concat([nullV, v], axis: 2)
        }
        let qScaled = q.l2Normalize(axis: -1) * t.parameter("q_scale", [dimHead], .ones)
        let kScaled = k.l2Normalize(axis: -1) * t.parameter("k_scale", [dimHead], .ones)
        // softmax(q·kᵀ·scale + bias)·v as one op: the runtime never materialises the scores.
        let bias = attentionBias.map { numNullKV > 0 ? $0.pad(axis: -1, before: numNullKV, after: 0) : $0 }
        let out = TensorGraph.attention(qScaled, kScaled, v, bias: bias, scale: scale)
        let merged = out.permute([0, 2, 1, 3]).reshape([batch, tokens, inner])
        return Linear(inner, dim, bias: false).named("to_out")(merged)
    }

    /// `b n (h d) -> b h n d`.
    func splitHeads(_ x: Tensor) -> Tensor {
        x.reshape([x.shape[0], x.shape[1], heads, dimHead]).permute([0, 2, 1, 3])
    }

    /// `repeat(null_kv, 'h (n r) d -> b h n r d', r: 2).unbind(-2)`: pairs interleave k, v.
    func nullKeysAndValues(_ t: Tracer, batch: Int) -> (Tensor, Tensor) {
        let nullKV = t.parameter("null_kv", [heads, 2 * numNullKV, dimHead], .normal(mean: 0, std: 1))
        let pairs = nullKV.reshape([1, heads, numNullKV, 2, dimHead])
        let target = [batch, heads, numNullKV, dimHead]
        let nullK = pairs.slice(axis: 3, 0..<1).reshape([1, heads, numNullKV, dimHead]).expand(target)
        let nullV = pairs.slice(axis: 3, 1..<2).reshape([1, heads, numNullKV, dimHead]).expand(target)
        return (nullK, nullV)
    }
}
