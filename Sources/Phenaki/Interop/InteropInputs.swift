import GraphRuntime

/// Checks of the tensors handed to the interop commands, before any graph is built, so a wrong
/// file is a typed error naming what to change instead of a precondition failure in the graph.
enum InteropInputs {
    /// A float video [b, channels, frames, H, W] (frames − 1 a multiple of the temporal patch) or
    /// image [b, channels, H, W], returned as a video (an image is one frame) and whether it was
    /// an image.
    static func video(_ tensor: HostTensor, name: String,
                      config c: CViViTConfig) throws(InteropError) -> (video: HostTensor, isImage: Bool) {
        let (h, w) = (c.imageSize.height, c.imageSize.width)
        let expected = "[batch, \(c.channels), frames, \(h), \(w)] (a video, frames − 1 a multiple of "
            + "\(c.temporalPatchSize)) or [batch, \(c.channels), \(h), \(w)] (an image)"
        guard tensor.dtype == .float32 else { throw .wrongDType(name: name, got: tensor.dtype, expected: "float") }
        let s = tensor.shape
        switch s.count {
        case 4 where s[0] >= 1 && s[1] == c.channels && s[2] == h && s[3] == w:
            var video = tensor
            video.shape = [s[0], s[1], 1, s[2], s[3]]
            return (video, true)
        case 5 where s[0] >= 1 && s[1] == c.channels && s[2] >= 1 && (s[2] - 1) % c.temporalPatchSize == 0
            && s[3] == h && s[4] == w:
            return (tensor, false)
        default:
            throw .wrongShape(name: name, got: s, expected: expected)
        }
    }

    /// Codebook ids [b, frames', h', w'] (h' × w' the patch grid) or [b, n] (n whole frames of
    /// h'·w' tokens), int32 after reading, each within `valid`. Returns them as [b, n] with the
    /// patch shape [frames', h', w'].
    static func ids(_ tensor: HostTensor, name: String, config c: CViViTConfig, valid: ClosedRange<Int>,
                    meaning: String) throws(InteropError) -> (ids: HostTensor, patchShape: [Int]) {
        let (gh, gw) = (c.patchGrid.height, c.patchGrid.width)
        guard tensor.dtype == .int32 else { throw .wrongDType(name: name, got: tensor.dtype, expected: "integer") }
        let s = tensor.shape
        let frames: Int
        switch s.count {
        case 4 where s[0] >= 1 && s[1] >= 1 && s[2] == gh && s[3] == gw: frames = s[1]
        case 2 where s[0] >= 1 && s[1] >= 1 && s[1] % (gh * gw) == 0: frames = s[1] / (gh * gw)
        default:
            throw .wrongShape(name: name, got: s, expected: "[batch, frames', \(gh), \(gw)] codebook ids "
                + "(\(gh) × \(gw) patches of \(c.patchSize.height) × \(c.patchSize.width) pixels a frame) "
                + "or [batch, frames' · \(gh * gw)]")
        }
        if let index = tensor.scalars.firstIndex(where: { !valid.contains(Int($0)) }) {
            throw .idOutOfRange(name: name, index: index, value: Int(tensor.scalars[index]), valid: valid,
                                meaning: meaning)
        }
        var flat = tensor
        flat.shape = [s[0], frames * gh * gw]
        return (flat, [frames, gh, gw])
    }

    /// Float text embeddings [batch, tokens, dimContext] for `section`'s cross attention.
    static func text(_ tensor: HostTensor, name: String, batch: Int, dimContext: Int,
                     section: String) throws(InteropError) -> HostTensor {
        guard tensor.dtype == .float32 else { throw .wrongDType(name: name, got: tensor.dtype, expected: "float") }
        let s = tensor.shape
        guard s.count == 3, s[0] >= 1, s[1] >= 1 else {
            throw .wrongShape(name: name, got: s, expected: "[batch, tokens, \(dimContext)] text embeddings")
        }
        guard s[2] == dimContext else { throw .textEmbedDimMismatch(section: section, got: s[2], dimContext: dimContext) }
        guard s[0] == batch else { throw .batchMismatch(ids: batch, text: s[0]) }
        return tensor
    }
}
