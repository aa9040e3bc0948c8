/// Evaluation requests that cannot be served as given; each message says what to change.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// A count option (`--eval-batches`, `--batch`, `--steps`, `--prompts`) below its minimum.
    case invalidCount(option: String, value: Int, minimum: Int)
    /// The held-out data has fewer examples than one batch needs.
    case notEnoughData(examples: Int)
    /// The cached classifier file cannot be read or does not fit `FashionClassifier`.
    case damagedClassifier(path: String, reason: String)
    /// The classifier trained below the accuracy the scorer relies on.
    case weakClassifier(accuracy: Double, required: Double)
    /// The checkpoint lacks MaskGit, or its model cannot be prompted, so caption accuracy is
    /// undefined.
    case captionsUnavailable(reason: String)

    public var description: String {
        switch self {
        case .invalidCount(let option, let value, let minimum):
            return "\(option) is \(value); it must be at least \(minimum)"
        case .notEnoughData(let examples):
            return "the held-out data has \(examples) examples, too few for one batch; lower --batch or give more data"
        case .damagedClassifier(let path, let reason):
            return "the cached classifier \(path) cannot be used (\(reason)); delete it or run "
                + "`phenaki eval --train-classifier` to train it again"
        case .weakClassifier(let accuracy, let required):
            return String(format: "the classifier reached %.1f %% held-out accuracy, below the %.0f %% the scorer needs; ",
                          accuracy * 100, required * 100)
                + "train it longer with `phenaki eval --train-classifier --steps N`"
        case .captionsUnavailable(let reason):
            return "caption accuracy is unavailable: \(reason)"
        }
    }
}
