import Foundation
import GraphCompiler
import GraphRuntime
@testable import Phenaki
import PhenakiGraphs
import Testing
import TensorGraph

/// The sampler's split of a step into MaskGit's guided transformer (`SamplerGraphs.maskgit`,
/// all positions) and the `to_logits` head with its draw (`SamplerGraphs.head`, the masked
/// positions only, a few rows a run), against phenaki-pytorch's formulas and its recorded runs.
@Suite struct SamplerHeadTests {
    /// On the reference interpreter: the head over gathered rows of the guided hidden states
    /// draws `argmax(logits / T + gumbel)` and scores `1 − softmax(logits)[id]` of the logits of
    /// `forward_with_cond_scale` (two passes, guidance on the logits: `null + (cond − null) · s`)
    /// at those positions, with a prime and a batch of two, at cond scale 3.
    @Test func headOfGatheredRowsIsGuidanceOnTheLogits() throws {
        let config = try SamplingFixture("sample_token_critic").config
        let model = PhenakiLossModel.maskgit(config)
        let patch = config.cvivit.videoPatchShape(frames: 5)
        let (b, m, d, v) = (2, config.phenaki.maxTextLen, config.maskgit.dimContext, config.maskgit.numTokens)
        let total = patch.reduce(1, *)
        let p = patch[1] * patch[2]  // one frame of prime tokens
        let g = total - p
        let shape = SamplerGraphs.Shape(batch: b, primeTokens: p, tokens: g, patchShape: patch, textLength: m,
                                        condScale: 3, draws: .inputs)
        let rows = [3, 2 * g - 1, 0, g, 3, g + 4, 1]  // both videos, a repeat, any order
        let hiddenGraph = try SamplerGraphs.maskgit(config, shape)
        let headGraph = try SamplerGraphs.head(config, shape, rows: rows.count)
        let oracle = try Tracer.trace { t in
            let ids = t.input("ids", [b, total], .int32)
            let text = t.input("text", [b, m, d])
            let mask = text.abs().max(axes: [-1]) .> 0
            return ["logits": t.scope("maskgit") {
                model.forwardWithCondScale(ids, videoPatchShape: patch, text: text, textMask: mask, condScale: 3)
            }]
        }

        var feeds = initialParameters(of: oracle, seed: 9)
        feeds["ids"] = HostTensor(shape: [b, total], dtype: .int32,
                                  scalars: (0..<(b * total)).map { Double(($0 * 11) % (v + 1)) })
        var text = (0..<(b * m * d)).map { cos(Double($0) * 0.29) }
        for i in ((m - 3) * d)..<(m * d) { text[i] = 0 }  // padding rows in the first text
        feeds["text"] = HostTensor(shape: [b, m, d], scalars: text)
        let interpreter = ReferenceInterpreter(precision: .float64)
        let logits = try #require(try interpreter.run(oracle, feeds: feeds)["logits"]).scalars
        let hidden = try #require(try interpreter.run(hiddenGraph, feeds: feeds)["hidden"])
        #expect(hidden.shape == [b * g, config.maskgit.dim])

        let temperature = 0.8
        let uniform = RNGKey(seed: 21).uniform(count: b * g * v)
        feeds["hidden"] = hidden
        feeds["rows"] = HostTensor(shape: [rows.count], dtype: .int32, scalars: rows.map(Double.init))
        feeds["temperature"] = HostTensor(temperature)
        feeds[SamplerGraphs.gumbelName] = HostTensor(shape: [b * g, v], scalars: uniform)
        let out = try interpreter.run(headGraph, feeds: feeds)
        let ids = try #require(out["ids"]).scalars.map { Int($0) }
        let scores = try #require(out["scores"]).scalars
        for (j, position) in rows.enumerated() {
            // Position `position` of the generated tokens: video position / g, token p + position % g.
            let start = ((position / g) * total + p + position % g) * v
            let l = Array(logits[start..<(start + v)])
            let noisy = (0..<v).map { l[$0] / temperature - log(-log(uniform[position * v + $0] + 1e-10) + 1e-10) }
            let want = noisy.indices.max { noisy[$0] < noisy[$1] }!
            #expect(ids[j] == want, "row \(j) (position \(position)): \(ids[j]) vs \(want)")
            let top = l.max()!
            let lse = top + log(l.reduce(0) { $0 + exp($1 - top) })
            let wantScore = 1 - exp(l[want] - lse)
            #expect(abs(scores[j] - wantScore) <= 1e-9, "row \(j): score \(scores[j]) vs \(wantScore)")
        }
    }

    /// One head plan of 3 rows (runs that do not divide the masked positions, so the last run of
    /// a step is padded) replays phenaki-pytorch's recorded runs as the default plans do.
    @Test(arguments: ["sample_token_critic", "sample_primed", "sample_self_critic_unconditional"])
    func runsOfThreeRowsMatchPhenakiPytorch(_ name: String) throws {
        let f = try SamplingFixture(name)
        let sampler = try PhenakiSampler(config: f.config, parameters: f.fixture.weights, critic: f.critic,
                                         threads: 2, headRows: 3)
        let ids = try sampler.sampleTokens(frames: f.int("frames"), text: f.fixture.inputs["text_embeds"],
                                           batch: f.int("batch"), primeIds: f.fixture.outputs["prime_ids"],
                                           primeFrames: f.int("prime_frames"), options: f.options,
                                           recorded: f.draws)
        let want = try #require(f.fixture.outputs["ids"])
        #expect(InteropFixture.equalFraction(ids, want) >= 0.999, "\(name): \(ids.scalars) vs \(want.scalars)")
    }

    /// With the seed's own draws, the head plans' rows change nothing: a token's uniform belongs
    /// to its position. The default is a plan over all positions and one over half of them.
    @Test(arguments: [nil, "token"] as [String?])
    func rowsPerRunDoNotChangeTheSample(_ critic: String?) throws {
        let f = try SamplingFixture("sample_token_critic")
        let text = f.fixture.inputs["text_embeds"]
        let samplers = try [nil, 1, 5].map {
            try PhenakiSampler(config: f.config, parameters: f.fixture.weights,
                               critic: critic.flatMap(SamplerCritic.init(rawValue:)), threads: 2, headRows: $0)
        }
        let samples = try samplers.map {
            try $0.sampleTokens(frames: 5, text: text, batch: 2, options: SamplingOptions(seed: 8))
        }
        let g = samples[0].shape[1]
        #expect(samplers.map { $0.headRows(batch: 2, tokens: g) } == [[2 * g, g], [1], [5]])
        for other in samples.dropFirst() { #expect(InteropFixture.equalFraction(other, samples[0]) >= 0.999) }
    }
}
