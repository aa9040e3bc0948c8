import Foundation
import GraphRuntime
import Testing
@testable import Phenaki

/// `phenaki eval` through the built executable on a random tiny checkpoint; the oracle is the
/// library run in-process with the same settings.
@Suite("Eval: CLI", .enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
final class EvalCLITests {
    let scratch: GenerationScratch

    init() throws {
        scratch = try GenerationScratch()
    }

    private func phenaki(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(try #require(phenakiExecutable), arguments)
    }

    /// The last stdout line is one JSON object whose reconstruction numbers are the library's,
    /// and whose notes say why captions were skipped (the tiny model's text is precomputed).
    @Test func jsonLineHoldsTheLibrarysNumbers() throws {
        let checkpoint = try scratch.checkpoint(seed: 8)
        let result = try phenaki(["eval", "--checkpoint", checkpoint, "--eval-batches", "2", "--batch", "2",
                                  "--frames", "3", "--seed", "1", "--classifier", scratch.path + "/unused.safetensors",
                                  "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let last = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let expected = try ReconstructionEvaluation.run(
            config: .tiny, weights: try Checkpoint.read(directory: checkpoint).weights[.cvivit]!,
            options: ReconstructionOptions(batches: 2, batch: 2, frames: 3, seed: 1))
        #expect(object["psnr"] as? Double == expected.psnr)
        #expect(object["repeat_first_frame_psnr"] as? Double == expected.repeatFirstFramePSNR)
        #expect(object["codes_used"] as? Int == expected.codesUsed)
        #expect(object["perplexity"] as? Double == expected.perplexity)
        #expect(object["videos"] as? Int == 4 && object["frames"] as? Int == 3)
        #expect((object["captions"] as? [Any])?.isEmpty == true)
        #expect((object["notes"] as? [String])?.contains { $0.contains("precomputed") } == true)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/unused.safetensors"))
    }

    /// With --text-embeds (40 rows) a precomputed-text checkpoint gets caption accuracy per critic
    /// mode and guidance scale, equal to the library's with the same rows, classifier and seeds.
    @Test func captionAccuracyFromPromptEmbeddings() throws {
        let checkpoint = try scratch.checkpoint(tinyWithTokenCritic, seed: 2)
        let rows = ClipCaption.all.count
        let values = (0..<(rows * 3 * 32)).map { Double(Float(cos(Double($0) * 0.11))) }
        let file = scratch.path + "/prompts.npy"
        try NumPyArray.write(HostTensor(shape: [rows, 3, 32], dtype: .float32, scalars: values), path: file)
        let classifier = try EvalTestSupport.classifier()
        let cache = scratch.path + "/classifier.safetensors"
        try classifier.save(path: cache)
        let result = try phenaki(["eval", "--checkpoint", checkpoint, "--eval-batches", "1", "--batch", "1",
                                  "--frames", "3", "--prompts", "2", "--sampling-steps", "2", "--seed", "4",
                                  "--clips-per-prompt", "2", "--cond-scale", "1", "--cond-scale", "2.5",
                                  "--text-embeds", file, "--classifier", cache, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let last = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        var options = EvaluationOptions()
        options.reconstruction = ReconstructionOptions(batches: 1, batch: 1, frames: 3, seed: 4)
        options.prompts = 2
        options.clipsPerPrompt = 2
        options.condScales = [1, 2.5]
        options.samplingSteps = 2
        options.seed = 4
        options.classifierPath = cache
        let embeddings = try PromptEmbeddings(path: file, config: tinyWithTokenCritic)
        options.textEmbedding = embeddings.embedding(of:)
        let expected = try CheckpointEvaluation.run(directory: checkpoint, options: options)
        let captions = try #require(object["captions"] as? [[String: Any]])
        #expect(captions.map { $0["critic"] as? String } == expected.captions.map(\.critic))
        #expect(captions.map { $0["cond_scale"] as? Double } == expected.captions.map(\.condScale))
        #expect(captions.map { $0["accuracy"] as? Double } == expected.captions.map(\.score.accuracy))
        #expect(captions.map { $0["class_accuracy"] as? Double } == expected.captions.map(\.score.classAccuracy))
        #expect(captions.map { $0["direction_accuracy"] as? Double } == expected.captions.map(\.score.directionAccuracy))
        #expect(captions.map { $0["clips"] as? Int } == [4, 4, 4, 4])
        #expect(captions.map { $0["class_accuracy_by_class"] as? [String: Double] } == expected.captions.map { result in
            Dictionary(uniqueKeysWithValues: result.score.classAccuracyByClass.map {
                (ClipCaption.classNames[$0.key].lowercased(), $0.value)
            })
        })
        #expect(object["classifier_accuracy"] as? Double == classifier.heldOutAccuracy)
        let listed = try phenaki(["eval", "--list-prompts"])
        #expect(listed.stdout.split(separator: "\n").map(String.init) == ClipCaption.all.map(\.text))
    }

    /// Neither --checkpoint nor --train-classifier is a usage error; a classifier trained too
    /// briefly is refused with a message that says to train longer, and nothing is cached.
    @Test func refusesWhatItCannotServe() throws {
        let usage = try phenaki(["eval"])
        #expect(usage.status != 0 && usage.stderr.contains("--checkpoint"), "\(usage.stderr)")
        let path = scratch.path + "/weak.safetensors"
        let weak = try phenaki(["eval", "--train-classifier", "--steps", "5", "--classifier", path])
        #expect(weak.status == 1 && weak.stderr.contains("train it longer"), "\(weak.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
