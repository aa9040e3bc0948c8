/// Errors a training run reports: each says what to change.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
    /// A trainer option is out of range (`name` is its command-line flag without dashes).
    case invalidOption(name: String, value: String, expected: String)
    /// The results folder cannot be created or written.
    case resultsNotWritable(path: String, reason: String)
    /// The data's batches do not have the shape the compiled plans take.
    case batchShape(expected: [Int], got: [Int])
    /// The GAN needs videos of more than one frame (its adaptive weight reads `to_pixels`).
    case ganNeedsVideo
    /// A checkpoint of a GAN run lacks the discriminator's state file.
    case missingDiscriminatorState(path: String)
    /// `--resume` names a folder without a complete checkpoint.
    case nothingToResume(path: String)
    /// `--on-nonfinite stop`: update `step` had a non-finite loss or gradient; `site` says
    /// where the first NaN or inf came from (`NonFiniteSite.description`).
    case nonFinite(step: Int, site: String)

    public var description: String {
        switch self {
        case .invalidOption(let name, let value, let expected):
            return "--\(name) \(value): it must be \(expected)"
        case .resultsNotWritable(let path, let reason):
            return "cannot write the results folder \(path): \(reason); pass --results with a writable folder"
        case .batchShape(let expected, let got):
            return "the data gives batches of shape \(got), the model trains on \(expected); "
                + "match --batch and --frames to the data (or the image size in the config)"
        case .ganNeedsVideo:
            return "use_vgg_and_gan trains on videos of more than one frame (the adaptive GAN weight reads "
                + "to_pixels); train on videos, or set use_vgg_and_gan to false in the cvivit section"
        case .missingDiscriminatorState(let path):
            return "\(path) is missing: the checkpoint has no discriminator state for this GAN run; "
                + "resume from the results folder the run wrote"
        case .nothingToResume(let path):
            return "\(path) holds no complete checkpoint (expected \(path)/checkpoints/step-N); "
                + "leave --resume out to start a new run"
        case .nonFinite(let step, let site):
            return "update \(step) has a non-finite loss or gradient: \(site); the weights and the latest "
                + "checkpoint are from before it. Lower --lr, set --max-grad-norm, check the data, "
                + "or pass --on-nonfinite skip to skip such updates"
        }
    }
}
