import ArgumentParser
import Foundation
import GraphRuntime
import Phenaki

/// `phenaki demo`: the main job. Turns a three-scene story into a video with the committed demo
/// checkpoint (`Demo/checkpoint`, trained by this product on moving Fashion-MNIST clips);
/// `--train` first makes that checkpoint again from scratch.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Make a video of a three-scene story from text with the committed demo checkpoint "
            + "(--train: train that checkpoint from scratch first).",
        discussion: """
            The story is "\(DemoRecipe.story.joined(separator: "\", \""))": make_video with \
            \(DemoRecipe.storyFrames.map(String.init).joined(separator: ",")) frames, each later scene primed on the \
            last frame of the one before. The checkpoint is \(DemoRecipe.checkpointFolder) (looked up in \
            $PHENAKI_DEMO_CHECKPOINT, the current folder, then the source tree this binary was built from). \
            --train runs `phenaki train-cvivit` and `phenaki train` with the recipe printed at the start \
            (\(DemoRecipe.variant) variant on fashion-mnist-video) into --results, writes the weights to \
            RESULTS/checkpoint and tells the story with them.
            """
    )

    @Option(help: ArgumentHelp("The checkpoint to tell the story with (default: the committed demo checkpoint).",
                               valueName: "dir"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("Where the story's GIF and MP4 go.", valueName: "dir"))
    var out = "demo-output"

    @Flag(help: "Train the demo checkpoint from scratch first (C-ViViT, then MaskGit).")
    var train = false

    @Option(help: ArgumentHelp("The training results folder of --train.", valueName: "dir"))
    var results = "demo-training"

    @Option(help: "Seed of the story's random draws.")
    var seed: UInt64 = 0

    @Option(help: "Threads (default: one per core).")
    var threads: Int?

    @Option(help: ArgumentHelp("The MiniLM model folder (default: ~/.cache/phenaki/all-MiniLM-L6-v2).", valueName: "dir"))
    var textModelDir: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if train, checkpoint != nil { throw ValidationError("--train makes its own checkpoint; leave out --checkpoint") }
    }

    func run() throws {
        let directory: String
        if train {
            directory = try trainCheckpoint()
        } else if let checkpoint {
            directory = checkpoint
        } else if let found = DemoRecipe.findCheckpoint(sourceRoot: Self.sourceRoot) {
            directory = found
        } else {
            throw fail(DemoError.missingCheckpoint(searched: DemoRecipe.checkpointCandidates(sourceRoot: Self.sourceRoot)))
        }
        try tellStory(checkpoint: directory)
    }

    /// The repository this binary was compiled from (three folders above this file), if it is still there.
    static var sourceRoot: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        return FileManager.default.fileExists(atPath: root + "/Package.swift") ? root : nil
    }

    /// Runs the two training commands of the recipe and exports the result; returns its folder.
    func trainCheckpoint() throws -> String {
        let cvivitResults = results + "/cvivit"
        let phenakiResults = results + "/phenaki"
        var threadArguments: [String] = []
        if let threads { threadArguments = ["--threads", "\(threads)"] }
        let cvivitArguments = DemoRecipe.cvivitArguments + ["--results", cvivitResults] + threadArguments
        let started = Date()
        print("== 1/3 phenaki train-cvivit \(cvivitArguments.joined(separator: " "))")
        try TrainCViViTCommand.parse(cvivitArguments).run()
        guard let cvivit = CheckpointStore(directory: cvivitResults + "/checkpoints").latest() else {
            throw fail(DemoError.missingCheckpoint(searched: [cvivitResults + "/checkpoints"]))
        }
        let phenakiArguments = DemoRecipe.phenakiArguments(cvivit: cvivit) + ["--results", phenakiResults]
            + threadArguments + (textModelDir.map { ["--text-model-dir", $0] } ?? [])
        print("== 2/3 phenaki train \(phenakiArguments.joined(separator: " "))")
        try TrainCommand.parse(phenakiArguments).run()
        guard let trained = CheckpointStore(directory: phenakiResults + "/checkpoints").latest() else {
            throw fail(DemoError.missingCheckpoint(searched: [phenakiResults + "/checkpoints"]))
        }
        let exported = results + "/checkpoint"
        do {
            try DemoRecipe.export(checkpoint: trained, to: exported)
        } catch {
            throw fail(error)
        }
        print(String(format: "== 3/3 trained in %.1f min; weights in %@", Date().timeIntervalSince(started) / 60, exported))
        return exported
    }

    /// make_video on the story with `checkpoint`; writes story.gif and story.mp4 and prints their paths.
    func tellStory(checkpoint: String) throws {
        var arguments = ["--checkpoint", checkpoint, "--seed", "\(seed)"]
        for text in DemoRecipe.story { arguments += ["--text", text] }
        arguments += ["--frames", DemoRecipe.storyFrames.map(String.init).joined(separator: ","),
                      "--prime", DemoRecipe.storyPrimes.map(String.init).joined(separator: ",")]
        if let threads { arguments += ["--threads", "\(threads)"] }
        if let textModelDir { arguments += ["--text-model-dir", textModelDir] }
        print("checkpoint: \(checkpoint)")
        for (i, text) in DemoRecipe.story.enumerated() { print("scene \(i + 1): \(text)") }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw fail(DemoError.unwritableOutput(path: out, reason: error.localizedDescription))
        }
        try MakeVideoCommand.parse(arguments + ["--out", out + "/story.gif", "--out", out + "/story.mp4"]).run()
    }
}

/// What `phenaki demo` can fail on.
enum DemoError: Error, CustomStringConvertible {
    case missingCheckpoint(searched: [String])
    case unwritableOutput(path: String, reason: String)

    var description: String {
        switch self {
        case .missingCheckpoint(let searched):
            return "no demo checkpoint found (looked in \(searched.joined(separator: ", "))); run from the repository "
                + "root, pass --checkpoint DIR, set PHENAKI_DEMO_CHECKPOINT, or make one with `phenaki demo --train`"
        case .unwritableOutput(let path, let reason):
            return "cannot create the output folder \(path) (\(reason)); pass --out with a writable folder"
        }
    }
}
