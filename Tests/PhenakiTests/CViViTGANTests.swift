import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import PhenakiGraphs
import Testing
import TensorGraph

/// The generator fixture's CViViT, discriminator and VGG.
private struct GeneratorSetup {
    let fixture: ReferenceFixture
    let cvivit: CViViT
    let discriminator: Discriminator
    let vgg: VGG16
    var video: HostTensor { fixture.inputs["video"]! }

    init() throws {
        let f = try ReferenceFixture("gan", "generator")
        fixture = f
        let (h, w) = f.pair("image_size")
        cvivit = CViViT(dim: f.int("dim"), imageSize: (h, w), patchSize: f.pair("patch_size"),
                        temporalPatchSize: f.int("temporal_patch_size"), spatialDepth: f.int("spatial_depth"),
                        temporalDepth: f.int("temporal_depth"), dimHead: f.int("dim_head"), heads: f.int("heads"))
        discriminator = Discriminator(dim: f.int("discr_base_dim"), imageSize: (h, w),
                                      attnResLayers: f.constructor["discr_attn_res_layers"] as? [Int] ?? [])
        let spec = f.config["vgg"] as? [String: Any] ?? [:]
        vgg = VGG16(widths: spec["widths"] as? [Int] ?? [], classifierWidth: spec["classifier_width"] as? Int ?? 0)
    }

    func graph(vgg: VGG16?, frames: Int? = nil, selection: FrameSelection) throws -> Graph {
        try CViViTGAN.generatorLossGraph(
            cvivit: cvivit, quantizer: .lfq(cvivit.quantizer(codebookSize: fixture.int("codebook_size"))),
            discriminator: discriminator, vgg: vgg, batch: video.shape[0], frames: frames ?? video.shape[2],
            frameSelection: selection)
    }

    func feeds(_ extra: [String: HostTensor] = [:]) -> [String: HostTensor] {
        fixture.weights.merging(fixture.inputs) { a, _ in a }.merging(extra) { _, b in b }
    }
}

private func scalar(_ values: [String: HostTensor], _ name: String) -> Double { values[name]!.scalars[0] }

@Suite struct CViViTGANTests {
    /// Without VGG weights the perceptual term is absent and the adaptive weight's numerator is
    /// ‖∂recon_loss/∂to_pixels.0.weight‖₂, which the fixture records from PyTorch.
    @Test func generatorWithoutVGG() throws {
        let s = try GeneratorSetup()
        let graph = try s.graph(vgg: nil, selection: .input)
        #expect(graph.output("perceptual_loss") == nil)
        #expect(!graph.parameters.contains { $0.name.hasPrefix("vgg.") })
        let out = try ReferenceInterpreter(precision: .float64).run(graph, feeds: s.feeds())
        let expected = s.fixture.outputs.mapValues { $0.scalars[0] }
        let weight = min(expected["norm_grad_wrt_recon_loss"]! / (expected["norm_grad_wrt_gen_loss"]! + 1e-8), 1e4)
        let total = expected["recon_loss"]! + expected["aux_loss"]! + weight * expected["gen_loss"]!
        #expect(abs(scalar(out, "adaptive_weight") - weight) <= 1e-3 * weight, "\(scalar(out, "adaptive_weight")) vs \(weight)")
        #expect(abs(scalar(out, "loss") - total) <= 1e-4 * abs(total), "\(scalar(out, "loss")) vs \(total)")
    }

    /// The RNG-driven frame pick reports its frames; feeding those frames to the `.input` graph
    /// gives the same loss, and different keys pick different frames.
    @Test func randomFrameSelection() throws {
        let s = try GeneratorSetup()
        let random = try s.graph(vgg: s.vgg, selection: .random)
        let fixed = try s.graph(vgg: s.vgg, selection: .input)
        let randomPlan = try PlanExecutor(plan: try compile(random), threads: 2)
        let fixedPlan = try PlanExecutor(plan: try compile(fixed), threads: 2)
        var picked: Set<Double> = []
        for key in 0..<6 {
            let out = try randomPlan.run(feeds: s.feeds(["frame_key": HostTensor(shape: [2], dtype: .int32,
                                                                                 scalars: [Double(key), 11])]))
            let frames = out["frame_indices"]!
            #expect(frames.shape == [s.video.shape[0]] && frames.scalars.allSatisfy { (0..<3).contains(Int($0)) })
            picked.formUnion(frames.scalars)
            let replay = try fixedPlan.run(feeds: s.feeds(["frame_indices": frames]))
            #expect(abs(scalar(out, "loss") - scalar(replay, "loss")) <= 1e-6 * abs(scalar(replay, "loss")))
        }
        #expect(picked.count >= 2, "six keys always picked \(picked)")
    }

    /// The discriminator loss (with its gradient penalty) goes through `trainingGraph`: the first
    /// step's loss and global gradient norm are PyTorch's (second order through the penalty), and
    /// AdamW steps on a fixed batch lower the loss.
    @Test func discriminatorTrainingStep() throws {
        let f = try ReferenceFixture("gan", "discriminator")
        let forward = try CViViTGAN.discriminatorLossGraph(discriminator: f.discriminator, batch: 2)
        let plan = try compile(trainingGraph(forward, loss: "loss", options: TrainingOptions()))
        let session = try TrainingSession(plan: plan, threads: 2)
        for p in forward.parameters { try session.executor.setFeed(p.name, f.weights[p.name]!) }
        try session.setScalar(TrainingState.learningRate, 1e-3)
        let batch = ["real": f.inputs["real"]!, "fake": f.inputs["fake"]!]
        try session.step(batch)
        let expectedLoss = f.outputs["loss"]!.scalars[0]
        let expectedNorm = f.outputs.filter { $0.key.hasPrefix("grad:") }.values
            .map { $0.scalars.map { $0 * $0 }.reduce(0, +) }.reduce(0, +).squareRoot()
        let firstLoss = try #require(session.scalar("loss"))
        let norm = try #require(session.scalar(TrainingState.gradNorm))
        #expect(abs(firstLoss - expectedLoss) <= 1e-4 * abs(expectedLoss), "\(firstLoss) vs \(expectedLoss)")
        #expect(abs(norm - expectedNorm) <= 1e-3 * expectedNorm, "\(norm) vs \(expectedNorm)")
        for _ in 0..<5 { try session.step(batch) }
        let lastLoss = try #require(session.scalar("loss"))
        #expect(lastLoss < firstLoss, "loss \(firstLoss) → \(lastLoss)")
    }

    /// The config-driven builders follow the `cvivit` section and compile; the VGG needs 32×32
    /// frames, which `tiny` (16×16) lacks; `use_vgg_and_gan: false` (tiny's own setting) has no
    /// discriminator.
    @Test func graphsFromConfig() throws {
        var config = PhenakiConfig.tiny
        config.cvivit.useVGGAndGAN = true
        let discr = try CViViTGAN.discriminatorGraph(config, batch: 2)
        #expect(discr.parameters.allSatisfy { $0.name.hasPrefix("discr.") })
        #expect(discr.inputs.map(\.name).sorted() == ["fake", "real"])
        _ = try compile(trainingGraph(discr, loss: "loss", options: TrainingOptions()))
        let generator = try CViViTGAN.generatorGraph(config, batch: 1, frames: 3, vgg: nil)
        #expect(Set(generator.outputs.map(\.name)) == ["recon", "recon_loss", "aux_loss", "frame_indices", "gen_loss",
                                                       "adaptive_weight", "loss"])
        _ = try compile(generator)
        #expect(throws: CViViTGANError.vggImageSize(height: 16, width: 16)) {
            try CViViTGAN.generatorGraph(config, batch: 1, frames: 3, vgg: VGG16())
        }
        #expect(throws: CViViTGANError.ganDisabled) { try CViViTGAN.discriminatorGraph(.tiny, batch: 1) }
    }

    /// Configurations a user can get wrong are typed errors that say what to change.
    @Test func errors() throws {
        let s = try GeneratorSetup()
        #expect(throws: CViViTGANError.singleFrame) { try s.graph(vgg: s.vgg, frames: 1, selection: .input) }
        let odd = Discriminator(dim: 1, imageSize: (16, 18))
        #expect(odd.sizeProblem != nil)
        #expect(throws: CViViTGANError.discriminatorSize(reason: odd.sizeProblem!)) {
            try CViViTGAN.discriminatorLossGraph(discriminator: odd, batch: 1)
        }
        #expect(Discriminator(dim: 1, imageSize: (4, 8)).sizeProblem != nil)
        #expect(Discriminator(dim: 1, imageSize: (16, 20)).sizeProblem == nil)
        let small = CViViT(dim: 16, imageSize: (16, 16), patchSize: (8, 8), temporalPatchSize: 2, spatialDepth: 1,
                           temporalDepth: 1, dimHead: 8, heads: 2)
        #expect(throws: CViViTGANError.vggImageSize(height: 16, width: 16)) {
            try CViViTGAN.generatorLossGraph(cvivit: small, quantizer: .lfq(small.quantizer(codebookSize: 64)),
                                             discriminator: Discriminator(dim: 1, imageSize: (16, 16)), vgg: VGG16(),
                                             batch: 1, frames: 3)
        }
    }

    /// torchvision-named safetensors load with their widths, under `vgg.`; `classifier.6` is
    /// ignored; a missing tensor is an error naming it; no file logs that the loss is off.
    @Test func vggWeightsLoading() throws {
        let f = try ReferenceFixture("gan", "vgg")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gan-vgg-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var tensors = f.weights
        tensors["classifier.6.weight"] = HostTensor(shape: [3, 8], repeating: 1)
        let path = dir.appendingPathComponent("vgg.safetensors").path
        try SafeTensorsFile(tensors: tensors).write(path: path)
        let (vgg, weights) = try #require(try PerceptualVGG.load(path: path, log: { _ in }))
        #expect(vgg.widths == [2, 2, 4, 4, 4] && vgg.classifierWidth == 8)
        #expect(weights.count == 30 && weights["vgg.features.28.bias"] == f.weights["features.28.bias"])

        tensors["features.19.weight"] = nil
        try SafeTensorsFile(tensors: tensors).write(path: path)
        #expect(throws: CViViTGANError.vggWeights(path: path, reason: "no tensor features.19.weight")) {
            try PerceptualVGG.load(path: path, log: { _ in })
        }
        var logged: [String] = []
        #expect(try PerceptualVGG.load(path: nil, log: { logged.append($0) }) == nil)
        #expect(logged == [PerceptualVGG.offMessage])
    }
}
