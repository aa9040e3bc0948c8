import Foundation
import GraphRuntime
import Phenaki
import Testing
import TensorGraph

/// A case of Tests/Fixtures/sampling (Tools/reference/make_sampling_fixtures.py): a tiny Phenaki,
/// phenaki-pytorch 0.5.0's `Phenaki.sample` output and the uniform draws it made.
struct SamplingFixture {
    let fixture: ReferenceFixture
    let config: PhenakiConfig

    init(_ name: String) throws {
        fixture = try ReferenceFixture("sampling", name)
        let json = try JSONSerialization.data(withJSONObject: try #require(fixture.config["phenaki_config"]))
        config = try PhenakiConfig.decode(json: json, source: "\(name)/config.json")
    }

    func int(_ key: String) -> Int { fixture.config[key] as? Int ?? 0 }

    var critic: SamplerCritic? { SamplerCritic(rawValue: fixture.config["critic"] as? String ?? "none") }

    var options: SamplingOptions {
        let s = fixture.config["sample"] as? [String: Any] ?? [:]
        func double(_ k: String) -> Double { (s[k] as? NSNumber)?.doubleValue ?? 0 }
        return SamplingOptions(condScale: double("cond_scale"), startingTemperature: double("starting_temperature"),
                               noiseK: double("noise_K"))
    }

    /// The draws of each step, split out of the stacked fixture tensors.
    var draws: RecordedSamplingDraws {
        func steps(_ name: String) -> [HostTensor] {
            guard let t = fixture.inputs[name] else { return [] }
            let per = t.count / t.shape[0]
            return (0..<t.shape[0]).map { s in
                HostTensor(shape: Array(t.shape.dropFirst()), scalars: Array(t.scalars[(s * per)..<((s + 1) * per)]))
            }
        }
        return RecordedSamplingDraws(gumbel: steps("gumbel_uniform"), critic: steps("critic_uniform"))
    }

    func sampler() throws -> PhenakiSampler {
        try PhenakiSampler(config: config, parameters: fixture.weights, critic: critic, threads: 2)
    }
}

@Suite struct SamplingParityTests {
    /// The whole decoding loop on phenaki-pytorch's recorded draws gives its codebook ids.
    @Test(arguments: ["sample_token_critic", "sample_primed", "sample_self_critic_unconditional"])
    func idsMatchPhenakiPytorch(_ name: String) throws {
        let f = try SamplingFixture(name)
        let sampler = try f.sampler()
        let primeIds = f.fixture.outputs["prime_ids"]
        let ids = try sampler.sampleTokens(frames: f.int("frames"), text: f.fixture.inputs["text_embeds"],
                                           batch: f.int("batch"), primeIds: primeIds,
                                           primeFrames: f.int("prime_frames"), options: f.options,
                                           recorded: f.draws)
        let want = try #require(f.fixture.outputs["ids"])
        #expect(ids.shape == want.shape)
        let equal = InteropFixture.equalFraction(ids, want)
        print("\(name): \(Int(equal * 1000) / 10) % of \(want.count) ids equal phenaki-pytorch's")
        #expect(equal >= 0.999, "\(name): \(ids.scalars) vs \(want.scalars)")
    }

    /// Priming: C-ViViT's ids of the prime frames, and the decoded video of prime + generated ids
    /// without the prime frames.
    @Test func primedVideoMatchesPhenakiPytorch() throws {
        let f = try SamplingFixture("sample_primed")
        let sampler = try f.sampler()
        let prime = try #require(f.fixture.inputs["prime_frames"])
        let ids = try sampler.sampleTokens(frames: f.int("frames"), text: f.fixture.inputs["text_embeds"],
                                           primeIds: f.fixture.outputs["prime_ids"],
                                           primeFrames: prime.shape[2], options: f.options, recorded: f.draws)
        let primeIds = try sampler.encodePrime(prime)
        #expect(InteropFixture.equalFraction(primeIds, try #require(f.fixture.outputs["prime_ids"])) == 1)
        let video = try sampler.decode(primeIds: primeIds, ids: ids, primeFrames: prime.shape[2])
        let want = try #require(f.fixture.outputs["video"])
        #expect(video.shape == want.shape)
        var worst = 0.0, scale = 0.0
        for (a, b) in zip(video.scalars, want.scalars) {
            worst = max(worst, abs(a - b))
            scale = max(scale, abs(b))
        }
        print("sample_primed video: max abs error \(worst), relative \(worst / scale)")
        #expect(worst / scale <= 1e-4)
    }
}
