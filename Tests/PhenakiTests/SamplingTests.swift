import Foundation
import GraphRuntime
import Phenaki
import Testing
import TensorGraph

/// The sampler's own behaviour, on the tiny models of Tests/Fixtures/sampling: schedule,
/// determinism, priming, guidance, plan reuse, make_video.
@Suite struct SamplingTests {
    /// phenaki-pytorch's re-mask count, computed here from its formula in float64 (the sampler
    /// mirrors PyTorch's float32 arithmetic; the two agree away from x.5).
    static func formulaCount(step: Int, steps: Int, tokens: Int) -> Int {
        let value = Double(tokens) * cos(Double(step) / Double(steps) * Double.pi * 0.5)
        return max(1, Int(value.rounded()))
    }

    @Test func scheduleFollowsTheFormulas() {
        for steps in [1, 6, 18, 32] {
            for tokens in [1, 12, 256, 1024] {
                for step in 1..<max(steps, 2) where step < steps {
                    let value = Double(tokens) * cos(Double(step) / Double(steps) * Double.pi * 0.5)
                    if abs(value - value.rounded(.down) - 0.5) < 1e-3 { continue }
                    #expect(SamplingSchedule.maskCount(step: step, steps: steps, tokens: tokens)
                            == Self.formulaCount(step: step, steps: steps, tokens: tokens), "\(step)/\(steps), \(tokens)")
                }
            }
            #expect(SamplingSchedule.temperature(step: steps - 1, steps: steps, starting: 0.9) == 0)
            #expect(abs(SamplingSchedule.temperature(step: 0, steps: steps, starting: 0.9) - 0.9 * Double(steps - 1) / Double(steps)) < 1e-15)
            #expect(SamplingSchedule.noiseMultiplier(step: 0, steps: steps, schedule: .increase) == 1 / Double(steps))
            #expect(SamplingSchedule.noiseMultiplier(step: 3, steps: steps, schedule: .fixed) == 1)
        }
    }

    /// Each step predicts exactly the formula's count of tokens (all at step 0), the prime ids
    /// lead every step's input unchanged, and re-masked tokens carry the mask id.
    @Test(arguments: ["sample_token_critic", "sample_primed"])
    func stepsMaskTheFormulasCountAndKeepThePrime(_ name: String) throws {
        let f = try SamplingFixture(name)
        let sampler = try f.sampler()
        let primeIds = f.fixture.outputs["prime_ids"]
        let (b, p) = (f.int("batch"), primeIds?.shape[1] ?? 0)
        var seen: [SamplingStep] = []
        let ids = try sampler.sampleTokens(frames: f.int("frames"), text: f.fixture.inputs["text_embeds"], batch: b,
                                           primeIds: primeIds, primeFrames: f.int("prime_frames"),
                                           options: SamplingOptions(seed: 7)) { seen.append($0) }
        let g = ids.shape[1]
        let steps = f.config.phenaki.steps
        #expect(seen.count == steps)
        let maskID = Double(f.config.maskgit.numTokens)
        for s in seen {
            for row in 0..<b {
                let mask = s.mask.scalars[(row * g)..<((row + 1) * g)]
                let want = s.step == 0 ? g : Self.formulaCount(step: s.step, steps: steps, tokens: g)
                #expect(mask.filter { $0 != 0 }.count == want, "\(name) step \(s.step) row \(row)")
                let input = Array(s.inputIds.scalars[(row * (p + g))..<((row + 1) * (p + g))])
                if let primeIds { #expect(Array(input[0..<p]) == Array(primeIds.scalars[(row * p)..<((row + 1) * p)])) }
                for (i, masked) in mask.enumerated() where masked != 0 { #expect(input[p + i] == maskID) }
            }
        }
        #expect(ids.scalars.allSatisfy { $0 >= 0 && $0 < maskID })
    }

    /// Same seed, same tokens and video; another seed, other tokens. Sampling again compiles nothing.
    @Test func seedsDecide() throws {
        let f = try SamplingFixture("sample_primed")
        let sampler = try f.sampler()
        let text = f.fixture.inputs["text_embeds"]
        let a = try sampler.sample(frames: 5, text: text, options: SamplingOptions(seed: 1))
        let plans = sampler.compiledPlanCount
        let b = try sampler.sample(frames: 5, text: text, options: SamplingOptions(seed: 1))
        let c = try sampler.sample(frames: 5, text: text, options: SamplingOptions(seed: 2))
        #expect(sampler.compiledPlanCount == plans)
        #expect(a.shape == [1, 3, 5, 8, 8])
        #expect(a == b)
        #expect(a != c)
        let ta = try sampler.sampleTokens(frames: 5, text: text, options: SamplingOptions(seed: 1))
        let tc = try sampler.sampleTokens(frames: 5, text: text, options: SamplingOptions(seed: 2))
        #expect(InteropFixture.equalFraction(ta, tc) < 1)
        // The text's keys/values, its mask and the position bias MLP left the loop.
        #expect(sampler.hoistingSummaries.allSatisfy { $0.hasPrefix("hoisted ") && !$0.hasPrefix("hoisted 0 ") })
    }

    /// cond_scale 1 runs the conditional pass alone; a scale a hair above 1 runs the batched
    /// guided pass (null + (cond − null)·s): both pick the same tokens.
    @Test func guidedAtScaleOneEqualsUnguided() throws {
        let f = try SamplingFixture("sample_token_critic")
        let sampler = try f.sampler()
        let text = f.fixture.inputs["text_embeds"]
        let unguided = try sampler.sampleTokens(frames: 5, text: text, options: SamplingOptions(condScale: 1, seed: 3))
        let guided = try sampler.sampleTokens(frames: 5, text: text,
                                              options: SamplingOptions(condScale: 1 + 1e-9, seed: 3))
        #expect(InteropFixture.equalFraction(unguided, guided) >= 0.999)
        let strong = try sampler.sampleTokens(frames: 5, text: text, options: SamplingOptions(condScale: 5, seed: 3))
        #expect(InteropFixture.equalFraction(unguided, strong) < 1)
    }

    /// make_video: each scene is `sample` primed with the last frames of the scene before,
    /// clamped to [0, 1], and the video is the scenes joined.
    @Test func makeVideoChainsScenes() throws {
        let f = try SamplingFixture("sample_primed")
        let sampler = try f.sampler()
        let text = try #require(f.fixture.inputs["text_embeds"])
        let other = HostTensor(shape: text.shape, scalars: text.scalars.map { -$0 })
        let made = try sampler.makeVideo(texts: [text, other], frames: [5, 4], primeLengths: [3],
                                         options: SamplingOptions(seed: 11))
        #expect(made.scenes.map(\.shape) == [[1, 3, 5, 8, 8], [1, 3, 4, 8, 8]])
        #expect(made.video.shape == [1, 3, 9, 8, 8])
        let sceneSeeds = (0..<2).map { RNGKey(seed: 11).foldIn($0).bits(0) }
        let first = try sampler.sample(frames: 5, text: text, options: SamplingOptions(seed: sceneSeeds[0]))
        #expect(first == made.scenes[0])
        // The last 3 frames of scene 1 prime scene 2.
        var tail = [Double]()
        for c in 0..<3 { tail += first.scalars[((c * 5 + 2) * 64)..<((c * 5 + 5) * 64)] }
        #expect(tail.contains { $0 < 0 || $0 > 1 }, "the fixture's scene should stray out of [0, 1]")
        tail = tail.map { min(max($0, 0), 1) }
        let second = try sampler.sample(frames: 4, text: other,
                                        primeVideo: HostTensor(shape: [1, 3, 3, 8, 8], scalars: tail),
                                        options: SamplingOptions(seed: sceneSeeds[1]))
        #expect(second == made.scenes[1])
        for c in 0..<3 {
            #expect(Array(made.video.scalars[(c * 9 * 64)..<((c * 9 + 5) * 64)])
                    == Array(first.scalars[(c * 5 * 64)..<((c + 1) * 5 * 64)]))
        }
        #expect(throws: SamplingError.self) {
            try sampler.makeVideo(texts: [text, other], frames: [5, 4, 4], primeLengths: [3])
        }
    }

    /// sample_images: one frame, the frame axis dropped.
    @Test func sampleImagesIsOneFrame() throws {
        let f = try SamplingFixture("sample_primed")
        let sampler = try f.sampler()
        let text = f.fixture.inputs["text_embeds"]
        let images = try sampler.sampleImages(text: text, options: SamplingOptions(seed: 4))
        let video = try sampler.sample(frames: 1, text: text, options: SamplingOptions(seed: 4))
        #expect(images.shape == [1, 3, 8, 8])
        #expect(video.shape == [1, 3, 1, 8, 8])
        #expect(images.scalars == video.scalars)
    }

    /// Errors a caller can make come back typed, saying what to change.
    @Test func badRequestsThrow() throws {
        let f = try SamplingFixture("sample_primed")
        let sampler = try f.sampler()
        let text = try #require(f.fixture.inputs["text_embeds"])
        #expect(throws: SamplingError.textMismatch(conditional: true)) { try sampler.sample(frames: 5) }
        #expect(throws: SamplingError.self) { try sampler.sample(frames: 4, text: text) }
        #expect(throws: SamplingError.self) { try sampler.sample(frames: 41, text: text) }
        let wide = HostTensor(shape: [1, 9, text.shape[2]], repeating: 1)
        #expect(throws: SamplingError.self) { try sampler.sample(frames: 5, text: wide) }
        let prime = HostTensor(shape: [1, 3, 2, 8, 8], repeating: 0.5)
        #expect(throws: SamplingError.self) { try sampler.sample(frames: 4, text: text, primeVideo: prime) }
        let goodPrime = HostTensor(shape: [1, 3, 3, 8, 8], repeating: 0.5)
        #expect(throws: SamplingError.self) { try sampler.sample(frames: 0, text: text, primeVideo: goodPrime) }
    }
}
