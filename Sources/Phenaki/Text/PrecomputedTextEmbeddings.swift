import GraphRuntime

/// The `precomputed` text encoder: embeddings made elsewhere, read from a `.npy` file of
/// float32 [tokens, dim], [1, tokens, dim] (the same for every text) or [b, tokens, dim] (one
/// row per text). The mask is phenaki-pytorch's: a token whose features are all zero is padding.
public final class PrecomputedTextEmbeddings: TextEncoder {
    public let path: String
    /// float32 [rows, tokens, dim].
    public let embeddings: HostTensor

    public var dim: Int { embeddings.shape[2] }

    /// Reads `path`; with `expectedDim` (the config's `text_embed_dim`) the width must match.
    public init(path: String, expectedDim: Int? = nil) throws {
        var tensor: HostTensor
        do { tensor = try NumPyArray.read(path: path) } catch {
            throw TextEncoderError.unreadable(path: path, reason: "\(error)")
        }
        if tensor.shape.count == 2 { tensor.shape.insert(1, at: 0) }
        guard tensor.dtype == .float32, tensor.shape.count == 3, tensor.shape[1] > 0,
              expectedDim.map({ $0 == tensor.shape[2] }) ?? true else {
            throw TextEncoderError.badEmbeddings(path: path, shape: tensor.shape, expectedDim: expectedDim)
        }
        self.path = path
        embeddings = tensor
    }

    /// The stored rows for `texts` (their content is not read): one row repeated, or one per text.
    public func encode(_ texts: [String]) throws -> TextEmbeddings {
        guard !texts.isEmpty else { throw TextEncoderError.noTexts }
        let rows = embeddings.shape[0]
        if rows == texts.count { return TextEmbeddings(embeddings: embeddings) }
        guard rows == 1 else { throw TextEncoderError.batchMismatch(texts: texts.count, rows: rows, path: path) }
        var shape = embeddings.shape
        shape[0] = texts.count
        let repeated = Array([[Double]](repeating: embeddings.scalars, count: texts.count).joined())
        return TextEmbeddings(embeddings: HostTensor(shape: shape, dtype: .float32, scalars: repeated))
    }
}
