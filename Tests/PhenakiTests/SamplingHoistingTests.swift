import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import Testing
import TensorGraph

/// Loop-invariant hoisting on MaskGit with the text fixed: the prefix (text keys/values, text
/// LayerNorm, the position-bias MLP) and the step together equal the whole graph.
@Suite struct SamplingHoistingTests {
    @Test func maskgitSplitsIntoTheSameLogits() throws {
        let config = try SamplingFixture("sample_token_critic").config
        let graph = try PhenakiModels.graph(named: "maskgit", config: config, batch: 2, frames: 5)
        let split = InvariantHoisting.split(graph, fixedInputs: ["text", "text_mask"])
        print(split.summary)
        #expect(!split.hoisted.isEmpty)
        #expect(split.step.nodes.count < split.originalNodeCount)
        // The position bias (no input at all) and the cross-attention's keys/values (with their
        // null kv) and text mask (layer 0 is PEG, self-attention, cross-attention, feed-forward).
        #expect(split.hoisted.contains { $0.scope.contains("continuous_pos_bias") })
        #expect(split.hoisted.filter { $0.scope == "transformer.layers.0.2" }.count >= 3)
        #expect(split.summary.contains("\(split.hoistedBytes) bytes"))

        var feeds = initialParameters(of: graph, seed: 5)
        let (n, m, d) = (12, config.phenaki.maxTextLen, config.maskgit.dimContext)
        feeds["ids"] = HostTensor(shape: [2, n], dtype: .int32, scalars: (0..<(2 * n)).map { Double(($0 * 7) % 33) })
        feeds["target"] = HostTensor(shape: [2, n], dtype: .int32, scalars: (0..<(2 * n)).map { Double(($0 * 5) % 32) })
        feeds["text"] = HostTensor(shape: [2, m, d], scalars: (0..<(2 * m * d)).map { sin(Double($0) * 0.37) })
        feeds["text_mask"] = HostTensor(shape: [2, m], dtype: .bool, scalars: [1, 1, 1, 0, 0, 1, 0, 1, 1, 1])
        let interpreter = ReferenceInterpreter(precision: .float64)
        let whole = try interpreter.run(graph, feeds: feeds)
        let prefix = try interpreter.run(split.prefix, feeds: feeds)
        var stepFeeds = feeds
        for v in split.hoisted { stepFeeds[v.name] = prefix[v.name] }
        let parts = try interpreter.run(split.step, feeds: stepFeeds)
        for name in ["logits", "loss"] {
            let (a, b) = (try #require(whole[name]), try #require(parts[name]))
            #expect(a.shape == b.shape)
            #expect(zip(a.scalars, b.scalars).allSatisfy { $0 == $1 }, "\(name) differs")
        }
    }
}
