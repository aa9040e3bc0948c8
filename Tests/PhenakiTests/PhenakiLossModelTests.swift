import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import PhenakiGraphs
import Testing
import TensorGraph

/// `PhenakiLossModel` against the phenaki fixtures: the builder's graph is the parity-tested loss.
@Suite struct PhenakiLossModelTests {
    /// The sizes of Tools/reference/make_phenaki_loss_fixtures.py's `loss_token_critic`.
    static let fixtureConfig = PhenakiConfig(
        cvivit: CViViTConfig(dim: 16, codebookSize: 32, imageSize: 8, patchSize: 4, temporalPatchSize: 2,
                             spatialDepth: 1, temporalDepth: 1, dimHead: 8, heads: 2, useVGGAndGAN: false),
        maskgit: MaskGitConfig(dim: 16, numTokens: 32, maxSeqLen: 24, depth: 2, dimContext: 24, heads: 2, dimHead: 8,
                               ffMult: 2),
        critic: CriticConfig(dim: 16, numTokens: 32, maxSeqLen: 24, depth: 2, hasCrossAttn: true, dimContext: 24,
                             dimHead: 8, heads: 2, ffMult: 2),
        phenaki: PhenakiSettings(textEncoder: .precomputed, textEmbedDim: 24, steps: 18, condDropProb: 0.5,
                                 maxTextLen: 5, criticLossWeight: 0.5, criticTrainSampleTemperature: 1))

    /// The fixture's feeds under the builder's input names; keep-mask draws of 0 keep every text
    /// (u < 1 − p), which is what phenaki-pytorch 0.5.0's training does.
    static func feeds(_ f: ReferenceFixture) -> [String: HostTensor] {
        var feeds = f.weights.merging(f.inputs) { a, _ in a }
        feeds["text"] = f.inputs["text_embeds"]
        for name in [PhenakiDraws.maskgitKeepNoiseName, PhenakiDraws.criticKeepNoiseName] {
            feeds[name] = HostTensor(shape: [2], dtype: .float32, scalars: [0, 0])
        }
        return feeds
    }

    @Test func builderMatchesReference() throws {
        let f = try ReferenceFixture("phenaki", "loss_token_critic")
        let graph = try PhenakiLossModel.graph(config: Self.fixtureConfig, critic: .token, batch: 2, frames: 5,
                                               draws: .inputs)
        for p in graph.parameters {
            #expect(f.weights[p.name]?.shape == p.node.type.shape, "\(p.name) is not a Phenaki state_dict entry")
        }
        let out = try ReferenceInterpreter(precision: .float64).run(graph, feeds: Self.feeds(f))
        for (ours, theirs) in [("loss", "loss"), ("maskgit_loss", "loss_only_generator"), ("critic_loss", "loss_only_critic")] {
            let error = relativeError(try #require(out[ours]), try #require(f.outputs[theirs]))
            #expect(error <= 1e-4, "\(ours): relative error \(error)")
        }
    }

    /// Draws made in the graph from the RNG key give the loss of the same draws fed as inputs.
    @Test(arguments: [PhenakiLossModel.CriticChoice.token, .selfCritic, PhenakiLossModel.CriticChoice.none])
    func keyDrawsEqualFedDraws(critic: PhenakiLossModel.CriticChoice) throws {
        let f = try ReferenceFixture("phenaki", "loss_token_critic")
        let config = Self.fixtureConfig
        let model = PhenakiLossModel.loss(config, critic: critic)
        let key = HostTensor(shape: [2], dtype: .int32, scalars: [3, 11])
        let t = Tracer()
        let d = PhenakiDraws.random(key: t.rngKey(PhenakiLossModel.rngKeyName), steps: config.phenaki.steps, batch: 2,
                                    tokens: 12, numTokens: 32, conditionalDropout: true, critic: critic != .none)
        var outputs = [(PhenakiDraws.stepName, d.step), (PhenakiDraws.maskNoiseName, d.maskNoise),
                       (PhenakiDraws.maskgitKeepNoiseName, d.maskgitKeepNoise!)]
        if critic != .none {
            outputs += [(PhenakiDraws.gumbelNoiseName, d.gumbelNoise!), (PhenakiDraws.criticKeepNoiseName, d.criticKeepNoise!)]
        }
        let draws = try ReferenceInterpreter().run(t.finish(outputs: outputs), feeds: [PhenakiLossModel.rngKeyName: key])
        let steps = try #require(draws[PhenakiDraws.stepName]).scalars
        #expect(steps.allSatisfy { $0 >= 0 && $0 < Double(config.phenaki.steps) && $0 == $0.rounded() })
        #expect(model.usesConditionalDropout)

        // The self critic's head comes from the self-critic fixture (same MaskGit sizes).
        let selfHead = try ReferenceFixture("phenaki", "loss_self_critic").weights.filter { $0.key.hasPrefix("critic.to_pred") }
        var feeds = f.weights.merging(selfHead) { a, _ in a }
        feeds["ids"] = f.inputs["ids"]
        feeds["text"] = f.inputs["text_embeds"]
        let keyed = try PhenakiLossModel.graph(config: config, critic: critic, batch: 2, frames: 5, draws: .rngKey)
        let fed = try PhenakiLossModel.graph(config: config, critic: critic, batch: 2, frames: 5, draws: .inputs)
        let a = try ReferenceInterpreter().run(keyed, feeds: feeds.merging([PhenakiLossModel.rngKeyName: key]) { a, _ in a })
        let b = try ReferenceInterpreter().run(fed, feeds: feeds.merging(draws) { _, drawn in drawn })
        let loss = try #require(a["loss"]).scalars[0]
        #expect(loss.isFinite)
        #expect(loss == b["loss"]?.scalars[0], "critic \(critic.rawValue): \(loss) vs \(b["loss"]?.scalars ?? [])")
    }

    @Test func errors() throws {
        #expect(throws: PhenakiModelError.self) {
            try PhenakiLossModel.graph(config: Self.fixtureConfig, critic: .token, batch: 2, frames: 4)
        }
        #expect(throws: PhenakiLossModelError.onlyCriticWithoutCritic) {
            try PhenakiLossModel.graph(config: Self.fixtureConfig, critic: .none, training: .onlyCritic)
        }
        #expect(throws: PhenakiModelError.invalidBatch(0)) {
            try PhenakiLossModel.graph(config: Self.fixtureConfig, critic: .none, batch: 0)
        }
    }
}
