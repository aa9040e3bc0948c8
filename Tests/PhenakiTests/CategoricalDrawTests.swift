import Foundation
import GraphCompiler
import GraphRuntime
@testable import Phenaki
import PhenakiGraphs
import Testing
import TensorGraph

/// The sampler's fast paths against their definitions: `CategoricalDraw` against inverse-CDF
/// sampling computed here in float64, and `MaskGit.guidedLogits` against
/// `forwardWithCondScale` (guidance on logits) on the reference interpreter.
@Suite struct CategoricalDrawTests {
    /// The index of the first float64 prefix sum of softmax(l / T) above u (the last index if none).
    static func oracle(_ logits: ArraySlice<Double>, temperature: Double, uniform: Double) -> Int {
        let top = logits.max()!
        let weights = logits.map { exp(($0 - top) / temperature) }
        let target = uniform * weights.reduce(0, +)
        var sum = 0.0
        for (i, w) in weights.enumerated() {
            sum += w
            if sum > target { return i }
        }
        return weights.count - 1
    }

    @Test func blocksDivideTheVocabulary() {
        #expect(CategoricalDraw.blocks(65536) == (256, 256))
        #expect(CategoricalDraw.blocks(4096) == (64, 64))
        #expect(CategoricalDraw.blocks(24) == (6, 4))
        #expect(CategoricalDraw.blocks(13) == (13, 1))
    }

    /// The compiled plan (fast kernels, as the sampler runs it) draws the oracle's token.
    @Test(arguments: [(256, 1.0), (4096, 0.7), (4096, 1e-10), (24, 2.0)])
    func drawsInvertTheCDF(_ n: Int, _ temperature: Double) throws {
        let rows = 96
        let graph = try Tracer.trace { t in
            let logits = t.input("logits", [rows, n])
            let temperature = t.input("temperature", [])
            let uniform = t.input("uniform", [rows])
            let draw = CategoricalDraw.sample(logits: logits, temperature: temperature, uniform: uniform)
            return ["ids": draw.ids, "lse": draw.logSumExp]
        }
        let key = RNGKey(seed: UInt64(n))
        // Logits of the spread a trained MaskGit has (σ 3), rounded to float32 as the plan sees them.
        let logits = key.foldIn(0).normal(count: rows * n).map { Double(Float(3 * $0)) }
        let uniform = key.foldIn(1).uniform(count: rows).map { Double(Float($0)) }
        let executor = try PlanExecutor(plan: compile(graph), threads: 2)
        let out = try executor.run(feeds: [
            "logits": HostTensor(shape: [rows, n], scalars: logits), "temperature": HostTensor(temperature),
            "uniform": HostTensor(shape: [rows], scalars: uniform),
        ])
        let ids = try #require(out["ids"]).scalars.map { Int($0) }
        let want = (0..<rows).map {
            Self.oracle(logits[($0 * n)..<(($0 + 1) * n)], temperature: temperature, uniform: uniform[$0])
        }
        let equal = Double(zip(ids, want).filter { $0 == $1 }.count) / Double(rows)
        #expect(equal >= 0.999, "\(n) at T \(temperature): \(ids) vs \(want)")
        // logsumexp at temperature 1, for the confidence scores.
        let lse = try #require(out["lse"]).scalars
        for row in 0..<rows {
            let l = logits[(row * n)..<((row + 1) * n)]
            let top = l.max()!
            let want = top + log(l.reduce(0) { $0 + exp($1 - top) })
            #expect(abs(lse[row] - want) <= 1e-4 * max(1, abs(want)), "row \(row): \(lse[row]) vs \(want)")
        }
    }

    /// `to_logits` is affine, so guiding the hidden states gives guidance on the logits.
    @Test func guidanceOnHiddenStatesEqualsGuidanceOnLogits() throws {
        let config = try SamplingFixture("sample_token_critic").config
        let model = PhenakiLossModel.maskgit(config)
        let (b, n, m, d) = (2, 12, config.phenaki.maxTextLen, config.maskgit.dimContext)
        let shape = config.cvivit.videoPatchShape(frames: 5)
        func graph(hidden: Bool) throws -> Graph {
            try Tracer.trace { t in
                let ids = t.input("ids", [b, n], .int32)
                let text = t.input("text", [b, m, d])
                let mask = text.abs().max(axes: [-1]) .> 0
                return ["logits": hidden
                    ? model.guidedLogits(ids, videoPatchShape: shape, text: text, textMask: mask, condScale: 3)
                    : model.forwardWithCondScale(ids, videoPatchShape: shape, text: text, textMask: mask, condScale: 3)]
            }
        }
        let (a, g) = (try graph(hidden: false), try graph(hidden: true))
        var feeds = initialParameters(of: a, seed: 3)
        feeds["ids"] = HostTensor(shape: [b, n], dtype: .int32, scalars: (0..<(b * n)).map { Double(($0 * 7) % 33) })
        var text = (0..<(b * m * d)).map { sin(Double($0) * 0.37) }
        for i in ((m - 2) * d)..<(m * d) { text[i] = 0 }  // padding rows in the first text
        feeds["text"] = HostTensor(shape: [b, m, d], scalars: text)
        let interpreter = ReferenceInterpreter(precision: .float64)
        let want = try #require(try interpreter.run(a, feeds: feeds)["logits"])
        let got = try #require(try interpreter.run(g, feeds: feeds)["logits"])
        #expect(got.shape == want.shape)
        let scale = want.scalars.map(abs).max() ?? 1
        let worst = zip(got.scalars, want.scalars).map { abs($0 - $1) }.max() ?? 0
        print("guided hidden vs guided logits: max abs \(worst), relative \(worst / scale)")
        #expect(worst / scale <= 1e-9)
    }
}
