import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import PhenakiGraphs
import Testing
import TensorGraph

/// `CViViTTrainer` on the tiny config: exact resume, the GAN alternation against the
/// reference interpreter, the validation loss, the results folder and option errors.
@Suite struct TrainerCViViTTests {
    static var ganConfig: PhenakiConfig {
        var config = PhenakiConfig.tiny
        config.cvivit.useVGGAndGAN = true
        return config
    }

    static func clipShape(_ config: PhenakiConfig, frames: Int) -> [Int] {
        [config.cvivit.channels, frames, config.cvivit.imageSize.height, config.cvivit.imageSize.width]
    }

    /// Six updates straight through and three + a resume from the three-step checkpoint end with
    /// bit-equal generator and discriminator state (weights, Adam moments, EMA, step) and the same
    /// losses at every step: GAN on, accumulation 2, the gradient penalty every other update.
    @Test func resumeIsExact() throws {
        let config = Self.ganConfig
        var options = CViViTTrainerOptions(steps: 6, batchSize: 1, frames: 3, gradAccumEvery: 2, emaUpdateAfterStep: 1,
                                           applyGradPenaltyEvery: 2, saveResultsEvery: 3, saveModelEvery: 3, seed: 7,
                                           threads: 2)
        let shape = Self.clipShape(config, frames: 3)
        let data = { (order: DataOrderState?) -> BatchStream in ClipStream(count: 5, clipShape: shape, batch: 1, order: order) }
        let straightFolder = trainerTemporaryFolder("straight")
        let straight = try CViViTTrainer(config: config, options: options, results: straightFolder)
        try straight.train(data: data, validation: ClipStream(count: 2, clipShape: shape, batch: 1, salt: 9), progress: false)

        let resumedFolder = trainerTemporaryFolder("resumed")
        options.steps = 3
        let first = try CViViTTrainer(config: config, options: options, results: resumedFolder)
        try first.train(data: data, validation: ClipStream(count: 2, clipShape: shape, batch: 1, salt: 9), progress: false)
        options.steps = 6
        let resumed = try CViViTTrainer(config: config, options: options, results: resumedFolder, resumeFrom: resumedFolder)
        #expect(resumed.step == 3)
        try resumed.train(data: data, validation: ClipStream(count: 2, clipShape: shape, batch: 1, salt: 9), progress: false)

        let a = straight.stateTensors(), b = resumed.stateTensors()
        #expect(a.count > 10 && Set(a.keys) == Set(b.keys))
        #expect(a.keys.contains { $0.hasPrefix("discriminator/adam.m:discr.") } && a.keys.contains { $0.hasPrefix("ema:") })
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(differing.isEmpty, "differ after resume: \(differing.prefix(5))")
        #expect(a[TrainingState.step]?.scalars == [6])

        let rowsA = straight.metrics.records, rowsB = resumed.metrics.records
        #expect(rowsA.map(\.step) == [1, 2, 3, 4, 5, 6] && rowsB.map(\.step) == [1, 2, 3, 4, 5, 6])
        for (x, y) in zip(rowsA, rowsB) {
            // The kept rows went through the CSV (7 significant digits).
            #expect(zip(x.losses, y.losses).allSatisfy { trainerClose($0, $1, 1e-6) }, "step \(x.step): \(x.losses) vs \(y.losses)")
        }
        let fm = FileManager.default
        for file in ["metrics.csv", "loss_curve.svg", "samples.3/0.gif", "samples.6.ema/0.gif",
                     "checkpoints/step-000003/format.json", "checkpoints/step-000006/format.json",
                     "checkpoints/step-000006/discriminator.safetensors",
                     "checkpoints/step-000006/optimizer/discriminator.safetensors"] {
            #expect(fm.fileExists(atPath: straightFolder + "/" + file), "\(file) missing")
        }
        // The discriminator is a checkpoint component: its weights and moments are the trainer's.
        let saved = try Checkpoint.load(directory: straightFolder + "/checkpoints/step-000006", config: config,
                                        components: [.cvivit, .discriminator])
        let discriminatorWeights = try #require(saved.weights[.discriminator])
        #expect(!discriminatorWeights.isEmpty && discriminatorWeights.allSatisfy { a["discriminator/" + $0.key] == $0.value })
        let moments = try #require(saved.optimizer[.discriminator])
        #expect(moments.count == 2 * discriminatorWeights.count
                && moments.allSatisfy { a["discriminator/" + $0.key] == $0.value })
        #expect(!fm.fileExists(atPath: straightFolder + "/checkpoints/discriminator"))

        // Format-1 checkpoints of earlier builds kept the discriminator beside the checkpoint in
        // checkpoints/discriminator/step-N.safetensors (feed names): a resume from one is exact too.
        let legacyFolder = trainerTemporaryFolder("legacy")
        defer { try? fm.removeItem(atPath: legacyFolder) }
        var old = try Checkpoint.read(directory: resumedFolder + "/checkpoints/step-000003")
        let discriminatorState = old.trainingFeeds(of: .discriminator)
        old.weights[.discriminator] = nil
        old.optimizer[.discriminator] = nil
        try fm.createDirectory(atPath: legacyFolder + "/checkpoints/discriminator", withIntermediateDirectories: true)
        try CheckpointWriter().write(old, to: legacyFolder + "/checkpoints/step-000003")
        try SafeTensorsFile(tensors: discriminatorState).write(path: legacyFolder + "/checkpoints/discriminator/step-000003.safetensors")
        let legacy = try CViViTTrainer(config: config, options: options, results: legacyFolder, resumeFrom: legacyFolder)
        try legacy.train(data: data, validation: ClipStream(count: 2, clipShape: shape, batch: 1, salt: 9), progress: false)
        let c = legacy.stateTensors()
        #expect(Set(a.keys) == Set(c.keys) && a.keys.allSatisfy { a[$0] == c[$0] }, "a legacy resume differs")
        // Without either, the resume names the missing component.
        for path in ["discriminator", "step-000006", "latest"] { try fm.removeItem(atPath: legacyFolder + "/checkpoints/" + path) }
        #expect(throws: TrainerError.self) {
            try CViViTTrainer(config: config, options: options, results: legacyFolder, resumeFrom: legacyFolder)
        }
        // One line per plotted loss: all but adaptive_weight and discr_grad_norm.
        let svg = try String(contentsOfFile: straightFolder + "/loss_curve.svg", encoding: .utf8)
        #expect(svg.components(separatedBy: "<polyline").count - 1 == straight.lossColumns.count - 2)
        let csv = try String(contentsOfFile: resumedFolder + "/metrics.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 7)
        #expect(csv.hasPrefix("step,loss,recon_loss,aux_loss,gen_loss,adaptive_weight,discr_loss,gradient_penalty,discr_grad_norm,valid_loss,lr,grad_norm,seconds\n"))
        try? fm.removeItem(atPath: straightFolder)
        try? fm.removeItem(atPath: resumedFolder)
    }

    /// A cooldown (GAN on, EMA on) equals two constant-rate runs, the second resumed at half the
    /// rate: the generator and the discriminator both take the scheduled rate.
    @Test func learningRateCooldownEqualsPiecewiseConstantRuns() throws {
        let config = Self.ganConfig
        var options = CViViTTrainerOptions(steps: 3, batchSize: 1, frames: 3, learningRate: 2e-3, applyGradPenaltyEvery: 2,
                                           saveResultsEvery: 100, saveModelEvery: 100, seed: 4, threads: 2)
        options.lrDecaySteps = 2
        let shape = Self.clipShape(config, frames: 3)
        let data = { (order: DataOrderState?) -> BatchStream in ClipStream(count: 5, clipShape: shape, batch: 1, order: order) }
        let a = trainerTemporaryFolder("cool"), b = trainerTemporaryFolder("piece")
        defer { for p in [a, b] { try? FileManager.default.removeItem(atPath: p) } }
        let cooled = try CViViTTrainer(config: config, options: options, results: a)
        try cooled.train(data: data, progress: false)
        #expect(cooled.metrics.records.map(\.learningRate) == [2e-3, 2e-3, 1e-3])

        (options.lrDecaySteps, options.steps) = (0, 2)
        try CViViTTrainer(config: config, options: options, results: b).train(data: data, progress: false)
        (options.steps, options.learningRate) = (3, 1e-3)
        let resumed = try CViViTTrainer(config: config, options: options, results: b, resumeFrom: b)
        try resumed.train(data: data, progress: false)
        let x = cooled.stateTensors(), y = resumed.stateTensors()
        #expect(x.keys.contains { $0.hasPrefix("discriminator/") } && Set(x.keys) == Set(y.keys))
        let differing = x.keys.filter { x[$0] != y[$0] }.sorted()
        #expect(differing.isEmpty, "differ: \(differing.prefix(5))")
    }

    /// The first update's generator losses equal the reference interpreter's on `cvivit-gan`
    /// (same weights, batch and frame key); its discriminator loss and gradient penalty equal the
    /// interpreter's on the frames that run picked, of the video and of its reconstruction. The
    /// second update (index 1, penalty every 2) has no penalty; the first EMA update copies.
    @Test func ganAlternationMatchesInterpreter() throws {
        let config = Self.ganConfig
        let options = CViViTTrainerOptions(steps: 2, batchSize: 2, frames: 3, applyGradPenaltyEvery: 2,
                                           saveResultsEvery: 100, saveModelEvery: 100, seed: 3, threads: 2)
        let folder = trainerTemporaryFolder("gan")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try CViViTTrainer(config: config, options: options, results: folder)
        let initial = trainer.stateTensors()
        let shape = Self.clipShape(config, frames: 3)
        let video = try ClipStream(count: 4, clipShape: shape, batch: 2).next().videos
        try trainer.train(data: { ClipStream(count: 4, clipShape: shape, batch: 2, order: $0) }, progress: false)

        let interpreter = ReferenceInterpreter(precision: .float64)
        let generator = try PhenakiModels.graph(named: "cvivit-gan", config: config, batch: 2, frames: 3)
        var feeds: [String: HostTensor] = ["video": video,
                                           "frame_key": CViViTTrainer.rngKey(seed: 3, feed: "frame_key", draw: 0).tensor]
        for p in generator.parameters {
            feeds[p.name] = initial[p.name] ?? initial["discriminator/" + p.name]
        }
        let out = try interpreter.run(generator, feeds: feeds)
        let row = trainer.metrics.records[0]
        func column(_ name: String, _ record: TrainingRecord = trainer.metrics.records[0]) -> Double {
            record.losses[trainer.lossColumns.firstIndex(of: name)!]
        }
        for name in ["loss", "recon_loss", "aux_loss", "gen_loss", "adaptive_weight"] {
            let expected = out[name]!.scalars[0]
            #expect(trainerClose(column(name), expected, 1e-4), "\(name): \(column(name)) vs \(expected)")
        }
        // The picked frames, cut on the host.
        let picks = out["frame_indices"]!.scalars.map { Int($0) }
        func frames(_ t: HostTensor) -> HostTensor {
            let (b, c, f, plane) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3] * t.shape[4])
            var s: [Double] = []
            for i in 0..<b { for ch in 0..<c { let o = ((i * c + ch) * f + picks[i]) * plane; s += t.scalars[o..<(o + plane)] } }
            return HostTensor(shape: [b, c, t.shape[3], t.shape[4]], scalars: s)
        }
        let discriminator = try CViViTGAN.discriminatorGraph(config, batch: 2)
        var discrFeeds = ["real": frames(video), "fake": frames(out["recon"]!)]
        for p in discriminator.parameters { discrFeeds[p.name] = initial["discriminator/" + p.name] }
        let judged = try interpreter.run(discriminator, feeds: discrFeeds)
        for name in ["discr_loss", "gradient_penalty"] {
            let expected = judged[name]!.scalars[0]
            #expect(trainerClose(column(name), expected, 1e-4, floor: 1e-3), "\(name): \(column(name)) vs \(expected)")
        }
        #expect(row.gradNorm > 0 && column("discr_grad_norm") > 0)
        #expect(column("gradient_penalty", trainer.metrics.records[1]) == 0)
        #expect(column("discr_loss", trainer.metrics.records[1]).isFinite)
    }

    /// Images (one frame, no GAN): the validation loss is the reference interpreter's `cvivit`
    /// loss with the trained weights on the held-out batch; the EMA follows ema-pytorch's
    /// schedule; the results folder gets a PNG grid.
    @Test func imagesValidationAndEMA() throws {
        let config = PhenakiConfig.tiny
        let options = CViViTTrainerOptions(steps: 3, batchSize: 2, trainOnImages: true, emaUpdateEvery: 1,
                                           saveResultsEvery: 3, saveModelEvery: 3, validEvery: 3, seed: 5, threads: 2)
        let folder = trainerTemporaryFolder("images")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try CViViTTrainer(config: config, options: options, results: folder)
        var weights: [[String: HostTensor]] = [trainer.stateTensors()]
        let shape = Self.clipShape(config, frames: 1)
        let validationBatch = try ClipStream(count: 2, clipShape: shape, batch: 2, salt: 4).next().videos
        // One update at a time, to follow the EMA by hand.
        var order: DataOrderState?
        for steps in 1...3 {
            var o = options
            o.steps = steps
            let t = try CViViTTrainer(config: config, options: o, results: folder, resumeFrom: steps == 1 ? nil : folder)
            try t.train(data: { ClipStream(count: 6, clipShape: shape, batch: 2, order: $0 ?? order) },
                        validation: ClipStream(count: 2, clipShape: shape, batch: 2, salt: 4), progress: false)
            weights.append(t.stateTensors())
            order = nil
            if steps == 3 {
                let forward = try PhenakiModels.graph(named: "cvivit", config: config, batch: 2, frames: 1)
                var feeds = ["video": validationBatch]
                for p in forward.parameters { feeds[p.name] = weights[3][p.name] }
                let expected = try ReferenceInterpreter(precision: .float64).run(forward, feeds: feeds)["loss"]!.scalars[0]
                let valid = t.metrics.records[2].losses[t.lossColumns.firstIndex(of: "valid_loss")!]
                #expect(trainerClose(valid, expected, 1e-4), "valid_loss \(valid) vs \(expected)")
                #expect(FileManager.default.fileExists(atPath: folder + "/3.png"))
                #expect(FileManager.default.fileExists(atPath: folder + "/3.ema.png"))
            }
        }
        // EMA: e ← e·d + w·(1 − d) with ema-pytorch's decay for each update.
        let schedule = EMASchedule(beta: options.emaBeta, updateAfterStep: 0, updateEvery: 1)
        let name = "to_pixels_first_frame.0.weight"
        let trained = try #require(weights[1][name])
        var ema = weights[0][name]!.scalars
        for update in 0..<3 {
            let d = schedule.decay(afterUpdates: update)
            let w = weights[update + 1][name]!.scalars
            ema = zip(ema, w).map { $0 * d + $1 * (1 - d) }
        }
        let got = weights[3][TrainingState.ema(name)]!.scalars
        let worst = zip(got, ema).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
        #expect(worst <= 1e-5, "EMA relative error \(worst)")
        #expect(weights[1][TrainingState.ema(name)]?.scalars == trained.scalars, "the first update copies")
    }

    /// `initial`: the run starts from that checkpoint's C-ViViT weights (not the seed's), with
    /// the EMA at those weights, zero moments and step 0, whatever step the checkpoint had.
    @Test func startsFromInitialCheckpoint() throws {
        let folder = trainerTemporaryFolder("initial")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var source = try Checkpoint.initial(config: .tiny, seed: 9)
        source.state.step = 40
        try CheckpointWriter().write(source, to: folder + "/init")
        let trainer = try CViViTTrainer(config: .tiny, options: CViViTTrainerOptions(steps: 0, batchSize: 1, seed: 1, threads: 1),
                                        results: folder + "/run", initial: folder + "/init")
        let state = trainer.stateTensors()
        let weights = source.weights[.cvivit]!
        let trained = weights.keys.filter { state[$0] != nil }
        #expect(trained.count > 10)
        for name in trained {
            #expect(state[name] == weights[name], "\(name)")
            #expect(state[TrainingState.ema(name)] == weights[name], "ema of \(name)")
            if let m = state[TrainingState.firstMoment(name)] { #expect(m.scalars.allSatisfy { $0 == 0 }) }
        }
        #expect(state[TrainingState.step]?.scalars == [0])
        #expect(trainer.step == 0)
    }

    /// Options a user can get wrong are typed errors naming the flag; so is a results folder
    /// that cannot be written and a resume from a folder without checkpoints.
    @Test func badOptions() throws {
        let config = PhenakiConfig.tiny
        #expect(throws: TrainerError.invalidOption(name: "steps", value: "-1", expected: "0 or more")) {
            try CViViTTrainerOptions(steps: -1).validate()
        }
        #expect(throws: TrainerError.invalidOption(name: "batch", value: "0", expected: "at least 1")) {
            try CViViTTrainerOptions(batchSize: 0).validate()
        }
        let scratch = trainerTemporaryFolder("bad")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let file = scratch + "/plain"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        #expect {
            try CViViTTrainer(config: config, options: CViViTTrainerOptions(steps: 1), results: file + "/results")
        } throws: { error in
            if case TrainerError.resultsNotWritable = error { return true }
            return false
        }
        let empty = scratch + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        #expect(throws: TrainerError.nothingToResume(path: empty)) {
            try CViViTTrainer(config: config, options: CViViTTrainerOptions(steps: 1, threads: 1), results: empty,
                              resumeFrom: empty)
        }
        var gan = config
        gan.cvivit.useVGGAndGAN = true
        #expect(throws: TrainerError.ganNeedsVideo) {
            try CViViTTrainer(config: gan, options: CViViTTrainerOptions(trainOnImages: true), results: empty)
        }
    }
}
