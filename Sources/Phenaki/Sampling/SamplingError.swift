/// Errors of `PhenakiSampler` and `makeVideo` that a caller can fix by changing the request.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    /// A sample of `frames` frames (plus `primeFrames` priming frames) does not suit the config.
    case invalidFrames(frames: Int, primeFrames: Int, reason: String)
    /// The text embeddings do not fit: `reason` says what to change.
    case invalidText(reason: String)
    /// Text was given to an unconditional MaskGit, or none to a conditional one.
    case textMismatch(conditional: Bool)
    /// The priming video does not fit (shape or batch).
    case invalidPrime(reason: String)
    /// `steps` below 1, or another bad option (`reason` names it).
    case invalidOption(reason: String)
    /// Recorded draws do not cover the step or have the wrong shape.
    case invalidDraws(reason: String)
    /// `makeVideo`: the lists of texts, frame counts and prime lengths do not line up.
    case invalidScenes(reason: String)

    public var description: String {
        switch self {
        case .invalidFrames(let frames, let prime, let reason):
            let primed = prime > 0 ? " after \(prime) priming frames" : ""
            return "cannot sample \(frames) frames\(primed): \(reason)"
        case .invalidText(let reason): return "text embeddings: \(reason)"
        case .textMismatch(let conditional):
            return conditional
                ? "this MaskGit is text-conditioned: pass text embeddings [batch, tokens, dim_context]"
                : "this MaskGit is unconditional (maskgit.unconditional): pass no text"
        case .invalidPrime(let reason): return "prime frames: \(reason)"
        case .invalidOption(let reason): return "sampling option: \(reason)"
        case .invalidDraws(let reason): return "recorded draws: \(reason)"
        case .invalidScenes(let reason): return "make_video: \(reason)"
        }
    }
}
