import GraphRuntime
import MediaIO

/// How well clips match their captions: the fractions whose item class, direction, and both,
/// read by `ClipScorer`, equal the caption's.
public struct CaptionScore: Hashable, Sendable {
    /// Clips scored.
    public var clips: Int
    /// Fraction whose item class matches.
    public var classAccuracy: Double
    /// Fraction whose direction matches.
    public var directionAccuracy: Double
    /// Fraction whose class and direction both match: the caption accuracy.
    public var accuracy: Double
    /// Class accuracy over the clips of each item class the captions name (label → fraction):
    /// which items the model draws well.
    public var classAccuracyByClass: [Int: Double]

    /// The score of `readings` against `captions` (same count, at least one).
    public init(readings: [ClipReading], captions: [ClipCaption]) {
        precondition(readings.count == captions.count && !captions.isEmpty, "one reading per caption")
        var (item, direction, both) = (0, 0, 0)
        var (clipsOf, rightOf) = ([Int: Int](), [Int: Int]())
        for (reading, caption) in zip(readings, captions) {
            clipsOf[caption.itemClass, default: 0] += 1
            if reading.itemClass == caption.itemClass {
                item += 1
                rightOf[caption.itemClass, default: 0] += 1
            }
            if reading.direction == caption.direction { direction += 1 }
            if reading.matches(caption) { both += 1 }
        }
        let n = Double(captions.count)
        clips = captions.count
        classAccuracy = Double(item) / n
        directionAccuracy = Double(direction) / n
        accuracy = Double(both) / n
        classAccuracyByClass = Dictionary(uniqueKeysWithValues: clipsOf.map { label, count in
            (label, Double(rightOf[label] ?? 0) / Double(count))
        })
    }
}

/// Caption accuracy of one sampling setting.
public struct CaptionAccuracyResult: Hashable, Sendable {
    /// The critic that re-masked tokens ("none", "token" or "self").
    public var critic: String
    /// Classifier-free guidance scale.
    public var condScale: Double
    /// The score over the prompts.
    public var score: CaptionScore
}

/// Samples one clip per prompt with a checkpoint and scores it against the prompt.
public enum CaptionAccuracy {
    /// Guidance scales compared: 1 (no guidance, the conditional pass only) and 3 (the sampler's
    /// default).
    public static let condScales = [1.0, 3.0]

    /// Clip `clip` of prompt `i` is sampled with `seed` folded with `i` (and then with `clip`, for
    /// clips after the first), so each prompt's clips do not depend on which other prompts are
    /// evaluated, nor the first clip on how many are.
    public static func seed(_ seed: UInt64, prompt index: Int, clip: Int = 0) -> UInt64 {
        let key = RNGKey(seed: seed).foldIn(index)
        return clip == 0 ? key.bits(0) : key.foldIn(clip).bits(0)
    }

    /// For every sampler (one per critic mode) and guidance scale: `clipsPerPrompt` clips per
    /// prompt, scored.
    ///
    /// - Parameters:
    ///   - samplers: (critic name, sampler) pairs.
    ///   - texts: the text embeddings of each prompt, [1, tokens, dim], in prompt order.
    ///   - frames: frames per clip.
    ///   - clipsPerPrompt: clips sampled for each prompt, with the seeds `seed(_:prompt:clip:)` gives.
    ///   - progress: called before each clip with (setting, clip, clips).
    public static func run(samplers: [(String, PhenakiSampler)], prompts: [ClipCaption], texts: [HostTensor],
                           frames: Int, scorer: ClipScorer, seed: UInt64, condScales: [Double] = condScales,
                           clipsPerPrompt: Int = 1,
                           progress: ((String, Int, Int) -> Void)? = nil) throws -> [CaptionAccuracyResult] {
        precondition(prompts.count == texts.count && !prompts.isEmpty && clipsPerPrompt >= 1, "one text per prompt")
        let captions = prompts.flatMap { Array(repeating: $0, count: clipsPerPrompt) }
        var results: [CaptionAccuracyResult] = []
        for (critic, sampler) in samplers {
            for scale in condScales {
                var readings: [ClipReading] = []
                for (i, text) in texts.enumerated() {
                    for clip in 0..<clipsPerPrompt {
                        progress?("critic \(critic), cond_scale \(scale)", readings.count + 1, captions.count)
                        let video = try sampler.sample(
                            frames: frames, text: text,
                            options: SamplingOptions(condScale: scale, seed: Self.seed(seed, prompt: i, clip: clip)))
                        readings.append(try scorer.read(try VideoTensor.frames(of: video)))
                    }
                }
                results.append(CaptionAccuracyResult(critic: critic, condScale: scale,
                                                     score: CaptionScore(readings: readings, captions: captions)))
            }
        }
        return results
    }

    /// The scorer's score on the held-out clips themselves, as if generated: what a perfect
    /// generator would get, the ceiling to read the model's accuracy against.
    public static func heldOutCeiling(scorer: ClipScorer, clips: Int, options: DatasetOptions) throws -> CaptionScore {
        let data = try openDataset(.fashionMNISTVideo, options: options, split: .heldOut)
        var (readings, captions) = ([ClipReading](), [ClipCaption]())
        for i in 0..<min(clips, data.count) {
            let example = try data.example(at: i)
            guard let caption = example.caption.flatMap(ClipCaption.init(parsing:)) else { continue }
            readings.append(try scorer.read(example.video))
            captions.append(caption)
        }
        guard !captions.isEmpty else { throw EvaluationError.notEnoughData(examples: 0) }
        return CaptionScore(readings: readings, captions: captions)
    }
}
