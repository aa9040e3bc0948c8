import Foundation
import GraphRuntime
import MediaIO
import Phenaki
import Testing

/// The demo recipe, its export and the committed checkpoint that `phenaki demo` tells its story with.
struct DemoRecipeTests {
    @Test func theDemoVariantFitsTheStoryAndTheTrainingClips() throws {
        let config = PhenakiConfig.demo
        try config.validate()
        // A training clip fills MaskGit's positions exactly.
        let tokenFrames = 1 + (DemoRecipe.clipFrames - 1) / config.cvivit.temporalPatchSize
        #expect(tokenFrames * config.cvivit.tokensPerFrame == config.maskgit.maxSeqLen)
        #expect(DemoRecipe.storyFrames[0] <= config.maxFrames)
        #expect(DemoRecipe.story.count == DemoRecipe.storyFrames.count)
        #expect(DemoRecipe.storyPrimes.count == DemoRecipe.story.count - 1)
        for (prime, frames) in zip(DemoRecipe.storyPrimes, DemoRecipe.storyFrames.dropFirst()) {
            #expect(prime + frames <= config.maxFrames)
            #expect(frames % config.cvivit.temporalPatchSize == 0)
        }
        #expect(try PhenakiConfig.variant(named: DemoRecipe.variant) == config)
    }

    @Test func exportKeepsConfigStateAndWeightsButNotTheOptimizer() throws {
        let scratch = try CheckpointScratch()
        var checkpoint = try Checkpoint.initial(config: .tiny, seed: 4)
        checkpoint.state.step = 7
        checkpoint.optimizer = checkpoint.weights
        checkpoint.ema = checkpoint.weights
        let source = scratch.path + "/trained"
        try CheckpointWriter().write(checkpoint, to: source)
        let exported = scratch.path + "/exported"
        try DemoRecipe.export(checkpoint: source, to: exported)
        let back = try Checkpoint.read(directory: exported)
        #expect(back.config == checkpoint.config)
        #expect(back.state == checkpoint.state)
        #expect(back.weights == checkpoint.weights)
        #expect(back.optimizer.isEmpty && back.ema.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: exported + "/" + Checkpoint.optimizerDirectory))
        // Exporting again replaces the first export.
        try DemoRecipe.export(checkpoint: source, to: exported)
        #expect(try Checkpoint.read(directory: exported).weights == checkpoint.weights)
    }

    @Test func exportOfAFolderThatIsNoCheckpointFailsWithATypedError() throws {
        let scratch = try CheckpointScratch()
        #expect(throws: CheckpointError.self) {
            try DemoRecipe.export(checkpoint: scratch.path + "/missing", to: scratch.path + "/out")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/out"))
    }
}

/// The committed checkpoint under `Demo/checkpoint`.
struct CommittedDemoCheckpointTests {
    static let directory: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        return root + "/" + DemoRecipe.checkpointFolder
    }()

    @Test func itIsTheDemoVariantWithoutOptimizerStateAndWithinTheSizeBudget() throws {
        let checkpoint = try Checkpoint.read(directory: Self.directory)
        #expect(checkpoint.config == PhenakiConfig.demo)
        #expect(checkpoint.optimizer.isEmpty)
        #expect(checkpoint.state.step == DemoRecipe.phenakiSteps, "the checkpoint is not the recipe's last update")
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.directory)
        let bytes = try files.reduce(0) { total, file in
            let attributes = try FileManager.default.attributesOfItem(atPath: Self.directory + "/" + file)
            return total + ((attributes[.size] as? Int) ?? 0)
        }
        #expect(bytes <= 20_000_000, "the committed demo checkpoint may hold at most 20 MB, it holds \(bytes) bytes")
    }

    /// `phenaki demo` with no flags: the files must hold exactly the video the library makes with
    /// the recipe's story, frames and primes.
    @Test(.enabled(if: phenakiExecutable != nil && MiniLMAvailability.shouldRun, MiniLMAvailability.skipReason))
    func phenakiDemoWritesTheStoryTheLibraryMakes() throws {
        let scratch = try CheckpointScratch()
        let out = scratch.path + "/story"
        let result = try runProcess(try #require(phenakiExecutable), ["demo", "--out", out], timeout: 300)
        #expect(result.status == 0 && !result.signaled, "\(result.stderr)")
        #expect(result.stdout.contains(out + "/story.gif") && result.stdout.contains(out + "/story.mp4"))

        let loaded = try SamplingCheckpoint.load(directory: Self.directory)
        let sampler = try loaded.sampler()
        let texts = try #require(try SceneText(config: loaded.config, texts: DemoRecipe.story).scenes)
        let made = try Generation.makeVideo(sampler, texts: texts, frames: DemoRecipe.storyFrames,
                                            primeLengths: DemoRecipe.storyPrimes, options: SamplingOptions(seed: 0))
        let expected = try GIFEncoder.encode(try VideoTensor.frames(of: made.video))
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out + "/story.gif")))
        #expect(written == expected)
        let video = try GIFDecoder.decode(written).video
        #expect(video.frames == DemoRecipe.storyFrames.reduce(0, +))
        #expect(video.height == 32 && video.width == 32)
    }

    /// Each later scene of the story continues its prime: the item stays at the height where the
    /// scene before left it (within 3 pixels) and moves the way the caption says. Before primes
    /// were clamped to [0, 1], scene 2 of the 12000-update checkpoint put the item 10 rows higher.
    @Test(.enabled(if: MiniLMAvailability.shouldRun, MiniLMAvailability.skipReason))
    func laterScenesContinueWhereThePrimeLeftTheItem() throws {
        let loaded = try SamplingCheckpoint.load(directory: Self.directory)
        let texts = try #require(try SceneText(config: loaded.config, texts: DemoRecipe.story).scenes)
        let made = try Generation.makeVideo(try loaded.sampler(), texts: texts, frames: DemoRecipe.storyFrames,
                                            primeLengths: DemoRecipe.storyPrimes, options: SamplingOptions(seed: 0))
        /// The centroid (x, y) of the clamped pixel mass of frame `f` of a [1, 1, frames, 32, 32] video.
        func centroid(_ video: HostTensor, _ f: Int) -> (x: Double, y: Double) {
            var (mass, x, y) = (0.0, 0.0, 0.0)
            for row in 0..<32 {
                for column in 0..<32 {
                    let p = min(max(video.scalars[f * 1024 + row * 32 + column], 0), 1)
                    (mass, x, y) = (mass + p, x + p * Double(column), y + p * Double(row))
                }
            }
            return (x / mass, y / mass)
        }
        for scene in 1..<made.scenes.count {
            let before = made.scenes[scene - 1]
            let prime = centroid(before, before.shape[2] - 1)
            let frames = (0..<made.scenes[scene].shape[2]).map { centroid(made.scenes[scene], $0) }
            for (f, c) in frames.enumerated() {
                #expect(abs(c.y - prime.y) <= 3, "scene \(scene + 1) frame \(f + 1): row \(c.y), the prime's \(prime.y)")
            }
            let moved = frames.last!.x - frames.first!.x
            let left = DemoRecipe.story[scene].hasSuffix("left")
            #expect(left ? moved < -4 : moved > 4, "scene \(scene + 1) ('\(DemoRecipe.story[scene])') moved \(moved) px")
        }
    }
}
