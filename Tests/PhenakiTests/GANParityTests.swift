import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import PhenakiGraphs
import Testing
import TensorGraph

extension ReferenceFixture {
    /// The discriminator of a `gan/discriminator` fixture.
    var discriminator: Discriminator {
        let attn = constructor["attn_res_layers"] as? [Int] ?? []
        return Discriminator(dim: int("dim"), imageSize: pair("image_size"), channels: int("channels", 3),
                             attnResLayers: attn)
    }

    /// The narrow VGG-16 a `gan` fixture was made with (`vgg` section or constructor).
    func narrowVGG(_ spec: [String: Any]) -> VGG16 {
        VGG16(widths: spec["widths"] as? [Int] ?? [], classifierWidth: spec["classifier_width"] as? Int ?? 0)
    }
}

/// Runs `graph` on the float64 reference interpreter and the compiled float32 plan.
private func runBoth(_ graph: Graph, feeds: [String: HostTensor]) throws -> [(String, [String: HostTensor])] {
    [("reference interpreter", try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)),
     ("compiled plan", try PlanExecutor(plan: compile(graph), threads: 2).run(feeds: feeds))]
}

/// Compares `pairs` (Swift output name → fixture output name) on both backends: values ≤ 1e-4
/// relative (to max |expected|), `grad:` ≤ 1e-3 (or `tolerance[name]`). Returns the worst errors.
@discardableResult
private func compare(_ fixture: ReferenceFixture, _ results: [(String, [String: HostTensor])],
                     _ pairs: [(String, String)], tolerance: [String: Double] = [:]) throws -> [String: Double] {
    var worst: [String: Double] = [:]
    for (label, result) in results {
        for (ours, theirs) in pairs {
            let expected = try #require(fixture.outputs[theirs], "\(fixture.name): no \(theirs) in the fixture")
            let actual = try #require(result[ours], "\(fixture.name): no output \(ours)")
            #expect(actual.count == expected.count, "\(fixture.name) \(ours): \(actual.shape) vs \(expected.shape)")
            let relative = relativeError(actual, expected)
            let limit = tolerance[ours] ?? (ours.hasPrefix("grad:") ? 1e-3 : 1e-4)
            let key = ours.hasPrefix("grad:") ? "\(label) grad:*" : "\(label) \(ours)"
            worst[key] = max(worst[key] ?? 0, relative)
            #expect(relative <= limit, "\(fixture.name) \(label) \(ours): relative error \(relative)")
        }
    }
    print("GAN \(fixture.name) parity: \(worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    return worst
}

/// Checks that every parameter of `graph` is a fixture weight of the same shape.
private func expectParametersInFixture(_ graph: Graph, _ fixture: ReferenceFixture) throws {
    for p in graph.parameters {
        let reference = try #require(fixture.weights[p.name], "\(fixture.name): no weight \(p.name) in the fixture")
        #expect(reference.shape == p.node.type.shape, "\(fixture.name): \(p.name)")
    }
}

@Suite struct GANParityTests {
    /// `Discriminator(dim=1, image_size=(16, 24), attn_res_layers=(16,))`: hinge loss + gradient
    /// penalty (`CViViT.forward(return_discr_loss=True)` on picked frames), and the gradients of
    /// that loss wrt every `discr.*` parameter, second order through the penalty.
    @Test func discriminatorLossAndGradients() throws {
        let f = try ReferenceFixture("gan", "discriminator")
        let forward = try CViViTGAN.discriminatorLossGraph(discriminator: f.discriminator, batch: 2, loss: .hinge)
        try expectParametersInFixture(forward, f)
        var (graph, grads) = try gradients(of: forward.output("loss")!, withRespectTo: forward.parameters.map(\.node.id),
                                           in: forward)
        var pairs = [("loss", "loss"), ("discr_loss", "hinge_discr_loss"), ("gradient_penalty", "gradient_penalty")]
        for (p, g) in zip(forward.parameters, grads) {
            graph.outputs.append(GraphOutput(name: "grad:" + p.name, node: g))
            pairs.append(("grad:" + p.name, "grad:" + p.name))
        }
        // Every parameter phenaki-pytorch trains here (a non-zero gradient) is one of ours.
        let ours = Set(forward.parameters.map(\.name))
        for (key, grad) in f.outputs where key.hasPrefix("grad:") && grad.scalars.contains(where: { $0 != 0 }) {
            #expect(ours.contains(String(key.dropFirst(5))), "\(key) is not a Swift parameter")
        }
        try compare(f, try runBoth(graph, feeds: f.weights.merging(f.inputs) { a, _ in a }), pairs)
    }

    /// The logits and the four loss functions (BCE with phenaki_pytorch.py's `log`).
    @Test func logitsAndLossFunctions() throws {
        let f = try ReferenceFixture("gan", "discriminator")
        let d = f.discriminator
        let graph = try Tracer.trace { t in
            let real = t.input("real", f.inputs["real"]!.shape)
            let fake = t.input("fake", f.inputs["fake"]!.shape)
            let r = t.scope("discr") { d(real) }
            let k = t.scope("discr") { d(fake) }
            return ["real_logits": r, "fake_logits": k,
                    "hinge_discr_loss": GANLoss.hinge.discriminatorLoss(fake: k, real: r),
                    "bce_discr_loss": GANLoss.bce.discriminatorLoss(fake: k, real: r),
                    "hinge_gen_loss": GANLoss.hinge.generatorLoss(fake: k),
                    "bce_gen_loss": GANLoss.bce.generatorLoss(fake: k)]
        }
        let names = ["real_logits", "fake_logits", "hinge_discr_loss", "bce_discr_loss", "hinge_gen_loss", "bce_gen_loss"]
        try compare(f, try runBoth(graph, feeds: f.weights.merging(f.inputs) { a, _ in a }), names.map { ($0, $0) })
        // The BCE discriminator graph without a penalty is the same loss.
        let bce = try CViViTGAN.discriminatorLossGraph(discriminator: d, batch: 2, loss: .bce, gradientPenaltyWeight: nil)
        try compare(f, try runBoth(bce, feeds: f.weights.merging(f.inputs) { a, _ in a }), [("loss", "bce_discr_loss")])
    }

    /// A narrow VGG-16 (widths 2, 2, 4, 4, 4; classifier 8) in torchvision's layout on x
    /// [1, 3, 40, 72]: odd sizes at the 3rd and 4th pools, adaptive pooling from 1×2 to 7×7.
    @Test func narrowVGG() throws {
        let f = try ReferenceFixture("gan", "vgg")
        let vgg = f.narrowVGG(f.constructor)
        var names: [String] = []
        let run = try runParity(f) { _, x in
            let y = vgg(x["x"]!)
            names = ["y"]
            return ([("y", y)], y, nil)
        }
        let pairs = (names + run.gradientNames).map { ($0, $0) }
        #expect(run.gradientNames.count == 31)  // 13 convs + 2 linears, weight and bias, + x
        try compare(f, run.results.map { ($0.label, $0.values) }, pairs)
    }

    /// `CViViT.forward(video)` on the VGG/GAN path with recorded frame picks: recon, aux,
    /// perceptual and generator losses, the adaptive weight (gradient norms at
    /// `to_pixels.0.weight`) and the total.
    @Test func generatorLoss() throws {
        let f = try ReferenceFixture("gan", "generator")
        let (h, w) = f.pair("image_size")
        let cvivit = CViViT(dim: f.int("dim"), imageSize: (h, w), patchSize: f.pair("patch_size"),
                            temporalPatchSize: f.int("temporal_patch_size"), spatialDepth: f.int("spatial_depth"),
                            temporalDepth: f.int("temporal_depth"), dimHead: f.int("dim_head"), heads: f.int("heads"))
        let discriminator = Discriminator(dim: f.int("discr_base_dim"), imageSize: (h, w),
                                          attnResLayers: f.constructor["discr_attn_res_layers"] as? [Int] ?? [])
        let vgg = f.narrowVGG(f.config["vgg"] as? [String: Any] ?? [:])
        let video = f.inputs["video"]!
        let graph = try CViViTGAN.generatorLossGraph(
            cvivit: cvivit, quantizer: .lfq(cvivit.quantizer(codebookSize: f.int("codebook_size"))),
            discriminator: discriminator, vgg: vgg, batch: video.shape[0], frames: video.shape[2], loss: .hinge,
            frameSelection: .input)
        try expectParametersInFixture(graph, f)
        let names = ["recon_loss", "aux_loss", "perceptual_loss", "gen_loss", "adaptive_weight", "loss"]
        // The adaptive weight is a ratio of gradient norms: the gradient tolerance applies.
        try compare(f, try runBoth(graph, feeds: f.weights.merging(f.inputs) { a, _ in a }), names.map { ($0, $0) },
                    tolerance: ["adaptive_weight": 1e-3])
    }
}
