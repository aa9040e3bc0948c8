import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

extension ReferenceFixture {
    /// A sub-dictionary of a phenaki fixture's `constructor_kwargs` (`phenaki`, `maskgit`, `critic`).
    func section(_ key: String) -> [String: Any]? { constructor[key] as? [String: Any] }

    /// The `PhenakiLoss` a phenaki fixture was made with. `condDropProb` is 0 as in
    /// phenaki-pytorch 0.5.0's `Phenaki.forward`, which never drops text.
    var phenakiLoss: PhenakiLoss {
        let m = section("maskgit") ?? [:], p = section("phenaki") ?? [:]
        func int(_ d: [String: Any], _ k: String, _ fallback: Int) -> Int { d[k] as? Int ?? fallback }
        func double(_ d: [String: Any], _ k: String, _ fallback: Double) -> Double {
            (d[k] as? NSNumber)?.doubleValue ?? fallback
        }
        let maskgit = MaskGit(dim: int(m, "dim", 0), numTokens: int(m, "num_tokens", 0),
                              maxSeqLen: int(m, "max_seq_len", 0), depth: int(m, "depth", 1),
                              gradientShrinkAlpha: double(m, "gradient_shrink_alpha", 0.1), heads: int(m, "heads", 8),
                              dimHead: int(m, "dim_head", 64), unconditional: m["unconditional"] as? Bool ?? false,
                              dimContext: m["dim_context"] as? Int, ffMult: double(m, "ff_mult", 4))
        var critic: PhenakiLoss.Critic?
        switch config["critic"] as? String {
        case "token":
            let c = section("critic") ?? [:]
            critic = .token(TokenCritic(dim: int(c, "dim", 0), numTokens: int(c, "num_tokens", 0),
                                        maxSeqLen: int(c, "max_seq_len", 0), depth: int(c, "depth", 1),
                                        hasCrossAttn: c["has_cross_attn"] as? Bool ?? false,
                                        dimContext: c["dim_context"] as? Int, heads: int(c, "heads", 8),
                                        dimHead: int(c, "dim_head", 64), ffMult: double(c, "ff_mult", 4)))
        case "self": critic = .selfCritic
        default: critic = nil
        }
        return PhenakiLoss(maskgit: maskgit, critic: critic, steps: int(p, "steps", 18), condDropProb: 0,
                           criticLossWeight: double(p, "critic_loss_weight", 1),
                           criticTrainSampleTemperature: double(p, "critic_train_sample_temperature", 1))
    }
}

/// Traces the loss of a phenaki fixture with its recorded draws fed as inputs, differentiates
/// `lossName` with respect to the parameters whose `gradientPrefix<key>` the fixture holds (nil:
/// none), and
/// runs it on the reference interpreter (float64) and a compiled plan.
private func runLoss(_ f: ReferenceFixture, training: PhenakiLoss.Training, lossName: String,
                     gradientPrefix: String?) throws -> (gradients: [String], results: [(String, [String: HostTensor])]) {
    let model = f.phenakiLoss
    let shape = f.ints("video_patch_shape")
    let ids = try #require(f.inputs["ids"])
    let (b, n) = (ids.shape[0], ids.shape[1])
    let tracer = Tracer()
    let idsTensor = tracer.input("ids", [b, n], .int32)
    let text = f.inputs["text_embeds"].map { tracer.input("text_embeds", $0.shape) }
    let videoMask = f.inputs["video_mask"].map { tracer.input("video_mask", $0.shape, .bool) }
    let draws = PhenakiDraws.inputs(tracer, batch: b, tokens: n, numTokens: model.maskgit.numTokens,
                                    conditionalDropout: false, critic: model.critic != nil)
    let out = model(ids: idsTensor, videoPatchShape: shape, text: text, videoMask: videoMask, draws: draws,
                    training: training)
    var outputs: [(String, Tensor)] = [(lossName, out.loss), ("token_mask", out.tokenMask),
                                       ("masked_ids", out.maskedIds)]
    if let predicted = out.predictedIds { outputs.append(("pred_ids", predicted)) }
    let forward = try tracer.finish(outputs: outputs)
    let graded = gradientPrefix.map { prefix in forward.parameters.filter { f.outputs[prefix + $0.name] != nil } } ?? []
    #expect(gradientPrefix == nil || !graded.isEmpty, "\(f.name): no parameter of the fixture's gradients in the graph")
    var (graph, grads) = try gradients(of: forward.output(lossName)!, withRespectTo: graded.map(\.node.id), in: forward)
    let names = graded.map { (gradientPrefix ?? "") + $0.name }
    for (name, g) in zip(names, grads) { graph.outputs.append(GraphOutput(name: name, node: g)) }
    // Every parameter is a Phenaki state_dict entry of the same shape.
    for p in forward.parameters {
        let reference = try #require(f.weights[p.name], "\(f.name): no weight \(p.name) in the fixture")
        #expect(reference.shape == p.node.type.shape, "\(f.name): \(p.name)")
    }
    let feeds = f.weights.merging(f.inputs) { a, _ in a }
    let oracle = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
    let compiled = try PlanExecutor(plan: compile(graph), threads: 2).run(feeds: feeds)
    return (names, [("reference interpreter", oracle), ("compiled plan", compiled)])
}

/// Compares a run with the fixture: the loss ≤ 1e-4 relative, the token mask and masked ids
/// exactly, the sampled ids ≥ 99.9 % equal, gradients ≤ 1e-3 relative to the largest gradient's
/// scale (floored at 1e-3 of it, as in the MaskGit checks). Returns the worst errors.
@discardableResult
private func compareLoss(_ f: ReferenceFixture, lossName: String, gradients: [String],
                         results: [(String, [String: HostTensor])]) throws -> [String: Double] {
    let gradientScale = gradients.compactMap { f.outputs[$0]?.scalars.map(abs).max() }.max() ?? 0
    var worst: [String: Double] = [:]
    for (label, result) in results {
        let expected = try #require(f.outputs[lossName])
        let loss = relativeError(try #require(result[lossName]), expected)
        #expect(loss <= 1e-4, "\(f.name) \(label) \(lossName): relative error \(loss)")
        worst["\(label) \(lossName)"] = loss
        for name in ["token_mask", "masked_ids"] {
            #expect(result[name]?.scalars == f.outputs[name]?.scalars, "\(f.name) \(label) \(name) differs")
        }
        if let expectedIds = f.outputs["pred_ids"], let ids = result["pred_ids"] {
            let equal = zip(ids.scalars, expectedIds.scalars).filter { $0 == $1 }.count
            let fraction = Double(equal) / Double(max(expectedIds.scalars.count, 1))
            #expect(fraction >= 0.999, "\(f.name) \(label) pred_ids: \(fraction) equal")
        }
        for name in gradients {
            let actual = try #require(result[name]), reference = try #require(f.outputs[name])
            let error = relativeError(actual, reference, floor: max(1e-3 * gradientScale, 1e-6))
            #expect(error <= 1e-3, "\(f.name) \(label) \(name): relative error \(error)")
            worst["\(label) grad"] = max(worst["\(label) grad"] ?? 0, error)
        }
    }
    return worst
}

@Suite struct PhenakiLossParityTests {
    /// The default step (`loss`, MaskGit plus weighted critic) and its gradients.
    @Test(arguments: ["loss_token_critic", "loss_self_critic", "loss_unconditional"])
    func loss(name: String) throws {
        let f = try ReferenceFixture("phenaki", name)
        let run = try runLoss(f, training: .both, lossName: "loss", gradientPrefix: "grad:")
        #expect(run.gradients.count == f.outputs.keys.filter { $0.hasPrefix("grad:") }.count,
                "\(name): a stored gradient has no Swift parameter")
        let worst = try compareLoss(f, lossName: "loss", gradients: run.gradients, results: run.results)
        print("\(name): \(worst.sorted { $0.key < $1.key })")
    }

    /// `only_train_generator`: the MaskGit loss alone.
    @Test(arguments: ["loss_token_critic", "loss_self_critic", "loss_unconditional"])
    func onlyGenerator(name: String) throws {
        let f = try ReferenceFixture("phenaki", name)
        let run = try runLoss(f, training: .onlyGenerator, lossName: "loss_only_generator", gradientPrefix: nil)
        try compareLoss(f, lossName: "loss_only_generator", gradients: [], results: run.results)
    }

    /// `only_train_critic`: the unweighted critic loss; with the self critic, its gradients reach
    /// the shared MaskGit through the critic's pass but not through MaskGit's logits.
    @Test(arguments: ["loss_token_critic", "loss_self_critic"])
    func onlyCritic(name: String) throws {
        let f = try ReferenceFixture("phenaki", name)
        // Gradients are stored for the self critic only (a token critic's are its own `grad:`s).
        let prefix = f.outputs.keys.contains { $0.hasPrefix("grad_only_critic:") } ? "grad_only_critic:" : nil
        let run = try runLoss(f, training: .onlyCritic, lossName: "loss_only_critic", gradientPrefix: prefix)
        try compareLoss(f, lossName: "loss_only_critic", gradients: run.gradients, results: run.results)
    }
}
