import TensorGraph

/// phenaki-pytorch's `Attention`: self-attention (optionally causal with ALiBi) or
/// cross-attention to a context.
///
/// `norm` (bias-less LayerNorm) on x → `to_q`; `to_kv` on the (`context_norm`-ed) context, or on
/// x itself before `norm` → split heads → optional learned null keys/values prepended →
/// l2-normalised q, k times `q_scale`, `k_scale` → `q·kᵀ · scale` + attention bias (padded for
/// the null keys) → key mask (padded with true) → ALiBi and the causal mask → softmax → `·v`
/// → merge heads → `to_out`. The score part is one `attention` op.
///
/// Parameters, relative to the layer's scope: `norm.gamma`, `context_norm.gamma` (when a
/// context is used), `to_q.weight`, `to_kv.weight`, `q_scale`, `k_scale`, `to_out.weight`, and
/// `null_kv` [heads, 2·numNullKV, dimHead] when `numNullKV > 0`.
public struct Attention: Layer {
    public let dim: Int
    /// Width of the context tokens for cross-attention (nil: self-attention).
    public let dimContext: Int?
    public let dimHead: Int
    public let heads: Int
    /// Causal self-attention with ALiBi.
    public let causal: Bool
    public let numNullKV: Int
    /// Normalise the context with `context_norm` before projecting it.
    public let normContext: Bool
    public let scale: Double

    public init(dim: Int, dimContext: Int? = nil, dimHead: Int = 64, heads: Int = 8, causal: Bool = false,
                numNullKV: Int = 0, normContext: Bool = true, scale: Double = 8) {
        self.dim = dim
        self.dimContext = dimContext
        self.dimHead = dimHead
        self.heads = heads
        self.causal = causal
        self.numNullKV = numNullKV
        self.normContext = normContext
        self.scale = scale
    }

    public var innerDim: Int { heads * dimHead }

    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, attentionBias: nil) }

    /// Attention of `x` over itself, or over `context` [b, m, dimContext] when given. `mask`
    /// [b, keys] is true for keys to attend to; `attentionBias` broadcasts to [b, heads, i, j].
    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil, context: Tensor? = nil,
                               attentionBias: Tensor? = nil) -> Tensor {
        let t = x.tracer
        let (batch, tokens) = (x.shape[0], x.shape[1])
        let inner = innerDim
        var kvInput = x
        if let context {
            kvInput = normContext ? PhenakiLayerNorm(context.shape[context.rank - 1]).named("context_norm")(context) : context
        }
        // As phenaki-pytorch: keys and values come from the context, or from x BEFORE `norm`.
        let normed = PhenakiLayerNorm(dim).named("norm")(x)
        let q = splitHeads(Linear(dim, inner, bias: false).named("to_q")(normed))
        let kv = Linear(kvInput.shape[kvInput.rank - 1], 2 * inner, bias: false).named("to_kv")(kvInput)
        var k = splitHeads(kv.slice(axis: -1, 0..<inner))
        var v = splitHeads(kv.slice(axis: -1, inner..<(2 * inner)))
        if numNullKV > 0 {
            let (nullK, nullV) = nullKeysAndValues(t, batch: batch)
            k = concat([nullK, k], axis: 2)
            v = concat([nullV, v], axis: 2)
        }
        let qScaled = q.l2Normalize(axis: -1) * t.parameter("q_scale", [dimHead], .ones)
        let kScaled = k.l2Normalize(axis: -1) * t.parameter("k_scale", [dimHead], .ones)
        let (i, j) = (tokens, k.shape[2])

        var bias = attentionBias.map { numNullKV > 0 ? $0.pad(axis: -1, before: numNullKV, after: 0) : $0 }
        var keep = mask.map { m in
            (numNullKV > 0 ? m.pad(axis: -1, before: numNullKV, after: 0, value: 1) : m).reshape([batch, 1, 1, j])
        }
        if causal {
            let alibi = AlibiBias(heads: heads).bias(t, queries: i, keys: j)
            bias = bias.map { $0 + alibi } ?? alibi
            let visible = AlibiBias.causalMask(t, queries: i, keys: j)
            keep = keep.map { $0 .& visible } ?? visible
        }
        // softmax(q·kᵀ·scale + bias, masked)·v as one op: the runtime never materialises the scores.
        let out = TensorGraph.attention(qScaled, kScaled, v, bias: bias, mask: keep, scale: scale)
        let merged = out.permute([0, 2, 1, 3]).reshape([batch, tokens, inner])
        return Linear(inner, dim, bias: false).named("to_out")(merged)
    }

    /// [b, n, h·d] → [b, h, n, d].
    func splitHeads(_ x: Tensor) -> Tensor {
        x.reshape([x.shape[0], x.shape[1], heads, dimHead]).permute([0, 2, 1, 3])
    }

    /// The learned null keys and values, `null_kv` [heads, 2·n, dim_head] read as
    /// 'h (n r) d' with r = 2 (even rows keys, odd rows values), repeated over the batch.
    func nullKeysAndValues(_ t: Tracer, batch: Int) -> (Tensor, Tensor) {
        let nullKV = t.parameter("null_kv", [heads, 2 * numNullKV, dimHead], .normal(mean: 0, std: 1))
        let pairs = nullKV.reshape([1, heads, numNullKV, 2, dimHead])
        let target = [batch, heads, numNullKV, dimHead]
        let nullK = pairs.slice(axis: 3, 0..<1).reshape([1, heads, numNullKV, dimHead]).expand(target)
        let nullV = pairs.slice(axis: 3, 1..<2).reshape([1, heads, numNullKV, dimHead]).expand(target)
        return (nullK, nullV)
    }
}
