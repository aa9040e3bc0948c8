/// Which tensors of a weights file that the graph does not declare are accepted without error.
///
/// phenaki-pytorch's `state_dict` holds a few entries that carry no information for the Swift
/// graph; `.phenaki` accepts exactly those, `.strict` accepts nothing. Tensors the graph
/// declares are always checked in full, whatever the policy.
public struct WeightPolicy: Equatable, Sendable {
    /// The rules tried, in order, for each file tensor the graph does not declare.
    public var tolerances: [WeightTolerance]

    public init(tolerances: [WeightTolerance]) {
        self.tolerances = tolerances
    }

    /// Accepts the phenaki-pytorch entries the Swift graph has no use for:
    ///
    /// - `*.beta` (e.g. `norm.beta`, `norm_out.beta`, `layers.0.1.context_norm.beta`): the bias of
    ///   phenaki-pytorch's bias-less `LayerNorm`, a zeros buffer beside its `*.gamma`. Accepted
    ///   only when the file has the sibling `*.gamma` of the same shape and every element is
    ///   zero; a non-zero beta is an error, since dropping it would change results.
    /// - Any tensor with zero elements (e.g. `null_kv` of shape [heads, 0, dim_head] when
    ///   `num_null_kv` is 0): it holds no values.
    /// - `<p>.context_norm.gamma` of a self-attention layer `<p>` (the graph declares
    ///   `<p>.to_q.weight` and `<p>.norm.gamma` but no `<p>.context_norm.gamma`, and the shape
    ///   equals `<p>.norm.gamma`'s): phenaki-pytorch's `Attention` creates `context_norm` always
    ///   but applies it only to a context, which self-attention never gets.
    /// - `vgg.*` and `discr.*` (at any depth, e.g. `cvivit.vgg.*`) when the graph declares no
    ///   parameter under that prefix: the perceptual-loss VGG and the GAN discriminator of
    ///   `CViViT`, which sampling and a graph built without them do not use.
    /// - `<p>.mask` of vector-quantize-pytorch's `LFQ` (`vq.mask`): the integer bit weights
    ///   2^(n-1), …, 2, 1, constants of the graph. Accepted only with exactly those values; other
    ///   values would change the ids, so they are an error.
    /// - `<p>._codebook.initted` of `VectorQuantize` when the graph declares `<p>._codebook.embed`,
    ///   and `<p>._codebook.cluster_size`, `<p>._codebook.embed_avg` when the graph declares the
    ///   codebook but not them: the state of its EMA codebook update. A training-mode graph declares
    ///   `cluster_size` and `embed_avg` as buffers, so they load (and are checked) like any
    ///   parameter; an eval-mode graph never reads them. Accepted when the shapes fit the codebook;
    ///   an `initted` of 0 (a codebook still waiting for its k-means init, which the graph does
    ///   not model) is an error.
    public static let phenaki = WeightPolicy(tolerances: [
        .emptyTensor, .absentSubmodule("vgg"), .absentSubmodule("discr"), .selfAttentionContextNorm,
        .zeroLayerNormBeta, .lfqBitMask, .vectorQuantizeEMAState,
    ])

    /// Accepts nothing the graph does not declare.
    public static let strict = WeightPolicy(tolerances: [])
}

/// One rule of a `WeightPolicy`: a kind of file tensor that may be absent from the graph.
public enum WeightTolerance: Equatable, Sendable, CustomStringConvertible {
    /// A tensor with zero elements.
    case emptyTensor
    /// Anything under a scope path component called `component` (`vgg`, `discr`) when the
    /// graph declares no parameter under the same prefix.
    case absentSubmodule(String)
    /// `<p>.context_norm.gamma` of an attention layer the graph traces as self-attention.
    case selfAttentionContextNorm
    /// An all-zero `*.beta` beside a `*.gamma` of the same shape in the file.
    case zeroLayerNormBeta
    /// LFQ's integer `*.mask` buffer holding 2^(n-1), …, 1.
    case lfqBitMask
    /// `VectorQuantize`'s EMA buffers that the graph does not declare, beside a declared
    /// `*._codebook.embed`.
    case vectorQuantizeEMAState

    public var description: String {
        switch self {
        case .emptyTensor: return "it has no elements"
        case .absentSubmodule(let component): return "the model has no '\(component)' submodule"
        case .selfAttentionContextNorm: return "self-attention never applies its context_norm"
        case .zeroLayerNormBeta: return "zero bias buffer of a bias-less LayerNorm"
        case .lfqBitMask: return "LFQ's bit weights, constants of the graph"
        case .vectorQuantizeEMAState: return "EMA codebook state that this graph does not update"
        }
    }
}
