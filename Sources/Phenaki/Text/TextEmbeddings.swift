import GraphRuntime

/// What a text encoder hands to MaskGit's cross-attention: per-token embeddings and which
/// tokens are real.
public struct TextEmbeddings: Equatable, Sendable {
    /// float32 [b, tokens, dim]; rows of padding tokens are all zero.
    public var embeddings: HostTensor
    /// bool [b, tokens]: true for real tokens, false for padding.
    public var mask: HostTensor

    /// Embeddings with an explicit mask.
    public init(embeddings: HostTensor, mask: HostTensor) {
        self.embeddings = embeddings
        self.mask = mask
    }

    /// Embeddings whose mask is derived as phenaki-pytorch does for given `text_embeds`:
    /// a token is masked out when its whole feature row is zero.
    public init(embeddings: HostTensor) {
        let dim = embeddings.shape.last ?? 0
        let rows = dim == 0 ? 0 : embeddings.count / dim
        var keep = [Double](repeating: 0, count: rows)
        embeddings.scalars.withUnsafeBufferPointer { values in
            for row in 0..<rows where values[(row * dim)..<((row + 1) * dim)].contains(where: { $0 != 0 }) {
                keep[row] = 1
            }
        }
        self.init(embeddings: embeddings,
                  mask: HostTensor(shape: Array(embeddings.shape.dropLast()), dtype: .bool, scalars: keep))
    }

    /// Number of texts.
    public var batch: Int { embeddings.shape[0] }
    /// Tokens per text (the longest text's length; shorter ones are padded).
    public var tokens: Int { embeddings.shape[1] }
    /// Embedding width.
    public var dim: Int { embeddings.shape[2] }
}

/// Turns prompts into `TextEmbeddings`.
public protocol TextEncoder: AnyObject {
    /// Width of the embeddings (`text_embed_dim`).
    var dim: Int { get }
    /// Embeds `texts` as one batch, padded to the longest tokenisation (at most `max_text_len`).
    func encode(_ texts: [String]) throws -> TextEmbeddings
}
