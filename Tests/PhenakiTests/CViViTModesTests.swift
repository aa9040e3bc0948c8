import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// The quantizer a cvivit fixture of Tests/Fixtures/quantizers was made with, in `training` mode.
private func fixtureQuantizer(_ fixture: ReferenceFixture, training: Bool) -> CViViTQuantizer {
    let lfq = fixture.constructor["lookup_free_quantization"] as? Bool ?? true
    let (dim, size) = (fixture.int("dim"), fixture.int("codebook_size"))
    return lfq ? .lfq(LFQ(dim: dim, codebookSize: size, training: training))
        : .vectorQuantize(VectorQuantize(dim: dim, codebookSize: size, training: training))
}

/// The first `frames` frames of a video [b, c, f, H, W].
private func firstFrames(_ video: HostTensor, _ frames: Int) -> HostTensor {
    let (b, c, f) = (video.shape[0], video.shape[1], video.shape[2])
    let plane = video.shape[3] * video.shape[4]
    var scalars: [Double] = []
    for i in 0..<(b * c) {
        let start = (i * f) * plane
        scalars += video.scalars[start..<(start + frames * plane)]
    }
    return HostTensor(shape: [b, c, frames, video.shape[3], video.shape[4]], dtype: .float32, scalars: scalars)
}

/// C-ViViT's causal encoder, its token counting helpers, and loading whole phenaki-pytorch
/// state_dicts with each quantizer.
@Suite struct CViViTModesTests {
    /// Eval-mode ids [b, t, h, w] of the first `frames` frames of the fixture video (compiled plan).
    private func encodedIds(_ f: ReferenceFixture, frames: Int, weights: [String: HostTensor]) throws -> HostTensor {
        let video = firstFrames(try #require(f.inputs["video"]), frames)
        let t = Tracer()
        let out = f.cvivit.codebookIds(video: t.input("video", video.shape), quantizer: fixtureQuantizer(f, training: false))
        let graph = try t.finish(outputs: [("ids", out)])
        let result = try PlanExecutor(plan: compile(graph), threads: 2).run(feeds: weights.merging(["video": video]) { a, _ in a })
        return try #require(result["ids"])
    }

    /// The fraction of the ids of `short` [b, s, h, w] equal to the first s token frames of `long`.
    private func earlyAgreement(_ short: HostTensor, _ long: HostTensor) -> Double {
        let (b, s, perFrame) = (short.shape[0], short.shape[1], short.shape[2] * short.shape[3])
        var equal = 0
        for row in 0..<b {
            let a = short.scalars[(row * s * perFrame)..<((row + 1) * s * perFrame)]
            let start = row * long.shape[1] * perFrame
            equal += zip(a, long.scalars[start..<(start + s * perFrame)]).filter { $0 == $1 }.count
        }
        return Double(equal) / Double(short.count)
    }

    /// Causality: with the temporal PEG silenced (its depthwise conv zeroed), ids of the first
    /// frames do not depend on later ones (causal temporal attention, per-frame spatial attention,
    /// per-patch embeddings): encoding f and f + temporal_patch_size frames gives the same ids for
    /// the first 1 + (f − 1) / tp token frames, with LFQ and VectorQuantize.
    @Test(arguments: ["cvivit_lfq_mask", "cvivit_vq"]) func encoderIsCausalWithoutPEG(_ name: String) throws {
        let f = try ReferenceFixture("quantizers", name)
        var weights = f.weights
        for (key, value) in weights where key.hasPrefix("enc_temporal_transformer.") && key.contains(".dsconv.") {
            weights[key] = HostTensor(shape: value.shape, dtype: .float32, scalars: Array(repeating: 0, count: value.count))
        }
        let frames = f.inputs["video"]!.shape[2]
        let short = try encodedIds(f, frames: frames - f.cvivit.temporalPatchSize, weights: weights)
        let long = try encodedIds(f, frames: frames, weights: weights)
        #expect(long.shape[1] == short.shape[1] + 1)
        let agreement = earlyAgreement(short, long)
        #expect(agreement >= 0.999, "\(name): \(agreement) of the early ids agree")
        #expect(Set(long.scalars).count > 1, "constant ids would make the check empty")
    }

    /// With the PEG as trained, phenaki-pytorch 0.5.0's encoder is not causal: its temporal PEG
    /// reads the ((b h w), t, d) tokens as (b, t, h, w, d), so later frames change earlier ids. We
    /// reproduce that: the ids of the short clip match phenaki-pytorch's (`indices_short`), and
    /// their agreement with the long clip's early ids is the reference's own.
    @Test(arguments: ["cvivit_lfq_mask", "cvivit_vq"]) func encoderMatchesReferenceNonCausality(_ name: String) throws {
        let f = try ReferenceFixture("quantizers", name)
        let frames = f.inputs["video"]!.shape[2]
        let short = try encodedIds(f, frames: frames - f.cvivit.temporalPatchSize, weights: f.weights)
        let long = try encodedIds(f, frames: frames, weights: f.weights)
        let referenceShort = try #require(f.outputs["indices_short"])
        let referenceLong = try #require(f.outputs["indices"])
        #expect(short.shape == referenceShort.shape)
        let equal = zip(short.scalars, referenceShort.scalars).filter { $0 == $1 }.count
        #expect(Double(equal) / Double(short.count) >= 0.999, "\(name): short-clip ids differ from phenaki-pytorch")
        let referenceAgreement = earlyAgreement(referenceShort, referenceLong)
        #expect(referenceAgreement < 1, "the reference became causal: tighten encoderIsCausalWithoutPEG into the main check")
        #expect(abs(earlyAgreement(short, long) - referenceAgreement) <= 0.001 + 1e-12)
    }

    /// `image_num_tokens`, `get_video_patch_shape`, `num_tokens_per_frames`, `frames_per_num_tokens`
    /// on the fixture model (8 × 12 in 4 × 3 patches: 8 tokens a frame, temporal patch 2).
    @Test func tokenCounts() throws {
        let model = try ReferenceFixture("quantizers", "cvivit_vq").cvivit
        #expect(model.imageNumTokens == 8)
        #expect(try model.numTokensPerFrames(numFrames: 5) == 24)
        #expect(try model.numTokensPerFrames(numFrames: 4, includeFirstFrame: false) == 16)
        #expect(try model.videoPatchShape(numFrames: 6) == (3, 2, 4))
        #expect(try model.videoPatchShape(numFrames: 4, includeFirstFrame: false) == (2, 2, 4))
        #expect(try model.framesPerNumTokens(24) == 5)
        #expect(try model.framesPerNumTokens(8) == 1)
        // Round trips: frames → tokens → frames.
        for frames in stride(from: 1, through: 17, by: 2) {
            #expect(try model.framesPerNumTokens(model.numTokensPerFrames(numFrames: frames)) == frames)
        }
        #expect(throws: CViViTCountError.framesNotAligned(frames: 4, temporalPatchSize: 2, includeFirstFrame: true)) {
            try model.numTokensPerFrames(numFrames: 4)
        }
        #expect(throws: CViViTCountError.tooFewFrames(frames: 0, minimum: 1)) { try model.videoPatchShape(numFrames: 0) }
        #expect(throws: CViViTCountError.tokensNotWholeFrames(tokens: 12, tokensPerFrame: 8)) {
            try model.framesPerNumTokens(12)
        }
        #expect(throws: CViViTCountError.tokensNotWholeFrames(tokens: 0, tokensPerFrame: 8)) {
            try model.framesPerNumTokens(0)
        }
        #expect(CViViTCountError.framesNotAligned(frames: 4, temporalPatchSize: 2, includeFirstFrame: true)
            .description.contains("frames - 1 (3) must be a multiple of 2"))
    }

    /// The traced `cvivit` forward of a fixture model.
    private func forwardGraph(_ f: ReferenceFixture) throws -> Graph {
        let model = f.cvivit
        let t = Tracer()
        let (recon, _, _) = model.reconstruct(video: t.input("video", [1, 3, 3, 8, 12]),
                                              quantizer: fixtureQuantizer(f, training: true))
        return try t.finish(outputs: [("recon", recon)])
    }

    /// A whole phenaki-pytorch state_dict loads under `.phenaki`: VectorQuantize's EMA buffers
    /// `cluster_size` and `embed_avg` load into this training-mode graph (they are its buffers),
    /// its `initted` flag and LFQ's bit mask are accepted for the stated reason; `.strict`
    /// refuses those.
    @Test func stateDictsLoad() throws {
        let vqFixture = try ReferenceFixture("quantizers", "cvivit_vq")
        let vqFile = try SafeTensorsFile.read(path: fixturePath("cvivit_vq"))
        let vqGraph = try forwardGraph(vqFixture)
        let vqMatch = matchWeights(vqFile.tensors, for: vqGraph)
        #expect(vqMatch.mismatches.isEmpty, "\(vqMatch.mismatches)")
        let ema = vqMatch.tolerated.filter { $0.reason == .vectorQuantizeEMAState }
        #expect(ema == [ToleratedWeight(name: "vq._codebook.initted", shape: [1], reason: .vectorQuantizeEMAState)])
        #expect(vqMatch.parameters["vq._codebook.cluster_size"]?.shape == [1, 32])
        #expect(vqMatch.parameters["vq._codebook.embed_avg"]?.shape == [1, 32, 16])
        #expect(vqMatch.parameters["vq._codebook.embed"]?.shape == [1, 32, 16])
        let strict = matchWeights(vqFile.tensors, for: vqGraph, policy: .strict)
        #expect(strict.mismatches.contains(.unexpected(name: "vq._codebook.initted", shape: [1])))

        let lfqFixture = try ReferenceFixture("quantizers", "cvivit_lfq_mask")
        let lfqFile = try SafeTensorsFile.read(path: fixturePath("cvivit_lfq_mask"))
        let lfqMatch = matchWeights(lfqFile.tensors, for: try forwardGraph(lfqFixture))
        #expect(lfqMatch.mismatches.isEmpty, "\(lfqMatch.mismatches)")
        #expect(lfqMatch.tolerated.filter { $0.reason == .lfqBitMask }
            == [ToleratedWeight(name: "vq.mask", shape: [5], reason: .lfqBitMask)])
    }

    /// Buffers whose values the graph cannot honour are refused with a message saying why.
    @Test func badBuffersAreRefused() throws {
        let vqGraph = try forwardGraph(try ReferenceFixture("quantizers", "cvivit_vq"))
        var tensors = try SafeTensorsFile.read(path: fixturePath("cvivit_vq")).tensors
        tensors["vq._codebook.initted"] = HostTensor(shape: [1], dtype: .float32, scalars: [0])
        let refused = matchWeights(tensors, for: vqGraph).mismatches
        #expect(refused == [.uninitializedCodebook(name: "vq._codebook.initted")])
        #expect(refused[0].description.contains("before its (k-means) initialisation"))

        let lfqGraph = try forwardGraph(try ReferenceFixture("quantizers", "cvivit_lfq_mask"))
        var lfq = try SafeTensorsFile.read(path: fixturePath("cvivit_lfq_mask")).tensors
        lfq["vq.mask"] = HostTensor(shape: [5], dtype: .int32, scalars: [1, 2, 4, 8, 16])
        #expect(matchWeights(lfq, for: lfqGraph).mismatches
            == [.unexpectedBuffer(name: "vq.mask", values: [1, 2, 4, 8, 16], expected: [16, 8, 4, 2, 1])])
    }

    private func fixturePath(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/quantizers/\(name)/weights.safetensors").standardizedFileURL.path
    }
}
