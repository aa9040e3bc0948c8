import GraphRuntime

/// Why a checkpoint directory could not be written, found or loaded; each message names the
/// path and says what to change.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// `path` has no `format.json`: it is not a checkpoint, or its write never finished.
    case notACheckpoint(path: String)
    /// The checkpoint directory does not exist.
    case missingDirectory(path: String)
    /// The directory is a trainer's results folder, not one of its checkpoints.
    case resultsFolder(path: String, latest: String?)
    /// The checkpoint was written in a format version this build does not read.
    case unsupportedVersion(path: String, found: Int, supported: Int)
    /// `format.json` is not `{"format": "phenaki-checkpoint", "version": N}`.
    case invalidFormatFile(path: String, reason: String)
    /// `state.json` is missing or not the expected JSON.
    case invalidState(path: String, reason: String)
    /// The training state cannot be written as JSON (a trainer field is NaN or infinite).
    case unwritableState(reason: String)
    /// A tensor file of the checkpoint is missing, cut short or corrupt.
    case damagedFile(path: String, SafeTensorsError)
    /// The checkpoint lacks the weights of a component the caller needs.
    case missingComponent(path: String, component: CheckpointComponent)
    /// The checkpoint was saved with another config; every differing key is listed.
    case configMismatch(path: String, differences: [ConfigDifference])
    /// The optimizer state does not fit the component's weights; every problem is listed.
    case optimizerMismatch(path: String, problems: [String])
    /// The target directory exists and holds files.
    case directoryNotEmpty(path: String)
    /// A file system call failed (`operation` names it and the path).
    case io(operation: String, path: String, reason: String)
    /// `CheckpointStore.save` could not write checkpoint `path` (`reason`: the `.io` error, e.g. a
    /// full disk); nothing of it is left, and `latest` is still the newest complete checkpoint.
    case saveFailed(path: String, latest: String?, reason: String)

    public var description: String {
        switch self {
        case .missingDirectory(let path):
            return "checkpoint directory \(path) does not exist; check the path (make one with `phenaki init` or a trainer)"
        case .resultsFolder(let path, let latest):
            return "\(path) is a training results folder, not a checkpoint; "
                + (latest.map { "point at one of its checkpoints, e.g. the latest: \($0)" }
                    ?? "it holds no complete checkpoint yet")
        case .notACheckpoint(let path):
            return "\(path) is not a complete checkpoint (it has no format.json); "
                + "point at a directory written by `phenaki init` or a trainer, or resume from an earlier checkpoint"
        case .unsupportedVersion(let path, let found, let supported):
            return "checkpoint \(path) has format version \(found) but this build reads version \(supported); "
                + (found > supported ? "use a newer phenaki to load it" : "convert it with the phenaki that wrote it, or start again")
        case .invalidFormatFile(let path, let reason):
            return "\(path) is not a checkpoint format file: \(reason); it must read "
                + "{\"format\": \"\(Checkpoint.formatName)\", \"version\": \(Checkpoint.formatVersion)}"
        case .invalidState(let path, let reason):
            return "cannot read the training state \(path): \(reason); the checkpoint is damaged, resume from an earlier one"
        case .unwritableState(let reason):
            return "cannot write the training state as JSON: \(reason); store NaN and infinite trainer values as strings"
        case .damagedFile(let path, let error):
            return "checkpoint file \(path) is damaged: \(error); resume from an earlier checkpoint"
        case .missingComponent(let path, let component):
            return "checkpoint \(path) has no \(component.fileName) (the \(component.rawValue) weights); "
                + "use a checkpoint that trained \(component.rawValue), or create one with `phenaki init`"
        case .configMismatch(let path, let differences):
            let count = differences.count == 1 ? "1 key differs" : "\(differences.count) keys differ"
            var lines = ["checkpoint \(path) was saved with another config (\(count)):"]
            lines += differences.map { "  - \($0)" }
            lines.append("Pass the checkpoint's config (its config.json), or start a new checkpoint for this one.")
            return lines.joined(separator: "\n")
        case .optimizerMismatch(let path, let problems):
            var lines = ["optimizer state \(path) does not fit the weights (\(problems.count) problem\(problems.count == 1 ? "" : "s")):"]
            lines += problems.map { "  - \($0)" }
            lines.append("The checkpoint is damaged or was assembled from different runs; resume from an earlier one.")
            return lines.joined(separator: "\n")
        case .directoryNotEmpty(let path):
            return "\(path) exists and is not empty; choose a new or empty directory, "
                + "or replace it (`phenaki init --force`)"
        case .io(let operation, let path, let reason):
            return "cannot \(operation) \(path): \(reason); check that the directory exists, is writable and has space"
        case .saveFailed(let path, let latest, let reason):
            let kept = latest.map { "the latest checkpoint is still \($0), which --resume goes on from" }
                ?? "no earlier checkpoint exists"
            return "could not save checkpoint \(path): \(reason). Nothing of it was kept and \(kept); "
                + "free space on that disk (or keep fewer checkpoints with --keep-last) before going on"
        }
    }
}
