import Foundation
import GraphRuntime
import Testing
@testable import Phenaki

/// `CheckpointEvaluation` on random tiny checkpoints (`phenaki init`): the numbers must be
/// those the sampler's own C-ViViT codec and sampling loop give, scored independently here.
/// (A random model's caption accuracy is near chance; these tests check the machinery.)
@Suite("Eval: checkpoints", .serialized)
final class EvalCheckpointTests {
    let scratch: GenerationScratch

    init() throws {
        scratch = try GenerationScratch()
    }

    /// Deterministic embeddings [1, 3, 32] of a prompt (a sine pattern keyed by its index).
    static func embedding(_ caption: ClipCaption) -> HostTensor {
        let key = Double(caption.itemClass * 4 + caption.direction.rawValue)
        return HostTensor(shape: [1, 3, 32], dtype: .float32,
                          scalars: (0..<96).map { Double(Float(sin(Double($0) * 0.37 + key))) })
    }

    /// Caption-accuracy options on 3-frame clips sampled in 2 steps with `embedding`, scored by the
    /// test classifier saved into the cache folder `cache` (so it is not retrained).
    func captionOptions(cache: String, videos: Int, prompts: Int, seed: UInt64,
                        ceilingClips: Int) throws -> (FashionItemClassifier, EvaluationOptions) {
        let classifier = try EvalTestSupport.classifier()
        let path = scratch.path + "/" + cache + "/fashion-classifier.safetensors"
        try classifier.save(path: path)
        var options = EvaluationOptions()
        options.reconstruction = ReconstructionOptions(batches: 1, batch: videos, frames: 3)
        options.prompts = prompts
        options.samplingSteps = 2
        options.seed = seed
        options.ceilingClips = ceilingClips
        options.classifierPath = path
        options.classifierTraining = classifier.training
        options.textEmbedding = Self.embedding
        return (classifier, options)
    }

    /// PSNR, the baseline, codebook usage and perplexity equal those computed here from the
    /// sampler's encode/decode of the same held-out clips, one clip at a time.
    @Test func reconstructionMatchesTheSamplersCodec() throws {
        let directory = try scratch.checkpoint(seed: 3)
        let options = ReconstructionOptions(batches: 2, batch: 3, frames: 3, seed: 2)
        let report = try ReconstructionEvaluation.run(config: .tiny,
                                                      weights: try Checkpoint.read(directory: directory).weights[.cvivit]!,
                                                      options: options)
        let sampler = try SamplingCheckpoint.load(directory: directory, critic: .none).sampler()
        let data = try openDataset(.fashionMNISTVideo,
                                   options: DatasetOptions(config: PhenakiConfig.tiny.cvivit, frames: 3, seed: 2),
                                   split: .heldOut)
        var (psnr, baseline) = (0.0, 0.0)
        var counts = [Int](repeating: 0, count: 256)
        for i in 0..<6 {
            let video = try data.example(at: i).video
            let input = VideoTensor.tensor(of: video)
            let ids = try sampler.encodePrime(input)
            for id in ids.scalars { counts[Int(id)] += 1 }
            let recon = try sampler.decode(primeIds: nil, ids: ids, primeFrames: 0)
            func db(_ predicted: [Double]) -> Double {
                let mse = zip(predicted, video.pixels).map { ($0 - Double($1)) * ($0 - Double($1)) }.reduce(0, +)
                    / Double(video.pixels.count)
                return 10 * log10(1 / mse)
            }
            psnr += db(recon.scalars.map { min(max($0, 0), 1) })
            let plane = 16 * 16
            baseline += db(video.pixels.indices.map { p in
                let (c, rest) = (p / (3 * plane), p % plane)
                return Double(video.pixels[c * 3 * plane + rest])
            })
        }
        let total = Double(counts.reduce(0, +))
        let entropy = counts.filter { $0 > 0 }.map { -Double($0) / total * log(Double($0) / total) }.reduce(0, +)
        #expect(report.videos == 6 && report.frames == 3 && report.tokens == Int(total))
        #expect(abs(report.psnr - psnr / 6) <= 1e-4 * abs(psnr / 6), "\(report.psnr) vs \(psnr / 6)")
        #expect(abs(report.repeatFirstFramePSNR - baseline / 6) <= 1e-6 * abs(baseline / 6))
        #expect(report.codesUsed == counts.filter { $0 > 0 }.count)
        #expect(abs(report.perplexity - exp(entropy)) <= 1e-9 * exp(entropy))
        #expect(report.codebookSize == 256)
    }

    /// Without --frames the reconstruction uses the clip length the checkpoint's trainer recorded
    /// (it used 1 + temporal_patch_size before, whatever the model trained on).
    @Test func reconstructionDefaultsToTheTrainedFrameCount() throws {
        var checkpoint = try Checkpoint.initial(config: .tiny, seed: 2)
        checkpoint.state.trainer["frames"] = .number(5)
        let directory = scratch.path + "/trained-on-5"
        try CheckpointWriter().write(checkpoint, to: directory)
        var options = EvaluationOptions()
        options.captions = false
        options.reconstruction = ReconstructionOptions(batches: 1, batch: 2)
        let report = try CheckpointEvaluation.run(directory: directory, options: options)
        #expect(report.reconstruction?.frames == 5)
        let untrained = try scratch.checkpoint(seed: 2, name: "untrained")
        #expect(try CheckpointEvaluation.run(directory: untrained, options: options).reconstruction?.frames == 3)
    }

    /// Caption accuracy for each critic mode (none, token) and cond_scale 1 and 3 equals the
    /// score of clips sampled here with `Generation.sample` and the same seeds; the cached
    /// classifier is used, not retrained; the ceiling is the scorer on held-out clips.
    @Test func captionAccuracyMatchesIndependentSampling() throws {
        let directory = try scratch.checkpoint(tinyWithTokenCritic, seed: 4)
        let (classifier, options) = try captionOptions(cache: "cache", videos: 2, prompts: 3, seed: 9, ceilingClips: 20)
        var log: [String] = []
        let report = try CheckpointEvaluation.run(directory: directory, options: options) { log.append($0) }
        #expect(!log.contains { $0.hasPrefix("training the item classifier") }, "\(log)")
        #expect(report.classifierAccuracy == classifier.heldOutAccuracy)
        #expect(report.captions.map(\.critic) == ["none", "none", "token", "token"])
        #expect(report.captions.map(\.condScale) == [1, 3, 1, 3])

        let prompts = ClipCaption.prompts(count: 3, seed: 9)
        let loaded = try SamplingCheckpoint.load(directory: directory, critic: .implied)
        let scorer = ClipScorer(classifier: classifier)
        for result in report.captions {
            let sampler = try SamplingCheckpoint.load(directory: directory,
                                                      critic: result.critic == "none" ? .none : .critic(.token))
                .sampler(steps: 2)
            var readings: [ClipReading] = []
            for (i, prompt) in prompts.enumerated() {
                let video = try Generation.sample(sampler, frames: 3, text: Self.embedding(prompt),
                                                  options: SamplingOptions(condScale: result.condScale,
                                                                           seed: CaptionAccuracy.seed(9, prompt: i)))
                readings.append(try scorer.read(try VideoTensor.frames(of: video)))
            }
            #expect(result.score == CaptionScore(readings: readings, captions: prompts), "\(result)")
        }
        #expect(loaded.critic == .token)
        let ceiling = try CaptionAccuracy.heldOutCeiling(
            scorer: scorer, clips: 20, options: DatasetOptions(config: PhenakiConfig.tiny.cvivit, frames: 3))
        #expect(report.captionCeiling == ceiling)
    }

    /// Two clips per prompt at one chosen scale: the score equals that of clips sampled here with
    /// the seeds `CaptionAccuracy.seed(_:prompt:clip:)` gives, each prompt's first clip keeps the
    /// one-clip seed, and the by-class accuracies are the class-wise fractions.
    @Test func clipsPerPromptAndChosenScales() throws {
        let directory = try scratch.checkpoint(seed: 6, name: "two-clips")
        let (classifier, shared) = try captionOptions(cache: "cache-two", videos: 1, prompts: 2, seed: 3, ceilingClips: 4)
        var options = shared
        options.clipsPerPrompt = 2
        options.condScales = [2.5]
        let report = try CheckpointEvaluation.run(directory: directory, options: options)
        #expect(report.captions.map(\.condScale) == [2.5] && report.captions.map(\.critic) == ["none"])
        let result = try #require(report.captions.first)
        #expect(result.score.clips == 4)

        let prompts = ClipCaption.prompts(count: 2, seed: 3)
        let sampler = try SamplingCheckpoint.load(directory: directory, critic: .none).sampler(steps: 2)
        var (readings, captions) = ([ClipReading](), [ClipCaption]())
        for (i, prompt) in prompts.enumerated() {
            for clip in 0..<2 {
                let video = try Generation.sample(sampler, frames: 3, text: Self.embedding(prompt),
                                                  options: SamplingOptions(condScale: 2.5,
                                                                           seed: CaptionAccuracy.seed(3, prompt: i, clip: clip)))
                readings.append(try ClipScorer(classifier: classifier).read(try VideoTensor.frames(of: video)))
                captions.append(prompt)
            }
        }
        #expect(result.score == CaptionScore(readings: readings, captions: captions))
        options.clipsPerPrompt = 0
        #expect(throws: EvaluationError.invalidCount(option: "--clips-per-prompt", value: 0, minimum: 1)) {
            try CheckpointEvaluation.run(directory: directory, options: options)
        }
        (options.clipsPerPrompt, options.condScales) = (1, [])
        #expect(throws: EvaluationError.invalidCount(option: "the number of --cond-scale values", value: 0, minimum: 1)) {
            try CheckpointEvaluation.run(directory: directory, options: options)
        }
        #expect(CaptionAccuracy.seed(3, prompt: 1, clip: 0) == CaptionAccuracy.seed(3, prompt: 1))
        #expect(CaptionAccuracy.seed(3, prompt: 1, clip: 1) != CaptionAccuracy.seed(3, prompt: 1))
    }

    /// The by-class accuracy of hand-made readings: known fractions, only for classes captioned.
    @Test func classAccuracyByClass() {
        let captions = [ClipCaption(itemClass: 7, direction: .left), ClipCaption(itemClass: 7, direction: .up),
                        ClipCaption(itemClass: 7, direction: .down), ClipCaption(itemClass: 2, direction: .right)]
        let readings = [ClipReading(itemClass: 7, direction: .left), ClipReading(itemClass: 5, direction: .up),
                        ClipReading(itemClass: 7, direction: nil), ClipReading(itemClass: nil, direction: .right)]
        let score = CaptionScore(readings: readings, captions: captions)
        #expect(score.classAccuracyByClass == [7: 2.0 / 3.0, 2: 0])
        #expect(score.classAccuracy == 0.5 && score.directionAccuracy == 0.75 && score.accuracy == 0.25)
    }

    /// A checkpoint without MaskGit weights or with a `precomputed` encoder and no embeddings
    /// gets reconstruction metrics and a note saying why captions were skipped.
    @Test func captionsSkippedWithAReason() throws {
        let directory = try scratch.checkpoint(seed: 5)
        var options = EvaluationOptions()
        options.reconstruction = ReconstructionOptions(batches: 1, batch: 1, frames: 3)
        let report = try CheckpointEvaluation.run(directory: directory, options: options)
        #expect(report.reconstruction != nil && report.captions.isEmpty && report.classifierAccuracy == nil)
        #expect(report.notes.contains { $0.contains("'precomputed'") }, "\(report.notes)")
    }

    /// A saved classifier loads with the same weights and settings; a file that is not one is a
    /// typed error that says how to recover.
    @Test func classifierCacheRoundTrips() throws {
        let classifier = try EvalTestSupport.classifier()
        let path = scratch.path + "/c/classifier.safetensors"
        try classifier.save(path: path)
        let loaded = try FashionItemClassifier.load(path: path)
        #expect(loaded.weights == classifier.weights && loaded.training == classifier.training)
        #expect(loaded.heldOutAccuracy == classifier.heldOutAccuracy)
        try Data("not a safetensors file".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try FashionItemClassifier.load(path: path)
        } throws: { error in
            guard case EvaluationError.damagedClassifier = error else { return false }
            return "\(error)".contains("--train-classifier")
        }
    }
}
