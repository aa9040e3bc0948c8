import Foundation
import Testing
@testable import Phenaki

/// The numbers `phenaki eval` reports, against their closed forms, and the caption grammar
/// against the dataset's own captions.
@Suite("Eval: metrics and captions")
struct EvalMetricsTests {
    /// An error of 0.1 everywhere is an MSE of 0.01, 20 dB; equal videos are +∞; a mixed error
    /// is 10·log10(1/mean(d²)).
    @Test func psnrMatchesItsDefinition() {
        let target: [Float] = (0..<60).map { Float($0) / 64 }
        #expect(abs(PSNR.of(target.map { $0 + 0.1 }, target) - 20) < 1e-5)
        #expect(PSNR.of(target, target) == .infinity)
        let predicted = target.enumerated().map { $1 + ($0 % 2 == 0 ? 0.2 : 0) }
        let mse = 0.5 * Double(Float(0.2)) * Double(Float(0.2))
        #expect(abs(PSNR.of(predicted, target) - 10 * log10(1 / mse)) < 1e-4)
    }

    /// Every frame of each channel becomes that channel's first frame.
    @Test func repeatFirstFrameCopiesFrameZero() {
        let (channels, frames, plane) = (2, 3, 4)
        let video: [Float] = (0..<(channels * frames * plane)).map(Float.init)
        let repeated = PSNR.repeatFirstFrame(video, channels: channels, frames: frames, plane: plane)
        for c in 0..<channels {
            for f in 0..<frames {
                for p in 0..<plane {
                    #expect(repeated[(c * frames + f) * plane + p] == video[c * frames * plane + p])
                }
            }
        }
    }

    /// Usage counts distinct ids; perplexity is 2^1.5 for the histogram {½, ¼, ¼}, k for k codes
    /// used equally, 1 for one code.
    @Test func codebookUsageAndPerplexity() {
        var usage = CodebookUsage(codebookSize: 8)
        usage.add([0, 0, 1, 2])
        #expect(usage.used == 3 && usage.total == 4 && usage.usedPercent == 37.5)
        #expect(abs(usage.perplexity - pow(2, 1.5)) < 1e-12)
        var uniform = CodebookUsage(codebookSize: 16)
        uniform.add((0..<16).flatMap { [Int32($0), Int32($0)] })
        #expect(abs(uniform.perplexity - 16) < 1e-9 && uniform.usedPercent == 100)
        var one = CodebookUsage(codebookSize: 4)
        one.add([3, 3, 3])
        #expect(one.perplexity == 1)
    }

    /// The 40 prompts round-trip through the parser, and 300 held-out clip captions parse to a
    /// caption whose text is the caption again, with the label the dataset used.
    @Test func captionGrammarMatchesTheDataset() throws {
        let all = ClipCaption.all
        #expect(all.count == 40 && Set(all).count == 40)
        for caption in all { #expect(ClipCaption(parsing: caption.text) == caption) }
        #expect(ClipCaption(parsing: "a sneaker moving sideways") == nil)
        #expect(ClipCaption(parsing: "a hat moving left") == nil)
        let options = DatasetOptions(imageSize: 32, channels: 1, frames: 3, temporalPatchSize: 2, seed: 1)
        let data = try FashionMNISTData.load(directory: options.fashionMNISTDirectory, split: .heldOut)
        let clips = try openDataset(.fashionMNISTVideo, options: options, split: .heldOut)
        for i in 0..<300 {
            let text = try #require(try clips.example(at: i).caption)
            let caption = try #require(ClipCaption(parsing: text))
            #expect(caption.text == text)
            #expect(caption.itemClass == Int(data.labels[i]))
        }
    }

    /// A prompt subset is drawn by its seed: same seed, same prompts; distinct, in `all`'s order.
    @Test func promptSubsetsAreSeeded() {
        let a = ClipCaption.prompts(count: 6, seed: 4)
        #expect(a == ClipCaption.prompts(count: 6, seed: 4))
        #expect(a.count == 6 && Set(a).count == 6)
        let order = a.map { ClipCaption.all.firstIndex(of: $0)! }
        #expect(order == order.sorted())
        #expect(ClipCaption.prompts(count: nil, seed: 4) == ClipCaption.all)
        #expect(ClipCaption.prompts(count: 6, seed: 5) != a)
    }

    /// The JSON line holds exactly the contract's keys, null for parts not measured.
    @Test func jsonLineHasTheContractKeys() throws {
        let report = EvaluationReport(checkpoint: "ckpt", classifierAccuracy: 0.9)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.jsonLine.utf8)) as? [String: Any])
        let keys = ["checkpoint", "frames", "videos", "psnr", "repeat_first_frame_psnr", "codebook_size", "codes_used",
                    "codebook_used_percent", "perplexity", "tokens", "classifier_accuracy", "caption_ceiling",
                    "captions", "notes"]
        #expect(Set(object.keys) == Set(keys))
        #expect(object["psnr"] is NSNull && object["classifier_accuracy"] as? Double == 0.9)
        #expect(!report.jsonLine.contains("\n"))
    }
}
