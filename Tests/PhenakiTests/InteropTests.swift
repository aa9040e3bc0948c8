import Foundation
import GraphRuntime
import Phenaki
import Testing
import TensorGraph

/// The files of Tests/Fixtures/interop (Tools/reference/make_interop_fixtures.py): a config no
/// other test uses, weights exported from phenaki-pytorch 0.5.0 (C-ViViT as F16), inputs as .npy
/// and phenaki-pytorch's answers in eval mode.
enum InteropFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/interop").standardizedFileURL.path

    static func path(_ name: String) -> String { directory + "/" + name }

    static func npy(_ name: String) throws -> HostTensor { try NumPyArray.read(path: path(name)) }

    static func expected(_ name: String) throws -> HostTensor { try npy("expected/\(name).npy") }

    /// A number of expected/expected.json.
    static func expectedNumber(_ key: String) throws -> Double {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("expected/expected.json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require((json[key] as? NSNumber)?.doubleValue, "expected.json has no \(key)")
    }

    static func config() throws -> PhenakiConfig { try PhenakiConfig.load(path: path("config.json")) }

    static func weights(_ model: String) throws -> [String: HostTensor] {
        try SafeTensorsFile.read(path: path("\(model).safetensors")).tensors
    }

    /// The share of equal elements.
    static func equalFraction(_ a: HostTensor, _ b: HostTensor) -> Double {
        guard a.count == b.count, a.count > 0 else { return 0 }
        return Double(zip(a.scalars, b.scalars).filter { $0 == $1 }.count) / Double(a.count)
    }
}

@Suite struct InteropTests {
    let config: PhenakiConfig

    init() throws { config = try InteropFixture.config() }

    func cvivit() throws -> CViViTInterop {
        try CViViTInterop(config: config, weightsPath: InteropFixture.path("cvivit.safetensors"), threads: 2)
    }

    // MARK: Parity with phenaki-pytorch

    @Test func configIsOneNoOtherTestUses() {
        #expect(config.cvivit.imageSize == SpatialSize(height: 24, width: 16))
        #expect(config.cvivit.patchSize == SpatialSize(height: 8, width: 4))
        #expect(config.cvivit.heads == 3 && config.cvivit.dimHead == 16)
        #expect(config.maskgit.dimContext != config.maskgit.dim)
    }

    @Test("encode: video and image (4-D, one token frame) ids equal phenaki-pytorch's, int32",
          arguments: [("video", [2, 3, 3, 4]), ("image", [2, 1, 3, 4])])
    func encode(input: String, shape: [Int]) throws {
        let ids = try cvivit().encode(try InteropFixture.npy("\(input).npy"))
        let expected = try InteropFixture.expected("\(input)_ids")
        #expect(ids.dtype == .int32)
        #expect(ids.shape == shape && expected.shape == shape)
        let equal = InteropFixture.equalFraction(ids, expected)
        print("interop encode \(input): ids equal \(equal)")
        #expect(equal >= 0.999)
    }

    @Test func decodeInt32Ids() throws {
        let video = try cvivit().decode(try InteropFixture.npy("decode_ids.npy"))
        let expected = try InteropFixture.expected("decoded")
        #expect(video.shape == [1, 3, 3, 24, 16] && video.shape == expected.shape)
        let error = relativeError(video, expected)
        print("interop decode: relative error \(error)")
        #expect(error <= 1e-4)
    }

    @Test("reconstruct: the output keeps the input's rank; recon_loss as F.mse_loss, aux_loss 0 in eval mode",
          arguments: ["video", "image"])
    func reconstruct(input: String) throws {
        let x = try InteropFixture.npy("\(input).npy")
        let result = try cvivit().reconstruct(x)
        let expected = try InteropFixture.expected("\(input)_recon")
        #expect(result.recon.shape == x.shape && expected.shape == x.shape)
        let error = relativeError(result.recon, expected)
        let reconLoss = try InteropFixture.expectedNumber("\(input)_recon_loss")
        let lossError = abs(result.reconLoss - reconLoss) / reconLoss
        print("interop reconstruct \(input): recon relative error \(error), recon_loss relative error \(lossError)")
        #expect(error <= 1e-4)
        #expect(lossError <= 1e-4)
        #expect(result.auxLoss == (try InteropFixture.expectedNumber("\(input)_aux_loss")))
    }

    @Test func maskgitLogitsWithMaskedText() throws {
        let model = try MaskGitInterop(config: config, weightsPath: InteropFixture.path("maskgit.safetensors"), threads: 2)
        let logits = try model.logits(ids: try InteropFixture.npy("ids.npy"), text: try InteropFixture.npy("text_embeds.npy"))
        let expected = try InteropFixture.expected("maskgit_logits")
        #expect(logits.shape == [2, 36, 128] && logits.shape == expected.shape)
        let error = relativeError(logits, expected)
        print("interop maskgit logits: relative error \(error)")
        #expect(error <= 1e-4)
    }

    @Test("critic logits with text (zero rows masked) and without (no cross attention)",
          arguments: [true, false])
    func criticLogits(withText: Bool) throws {
        let model = try CriticInterop(config: config, weightsPath: InteropFixture.path("critic.safetensors"), threads: 2)
        let text = withText ? try InteropFixture.npy("text_embeds.npy") : nil
        let logits = try model.logits(ids: try InteropFixture.npy("ids.npy"), text: text)
        let expected = try InteropFixture.expected(withText ? "critic_logits" : "critic_logits_no_text")
        #expect(logits.shape == [2, 36] && logits.shape == expected.shape)
        let error = relativeError(logits, expected)
        print("interop critic logits (text \(withText)): relative error \(error)")
        #expect(error <= 1e-4)
    }

    /// Ids given flat ([b, n], as `decode_from_codebook_indices` takes them) decode the same.
    @Test func decodeAcceptsFlatIds() throws {
        var ids = try InteropFixture.npy("decode_ids.npy")
        ids.shape = [1, 24]
        #expect(relativeError(try cvivit().decode(ids), try InteropFixture.expected("decoded")) <= 1e-4)
    }

    // MARK: Errors a user can cause

    @Test func missingWeightsFile() throws {
        #expect(throws: InteropError.fileNotFound(option: "--weights", path: "/nonexistent/w.safetensors")) {
            try CViViTInterop(config: config, weightsPath: "/nonexistent/w.safetensors")
        }
        #expect(throws: InteropError.fileNotFound(option: "--input", path: "/nonexistent/v.npy")) {
            try InteropFiles.read("/nonexistent/v.npy")
        }
    }

    @Test func wrongDTypes() throws {
        let model = try cvivit()
        let ids = try InteropFixture.npy("decode_ids.npy")
        #expect(throws: InteropError.wrongDType(name: "the video", got: .int32, expected: "float")) {
            try model.encode(ids)
        }
        let floatIds = HostTensor(shape: ids.shape, dtype: .float32, scalars: ids.scalars)
        #expect(throws: InteropError.wrongDType(name: "the ids", got: .float32, expected: "integer")) {
            try model.decode(floatIds)
        }
    }

    @Test func wrongShapes() throws {
        let model = try cvivit()
        // 16 × 24 instead of 24 × 16; 4 frames (4 − 1 is not a multiple of the temporal patch 2).
        for shape in [[1, 3, 5, 16, 24], [1, 3, 4, 24, 16], [1, 2, 24, 16], [3, 24, 16]] {
            let video = HostTensor.zeros(shape)
            #expect(throws: InteropError.self) { try model.encode(video) }
            do {
                _ = try model.reconstruct(video)
                Issue.record("\(shape) was accepted")
            } catch let error as InteropError {
                guard case .wrongShape(_, let got, let expected) = error else { throw error }
                #expect(got == shape)
                #expect(expected.contains("[batch, 3, frames, 24, 16]"), "\(error)")
            }
        }
        // A 4 × 3 grid where the config's is 3 × 4.
        #expect(throws: InteropError.self) { try model.decode(HostTensor.zeros([1, 1, 4, 3], dtype: .int32)) }
    }

    @Test func idsOutOfRange() throws {
        var ids = try InteropFixture.npy("decode_ids.npy")
        ids.scalars[5] = 128
        #expect(throws: InteropError.idOutOfRange(name: "the ids", index: 5, value: 128, valid: 0...127,
                                                  meaning: "the quantizer has 128 codes")) {
            try cvivit().decode(ids)
        }
        // MaskGit takes the mask id 128 (ids.npy has some) but nothing above it, nor negatives.
        let maskgit = try MaskGitInterop(config: config, weightsPath: InteropFixture.path("maskgit.safetensors"))
        var tokens = try InteropFixture.npy("ids.npy")
        tokens.scalars[7] = -1
        do {
            _ = try maskgit.logits(ids: tokens)
            Issue.record("id -1 was accepted")
        } catch let error as InteropError {
            #expect(error == .idOutOfRange(name: "the ids", index: 7, value: -1, valid: 0...128,
                                           meaning: "maskgit.num_tokens is 128; 128 is the mask id"))
            #expect(error.description.contains("outside 0...128"))
        }
    }

    @Test func tooManyTokens() throws {
        // 5 token frames of 12: 60 tokens, max_seq_len 48.
        let critic = try CriticInterop(config: config, weightsPath: InteropFixture.path("critic.safetensors"))
        #expect(throws: InteropError.tooManyTokens(section: "critic", tokens: 60, maxSeqLen: 48)) {
            try critic.logits(ids: HostTensor.zeros([1, 5, 3, 4], dtype: .int32))
        }
    }

    @Test func weightsOfAnotherConfigListEveryMismatch() throws {
        var other = config
        other.maskgit.heads = 2
        do {
            _ = try MaskGitInterop(config: other, weightsPath: InteropFixture.path("maskgit.safetensors"))
            Issue.record("weights of another config were accepted")
        } catch let WeightError.mismatches(source, list) {
            #expect(source.hasSuffix("maskgit.safetensors"))
            // heads 2 × dim_head 16 = 32 wide where the file has 3 × 16 = 48.
            #expect(list.contains(.shape(name: "transformer.layers.0.1.to_q.weight", file: [48, 32], expected: [32, 32])))
            #expect(list.count > 3)
        }
        // C-ViViT weights for the critic: all missing, all unexpected.
        do {
            _ = try CriticInterop(config: config, tensors: try InteropFixture.weights("cvivit"), source: "cvivit.safetensors")
            Issue.record("C-ViViT weights were accepted for the critic")
        } catch let error as WeightError {
            guard case .mismatches(_, let list) = error else { throw error }
            #expect(list.contains(.missing(name: "token_emb.weight", expected: [129, 24])))
            #expect(error.description.contains("do not match the model"))
        }
    }

    /// `vq.mask`, LFQ's int64 bit-weight buffer that `save_file(state_dict)` stores, is accepted when
    /// it holds the bit weights and listed when not; another codebook size shows in the projections.
    @Test func quantizerBufferOfAnotherCodebook() throws {
        var tensors = try InteropFixture.weights("cvivit")
        #expect(tensors["vq.mask"]?.scalars == [64, 32, 16, 8, 4, 2, 1])
        tensors["vq.mask"]!.scalars[0] = 3
        do {
            _ = try CViViTInterop(config: config, tensors: tensors)
            Issue.record("a vq.mask of other values was accepted")
        } catch let WeightError.mismatches(_, list) {
            #expect(list.map(\.name) == ["vq.mask"])
        }
        var other = config
        other.cvivit.codebookSize = 256
        other.maskgit.numTokens = 256
        other.critic?.numTokens = 256
        do {
            _ = try CViViTInterop(config: other, tensors: try InteropFixture.weights("cvivit"))
            Issue.record("weights of a 128-entry codebook were accepted for 256")
        } catch let WeightError.mismatches(_, list) {
            #expect(list.contains(.shape(name: "vq.project_in.weight", file: [7, 16], expected: [8, 16])))
            #expect(list.contains(.shape(name: "vq.project_out.weight", file: [16, 7], expected: [16, 8])))
        }
    }

    @Test func textEmbeddingErrors() throws {
        let maskgit = try MaskGitInterop(config: config, weightsPath: InteropFixture.path("maskgit.safetensors"))
        let ids = try InteropFixture.npy("ids.npy")
        #expect(throws: InteropError.textEmbedDimMismatch(section: "maskgit", got: 32, dimContext: 20)) {
            try maskgit.logits(ids: ids, text: HostTensor.zeros([2, 4, 32]))
        }
        #expect(throws: InteropError.batchMismatch(ids: 2, text: 1)) {
            try maskgit.logits(ids: ids, text: HostTensor.zeros([1, 4, 20]))
        }
        #expect(throws: InteropError.wrongDType(name: "the text embeddings", got: .int32, expected: "float")) {
            try maskgit.logits(ids: ids, text: HostTensor.zeros([2, 4, 20], dtype: .int32))
        }
        // An unconditional MaskGit (no cross attention) cannot read text.
        var unconditional = config
        unconditional.maskgit.unconditional = true
        unconditional.critic = nil
        var tensors = try InteropFixture.weights("maskgit")
        for name in tensors.keys where name.contains(".2.") && name.hasPrefix("transformer.layers.") {
            tensors[name] = nil  // the cross-attention block of each layer
        }
        let plain = try MaskGitInterop(config: unconditional, tensors: tensors)
        #expect(throws: InteropError.textNotUsed(section: "maskgit")) {
            try plain.logits(ids: ids, text: try InteropFixture.npy("text_embeds.npy"))
        }
    }
}
