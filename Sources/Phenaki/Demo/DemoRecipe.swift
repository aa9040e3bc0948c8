import Foundation

/// What `phenaki demo` runs: the story it tells, where its checkpoint lies and the exact two
/// training commands that made that checkpoint (`phenaki demo --train` runs them again).
public enum DemoRecipe {
    /// The named config of the demo model (`PhenakiConfig.demo`).
    public static let variant = "demo"

    /// Frames of the training clips: 1 + 2 · temporal_patch_size, 192 tokens.
    public static let clipFrames = 5

    /// The folder of the committed checkpoint, relative to the repository root.
    public static let checkpointFolder = "Demo/checkpoint"

    /// The story: one caption per scene. A clip moving right ends with the item at the right
    /// edge, which is where a clip moving left starts, so each scene continues the last.
    public static let story = [
        "a sneaker moving right",
        "a sneaker moving left",
        "a sneaker moving right",
    ]

    /// Frames per scene: the first scene is a whole clip; each later one continues from the last
    /// frame of the scene before (`storyPrimes`) with 4 new frames, so every scene is one clip long.
    public static let storyFrames = [clipFrames, clipFrames - 1, clipFrames - 1]

    /// Prime lengths of scenes 2 and 3, in frames.
    public static let storyPrimes = [1, 1]

    /// `phenaki train-cvivit` arguments (without `--results`): C-ViViT on moving Fashion-MNIST clips.
    public static let cvivitArguments = [
        "--variant", variant, "--data", "fashion-mnist-video", "--frames", "\(clipFrames)",
        "--steps", "3000", "--batch", "8", "--lr", "1e-3", "--save-results-every", "500",
        "--save-model-every", "1000", "--keep-last", "1", "--seed", "0",
    ]

    /// MaskGit updates of the recipe: the step of the committed checkpoint.
    public static let phenakiSteps = 12000

    /// The last MaskGit updates, over which the learning rate falls linearly towards 0.
    public static let phenakiDecaySteps = 3000

    /// `phenaki train` arguments (without `--results`): MaskGit on the clips' codebook ids and
    /// MiniLM embeddings of their captions, with the C-ViViT checkpoint `cvivit` frozen.
    public static func phenakiArguments(cvivit: String) -> [String] {
        [
            "--variant", variant, "--cvivit", cvivit, "--data", "fashion-mnist-video", "--frames", "\(clipFrames)",
            "--steps", "\(phenakiSteps)", "--lr-decay-steps", "\(phenakiDecaySteps)", "--batch", "16", "--lr", "2e-3",
            "--save-results-every", "1000",
            "--sample-texts", story.joined(separator: ";"), "--save-model-every", "1000", "--keep-last", "1",
            "--seed", "0",
        ]
    }

    /// Where to look for the committed checkpoint, in order: the environment variable
    /// `PHENAKI_DEMO_CHECKPOINT`, `Demo/checkpoint` under the current folder, and under the
    /// repository this binary was built from (`sourceRoot`).
    public static func checkpointCandidates(sourceRoot: String?) -> [String] {
        var candidates: [String] = []
        if let given = ProcessInfo.processInfo.environment["PHENAKI_DEMO_CHECKPOINT"], !given.isEmpty {
            candidates.append(given)
        }
        candidates.append(checkpointFolder)
        if let sourceRoot { candidates.append(sourceRoot + "/" + checkpointFolder) }
        return candidates
    }

    /// The first candidate that holds a checkpoint (a `format.json`), or nil.
    public static func findCheckpoint(sourceRoot: String?) -> String? {
        checkpointCandidates(sourceRoot: sourceRoot).first {
            FileManager.default.fileExists(atPath: $0 + "/" + Checkpoint.formatFile)
        }
    }

    /// Writes the weights, config and training state of the checkpoint at `source` to `destination`
    /// without the optimizer's moments or EMA weights: what sampling needs, a third of the bytes.
    /// - Throws: `CheckpointError` when `source` is not a checkpoint or `destination` cannot be written.
    public static func export(checkpoint source: String, to destination: String) throws {
        var checkpoint = try Checkpoint.read(directory: source)
        checkpoint.optimizer = [:]
        checkpoint.ema = [:]
        try CheckpointWriter().write(checkpoint, to: destination, replace: true)
    }
}
