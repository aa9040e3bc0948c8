/// A frame or token count that does not fit a C-ViViT (phenaki-pytorch asserts these).
public enum CViViTCountError: Error, Equatable, CustomStringConvertible {
    /// Fewer frames than the call needs (at least 1 with the first frame, else 0).
    case tooFewFrames(frames: Int, minimum: Int)
    /// The frames after the first (or all of them without it) are not whole temporal patches.
    case framesNotAligned(frames: Int, temporalPatchSize: Int, includeFirstFrame: Bool)
    /// A token count that is not a positive number of whole frames of tokens.
    case tokensNotWholeFrames(tokens: Int, tokensPerFrame: Int)

    public var description: String {
        switch self {
        case .tooFewFrames(let frames, let minimum):
            return "\(frames) frames: there must be at least \(minimum)"
        case .framesNotAligned(let frames, let tp, let includeFirstFrame):
            let counted = includeFirstFrame ? "frames - 1 (\(frames - 1))" : "the frame count"
            return "\(frames) frames do not fit temporal_patch_size \(tp): \(counted) must be a multiple of \(tp)"
        case .tokensNotWholeFrames(let tokens, let perFrame):
            return "\(tokens) tokens are not a positive multiple of the \(perFrame) tokens of one frame"
        }
    }
}

/// phenaki-pytorch's token counting helpers of `CViViT`, as plain Swift.
extension CViViT {
    /// `image_num_tokens`: tokens of one (token) frame, (H / patch_h) · (W / patch_w).
    public var imageNumTokens: Int { patchHeightWidth.0 * patchHeightWidth.1 }

    /// `get_video_patch_shape(num_frames, include_first_frame)`: (token frames, h, w), token
    /// frames = [1 +] ⌊(frames [− 1]) / temporal_patch_size⌋ (floored, as phenaki-pytorch does).
    /// - Throws: `CViViTCountError.tooFewFrames` below 1 frame (0 without the first frame).
    public func videoPatchShape(numFrames: Int, includeFirstFrame: Bool = true) throws(CViViTCountError)
        -> (frames: Int, height: Int, width: Int) {
        let minimum = includeFirstFrame ? 1 : 0
        guard numFrames >= minimum else { throw .tooFewFrames(frames: numFrames, minimum: minimum) }
        let tokenFrames = minimum + (numFrames - minimum) / temporalPatchSize
        return (tokenFrames, patchHeightWidth.0, patchHeightWidth.1)
    }

    /// `num_tokens_per_frames(num_frames, include_first_frame)`: the tokens of `numFrames` frames.
    /// - Throws: `CViViTCountError` when the frames are too few or not whole temporal patches.
    public func numTokensPerFrames(numFrames: Int, includeFirstFrame: Bool = true) throws(CViViTCountError) -> Int {
        let minimum = includeFirstFrame ? 1 : 0
        guard numFrames >= minimum else { throw .tooFewFrames(frames: numFrames, minimum: minimum) }
        guard (numFrames - minimum) % temporalPatchSize == 0 else {
            throw .framesNotAligned(frames: numFrames, temporalPatchSize: temporalPatchSize,
                                    includeFirstFrame: includeFirstFrame)
        }
        return (minimum + (numFrames - minimum) / temporalPatchSize) * imageNumTokens
    }

    /// `frames_per_num_tokens(num_tokens)`: the frames whose tokens number `numTokens`,
    /// (numTokens / image_num_tokens − 1) · temporal_patch_size + 1. phenaki-pytorch 0.5.0's
    /// version raises a NameError (it reads an undefined `tokens_per_frames`); this is the
    /// formula it intends.
    /// - Throws: `CViViTCountError.tokensNotWholeFrames` unless a positive multiple of
    ///   `imageNumTokens`.
    public func framesPerNumTokens(_ numTokens: Int) throws(CViViTCountError) -> Int {
        guard numTokens > 0, numTokens % imageNumTokens == 0 else {
            throw .tokensNotWholeFrames(tokens: numTokens, tokensPerFrame: imageNumTokens)
        }
        return (numTokens / imageNumTokens - 1) * temporalPatchSize + 1
    }
}
