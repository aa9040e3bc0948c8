import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import PhenakiGraphs
import Testing
import TensorGraph

/// `PhenakiTrainer` on the tiny config with the self critic and captions: the first update's
/// losses against the reference interpreter, and an exact resume.
@Suite struct TrainerPhenakiTests {
    static var config: PhenakiConfig {
        var config = PhenakiConfig.tiny
        config.phenaki.selfTokenCritic = true
        return config
    }

    static func clipShape(frames: Int = 7) -> [Int] {
        let c = config.cvivit
        return [c.channels, frames, c.imageSize.height, c.imageSize.width]
    }

    static func data(_ order: DataOrderState?) -> BatchStream {
        ClipStream(count: 5, clipShape: clipShape(), batch: 2, order: order)
    }

    static func stills(_ order: DataOrderState?) -> BatchStream {
        ClipStream(count: 5, clipShape: clipShape(frames: 1), batch: 2, order: order, salt: 0.4)
    }

    /// The first update's loss, maskgit_loss and critic_loss equal the reference interpreter's
    /// `phenaki-loss` on the interpreter's C-ViViT ids of the same videos, the padded caption
    /// embeddings and the key the trainer fed: on clips (7 frames), and on still images (one
    /// frame) when the run starts with an image phase.
    @Test(arguments: [7, 1]) func firstStepMatchesInterpreter(frames: Int) throws {
        let config = Self.config
        let folder = trainerTemporaryFolder("phenaki")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let options = PhenakiTrainerOptions(steps: 1, batchSize: 2, frames: 7, learningRate: 1e-3, seed: 11, threads: 2,
                                            imageSteps: frames == 1 ? 1 : 0)
        let encoder = CaptionHashEncoder(dim: config.maskgit.dimContext)
        let trainer = try PhenakiTrainer(config: config, options: options, results: folder, textEncoder: encoder)
        let initial = trainer.stateTensors()
        let batch = try (frames == 1 ? Self.stills(nil) : Self.data(nil)).next()
        try trainer.train(data: Self.data, images: Self.stills, progress: false)

        let interpreter = ReferenceInterpreter(precision: .float64)
        let encode = try PhenakiModels.graph(named: "cvivit-encode", config: config, batch: 2, frames: frames)
        let cvivit = try Checkpoint.initial(config: config, seed: 11).weights[.cvivit]!
        var encodeFeeds = ["video": batch.videos]
        for p in encode.parameters { encodeFeeds[p.name] = cvivit[p.name] }
        var ids = try interpreter.run(encode, feeds: encodeFeeds)["ids"]!
        ids.shape = [2, ids.count / 2]

        let loss = try PhenakiLossModel.graph(config: config, critic: .selfCritic, batch: 2, frames: frames)
        let text = try encoder.encode(batch.captions.map { $0! }).embeddings
        var padded = [Double](repeating: 0, count: 2 * config.phenaki.maxTextLen * config.maskgit.dimContext)
        let row = text.shape[1] * text.shape[2]
        for b in 0..<2 {
            for j in 0..<row { padded[b * config.phenaki.maxTextLen * text.shape[2] + j] = text.scalars[b * row + j] }
        }
        var feeds: [String: HostTensor] = [
            "ids": ids, "rng": TrainerRNG.key(seed: 11, feed: "rng", draw: 0).tensor,
            "text": HostTensor(shape: [2, config.phenaki.maxTextLen, config.maskgit.dimContext], scalars: padded)]
        for p in loss.parameters { feeds[p.name] = initial[p.name] }
        let expected = try interpreter.run(loss, feeds: feeds)
        let record = trainer.metrics.records[0]
        #expect(trainer.metrics.lossColumns == ["loss", "maskgit_loss", "critic_loss"])
        for (i, name) in trainer.metrics.lossColumns.enumerated() {
            let want = expected[name]!.scalars[0]
            #expect(trainerClose(record.losses[i], want, 1e-4), "\(name): \(record.losses[i]) vs \(want)")
        }
        #expect(record.gradNorm > 0)
        // After the image phase the clip plans hold the trained state.
        let trained = trainer.stateTensors()
        #expect(trained.keys.contains { trained[$0] != initial[$0] && $0.hasPrefix("maskgit.") })
    }

    /// Four updates straight through and two + a resume give bit-equal MaskGit and critic state;
    /// the checkpoint holds the critic head and Adam moments.
    @Test func resumeIsExact() throws {
        let config = Self.config
        var options = PhenakiTrainerOptions(steps: 4, batchSize: 2, frames: 7, gradAccumEvery: 2, learningRate: 1e-3,
                                            saveModelEvery: 2, seed: 2, threads: 2)
        let encoder = CaptionHashEncoder(dim: config.maskgit.dimContext)
        let a = trainerTemporaryFolder("phenaki-a"), b = trainerTemporaryFolder("phenaki-b")
        defer { for p in [a, b] { try? FileManager.default.removeItem(atPath: p) } }
        let straight = try PhenakiTrainer(config: config, options: options, results: a, textEncoder: encoder)
        try straight.train(data: Self.data, progress: false)
        options.steps = 2
        try PhenakiTrainer(config: config, options: options, results: b, textEncoder: encoder).train(data: Self.data, progress: false)
        options.steps = 4
        let resumed = try PhenakiTrainer(config: config, options: options, results: b, resumeFrom: b, textEncoder: encoder)
        #expect(resumed.step == 2)
        try resumed.train(data: Self.data, progress: false)
        let x = straight.stateTensors(), y = resumed.stateTensors()
        #expect(x.count > 10 && Set(x.keys) == Set(y.keys))
        let differing = x.keys.filter { x[$0] != y[$0] }.sorted()
        #expect(differing.isEmpty, "differ after resume: \(differing.prefix(5))")
        let saved = try Checkpoint.load(directory: a + "/checkpoints/step-000004", config: config)
        #expect(saved.state.step == 4)
        #expect(saved.weights[.critic]?.keys.sorted() == ["to_pred.0.bias", "to_pred.0.weight"])
        #expect(saved.weights[.critic]?["to_pred.0.weight"] == x["critic.to_pred.0.weight"])
        #expect(saved.optimizer[.maskgit]?.isEmpty == false)
    }

    /// A cooldown run equals its oracle: the same updates as piecewise-constant runs, each resumed
    /// from the one before at the rate the schedule gives, so the plan's rate is the one fed
    /// and the metrics record it.
    @Test func learningRateCooldownEqualsPiecewiseConstantRuns() throws {
        let config = Self.config
        let encoder = CaptionHashEncoder(dim: config.maskgit.dimContext)
        let a = trainerTemporaryFolder("phenaki-cool"), b = trainerTemporaryFolder("phenaki-piece")
        defer { for p in [a, b] { try? FileManager.default.removeItem(atPath: p) } }
        var options = PhenakiTrainerOptions(steps: 4, batchSize: 2, frames: 7, learningRate: 3e-3, seed: 5, threads: 2)
        options.lrDecaySteps = 3
        let cooled = try PhenakiTrainer(config: config, options: options, results: a, textEncoder: encoder)
        try cooled.train(data: Self.data, progress: false)
        #expect(cooled.metrics.records.map(\.learningRate) == [3e-3, 3e-3, 2e-3, 1e-3])

        var piece = PhenakiTrainerOptions(steps: 2, batchSize: 2, frames: 7, learningRate: 3e-3, seed: 5, threads: 2)
        var last = try PhenakiTrainer(config: config, options: piece, results: b, textEncoder: encoder)
        try last.train(data: Self.data, progress: false)
        for (steps, rate) in [(3, 2e-3), (4, 1e-3)] {
            (piece.steps, piece.learningRate) = (steps, rate)
            last = try PhenakiTrainer(config: config, options: piece, results: b, resumeFrom: b, textEncoder: encoder)
            try last.train(data: Self.data, progress: false)
        }
        let x = cooled.stateTensors(), y = last.stateTensors()
        #expect(x.count > 10 && Set(x.keys) == Set(y.keys))
        let differing = x.keys.filter { x[$0] != y[$0] }.sorted()
        #expect(differing.isEmpty, "differ: \(differing.prefix(5))")
        // The cooldown changed the weights: a constant-rate run does not end there.
        options.lrDecaySteps = 0
        let constant = try PhenakiTrainer(config: config, options: options, results: b + "-constant", textEncoder: encoder)
        defer { try? FileManager.default.removeItem(atPath: b + "-constant") }
        try constant.train(data: Self.data, progress: false)
        let z = constant.stateTensors()
        #expect(x.keys.contains { $0.hasPrefix("maskgit.") && x[$0] != z[$0] })
    }
}
