import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// The quantizer a cvivit fixture of Tests/Fixtures/quantizers was made with.
private func quantizer(of fixture: ReferenceFixture) -> CViViTQuantizer {
    let lfq = fixture.constructor["lookup_free_quantization"] as? Bool ?? true
    let size = fixture.int("codebook_size")
    return lfq ? .lfq(LFQ(dim: fixture.int("dim"), codebookSize: size))
        : .vectorQuantize(VectorQuantize(dim: fixture.int("dim"), codebookSize: size))
}

/// `grad:spatial_rel_pos_bias.net.2.bias` is zero in exact arithmetic (see CViViTParityTests).
private let zeroGradients = ["grad:spatial_rel_pos_bias.net.2.bias": "grad:spatial_rel_pos_bias.net.2.weight"]

/// Parity with vector-quantize-pytorch 1.11.8's cosine `VectorQuantize` and `FSQ`, and with
/// phenaki-pytorch 0.5.0's CViViT using VectorQuantize, a `video_frame_mask` and image mode
/// (Tools/reference/make_quantizer_fixtures.py).
@Suite struct QuantizerParityTests {
    /// `VectorQuantize(16, 32, use_cosine_sim=True)`: training mode with and without a token mask
    /// (quantized, ids, commitment loss, gradient wrt x), and eval mode.
    @Test(arguments: ["vq", "vq_mask", "vq_eval"]) func vectorQuantize(_ name: String) throws {
        let f = try ReferenceFixture("quantizers", name)
        let vq = VectorQuantize(dim: f.int("dim"), codebookSize: f.int("codebook_size"),
                                training: f.config["mode"] as? String == "train")
        try checkQuantizerParity(f, gradOf: "quantized") { x in
            let (q, ids, loss) = vq(x["x"]!, mask: x["mask"])
            return ([("quantized", q), ("indices", ids), ("commit_loss", loss)], loss)
        }
    }

    /// The EMA codebook update of `VectorQuantize(16, 32, use_cosine_sim=True)` in training mode:
    /// two forwards, `vq(x1, mask=mask1)` then `vq(x2)`, each fed the buffers the previous one wrote
    /// (`update:_codebook.*`), against vector-quantize-pytorch's `embed`, `cluster_size` and
    /// `embed_avg` after each, on both backends. Started from PyTorch's fresh state
    /// (`embed_avg = embed`) and from this package's (`embed_avg = 0`): the same updates.
    @Test func vectorQuantizeEMAUpdate() throws {
        let f = try ReferenceFixture("quantizers", "vq_ema")
        let vq = VectorQuantize(dim: f.int("dim"), codebookSize: f.int("codebook_size"))
        func forward(masked: Bool) throws -> Graph {
            let t = Tracer()
            let (q, ids, loss) = vq(t.input("x", [2, 18, 16]), mask: masked ? t.input("mask", [2, 18], .bool) : nil)
            return try t.finish(outputs: [("quantized", q), ("indices", ids), ("commit_loss", loss)])
        }
        let steps = [(try forward(masked: true), ["x": f.inputs["x1"]!, "mask": f.inputs["mask1"]!]),
                     (try forward(masked: false), ["x": f.inputs["x2"]!])]
        let buffers = ["embed", "cluster_size", "embed_avg"]
        for graph in steps.map(\.0) {
            #expect(try bufferUpdates(of: graph).keys.sorted() == buffers.map { "_codebook." + $0 }.sorted())
        }
        var zeroAverage = f.weights
        zeroAverage["_codebook.embed_avg"] = .zeros([1, 32, 16], dtype: .float32)
        let plans = try steps.map { try compile($0.0) }
        var worst: [String: Double] = [:]
        for (start, state0) in [("pytorch init", f.weights), ("zero embed_avg", zeroAverage)] {
            for backend in ["reference interpreter", "compiled plan"] {
                var state = state0
                for (i, (graph, inputs)) in steps.enumerated() {
                    let feeds = state.merging(inputs) { a, _ in a }
                    let out = backend == "compiled plan"
                        ? try PlanExecutor(plan: plans[i], threads: 2).run(feeds: feeds)
                        : try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
                    let label = "\(start), \(backend), forward \(i + 1)"
                    let ids = try #require(out["indices"])
                    #expect(ids.scalars == f.outputs["indices_\(i + 1)"]!.scalars, "\(label): ids")
                    var checks = [("quantized", "quantized"), ("commit_loss", "commit_loss")]
                    checks += buffers.map { (Tracer.bufferUpdatePrefix + "_codebook." + $0, $0) }
                    for (output, reference) in checks {
                        let actual = try #require(out[output], "\(label): no \(output)")
                        let expected = f.outputs["\(reference)_\(i + 1)"]!
                        #expect(actual.shape == expected.shape, "\(label) \(output)")
                        let error = relativeError(actual, expected)
                        worst[reference] = max(worst[reference] ?? 0, error)
                        #expect(error <= 1e-4, "\(label) \(output): relative error \(error)")
                    }
                    for name in buffers { state["_codebook." + name] = out[Tracer.bufferUpdatePrefix + "_codebook." + name] }
                }
            }
        }
        print("vq_ema parity: \(worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }

    /// `FSQ([8, 5, 5, 5], dim 16)` (projections) and `FSQ([8, 6, 5])` (none): quantized values,
    /// ids, `indices_to_codes` of the reference ids, gradients wrt x and the projections.
    @Test(arguments: ["fsq", "fsq_noproj"]) func fsq(_ name: String) throws {
        let f = try ReferenceFixture("quantizers", name)
        let levels = try #require(f.constructor["levels"] as? [Int])
        let fsq = FSQ(levels: levels, dim: f.int("dim"))
        let ids = try #require(f.outputs["indices"])
        try checkQuantizerParity(f, gradOf: "quantized", extraInputs: ["ids": ids]) { x in
            let (q, indices) = fsq(x["x"]!)
            let codes = fsq.indicesToCodes(x["ids"]!, projectOut: false)
            return ([("quantized", q), ("indices", indices), ("codes", codes)], nil)
        }
    }

    /// The whole tiny CViViT with VectorQuantize on a rectangular 8 × 12 image in 4 × 3 patches:
    /// recon, losses, ids, decode_from_codebook_indices, gradients wrt every parameter and the video.
    @Test func cvivitWithVectorQuantize() throws {
        let f = try ReferenceFixture("quantizers", "cvivit_vq")
        let model = f.cvivit
        let vq = quantizer(of: f)
        let ids = try #require(f.outputs["indices"])
        let flatIds = HostTensor(shape: [ids.shape[0], ids.count / ids.shape[0]], dtype: .int32, scalars: ids.scalars)
        try checkQuantizerParity(f, gradOf: "recon", extraInputs: ["ids": flatIds], minIdsEqual: 0.999,
                                 zeroGradients: zeroGradients) { x in
            let (recon, reconLoss, auxLoss) = model.reconstruct(video: x["video"]!, quantizer: vq)
            let codebookIds = model.codebookIds(video: x["video"]!, quantizer: vq)
            let decoded = model.decodeFromCodebookIndices(x["ids"]!, quantizer: vq)
            return ([("recon", recon), ("recon_loss", reconLoss), ("aux_loss", auxLoss), ("indices", codebookIds),
                     ("decoded", decoded)], reconLoss + auxLoss)
        }
    }

    /// `forward(video, mask=video_frame_mask)` with VectorQuantize (token mask) and LFQ (which
    /// ignores it): the recon loss is the mean over kept frames.
    @Test(arguments: ["cvivit_vq_mask", "cvivit_lfq_mask"]) func cvivitFrameMask(_ name: String) throws {
        let f = try ReferenceFixture("quantizers", name)
        let model = f.cvivit
        let vq = quantizer(of: f)
        try checkQuantizerParity(f, gradOf: "recon", minIdsEqual: 0.999) { x in
            let (recon, reconLoss, auxLoss) = model.reconstruct(video: x["video"]!, quantizer: vq,
                                                                frameMask: x["video_frame_mask"]!)
            let codebookIds = model.codebookIds(video: x["video"]!, quantizer: vq)
            return ([("recon", recon), ("recon_loss", reconLoss), ("aux_loss", auxLoss), ("indices", codebookIds)],
                    reconLoss + auxLoss)
        }
    }

    /// Image mode: [b, c, H, W] in, recon [b, c, H, W] out, ids [b, 1, h, w].
    @Test func cvivitImage() throws {
        let f = try ReferenceFixture("quantizers", "cvivit_image")
        let model = f.cvivit
        let vq = quantizer(of: f)
        try checkQuantizerParity(f, gradOf: "recon", minIdsEqual: 0.999) { x in
            let (recon, reconLoss, auxLoss) = model.reconstruct(video: x["image"]!, quantizer: vq)
            let codebookIds = model.codebookIds(video: x["image"]!, quantizer: vq)
            return ([("recon", recon), ("recon_loss", reconLoss), ("aux_loss", auxLoss), ("indices", codebookIds)],
                    reconLoss + auxLoss)
        }
    }

    /// The token mask of `calculate_video_token_mask`, against the reference formula written out:
    /// token frame 0 follows frame 0, token frame k ≥ 1 is kept when any of frames
    /// 1 + 2(k−1), 2 + 2(k−1) is.
    @Test func videoTokenMask() throws {
        let f = try ReferenceFixture("quantizers", "cvivit_vq_mask")
        let model = f.cvivit
        let frameMask = try #require(f.inputs["video_frame_mask"])
        let t = Tracer()
        let mask = model.videoTokenMask(t.input("m", frameMask.shape, .bool))
        let graph = try t.finish(outputs: [("mask", mask)])
        let out = try #require(try ReferenceInterpreter(precision: .float64).run(graph, feeds: ["m": frameMask])["mask"])
        let (b, frames) = (frameMask.shape[0], frameMask.shape[1])
        let perFrame = model.imageNumTokens
        let tp = model.temporalPatchSize
        var expected: [Double] = []
        for row in 0..<b {
            let kept = { (i: Int) in frameMask.scalars[row * frames + i] != 0 }
            var tokenFrames = [kept(0)]
            for k in 0..<((frames - 1) / tp) { tokenFrames.append((0..<tp).contains { kept(1 + k * tp + $0) }) }
            for keep in tokenFrames { expected += Array(repeating: keep ? 1 : 0, count: perFrame) }
        }
        #expect(out.shape == [b, expected.count / b])
        #expect(out.scalars == expected)
        #expect(expected.contains(0), "the fixture's mask drops some tokens")
    }
}
