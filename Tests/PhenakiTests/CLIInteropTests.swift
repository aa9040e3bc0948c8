import Foundation
import GraphRuntime
import Phenaki
import Testing

/// `phenaki cvivit|maskgit|critic ...` end to end through the built executable, on the files of
/// Tests/Fixtures/interop, against phenaki-pytorch's answers.
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
final class CLIInteropTests {
    /// A fresh directory for this test's outputs.
    let directory = NSTemporaryDirectory() + "phenaki-interop-cli-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private func phenaki(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(try #require(phenakiExecutable), arguments)
    }

    /// `phenaki <command> --config <fixture config> --weights <fixture weights> --input <fixture input>
    /// --output <temp>` plus `extra`; returns the result and the output path.
    private func run(_ command: [String], weights: String, input: String, extra: [String] = [])
        throws -> (ProcessResult, String) {
        let output = directory + "/out-\(UUID().uuidString).npy"
        let result = try phenaki(command + ["--config", InteropFixture.path("config.json"),
                                            "--weights", InteropFixture.path(weights),
                                            "--input", InteropFixture.path(input), "--output", output] + extra)
        return (result, output)
    }

    @Test func encodeWritesInt32IdsEqualToPhenakiPytorch() throws {
        let (result, output) = try run(["cvivit", "encode"], weights: "cvivit.safetensors", input: "video.npy")
        #expect(result.status == 0, "\(result.stderr)")
        let ids = try NumPyArray.read(path: output)
        // The file itself is '<i4'.
        let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: output)).prefix(80), as: UTF8.self)
        #expect(header.contains("'descr': '<i4'"), "\(header)")
        #expect(InteropFixture.equalFraction(ids, try InteropFixture.expected("video_ids")) >= 0.999)
    }

    @Test func reconstructImagePrintsTheLossesAsOneJSONLine() throws {
        let (result, output) = try run(["cvivit", "reconstruct"], weights: "cvivit.safetensors", input: "image.npy")
        #expect(result.status == 0, "\(result.stderr)")
        let recon = try NumPyArray.read(path: output)
        #expect(recon.shape == [2, 3, 24, 16])
        #expect(relativeError(recon, try InteropFixture.expected("image_recon")) <= 1e-4)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Double])
        #expect(Set(json.keys) == ["recon_loss", "aux_loss"])
        let expected = try InteropFixture.expectedNumber("image_recon_loss")
        #expect(abs(json["recon_loss"]! - expected) / expected <= 1e-4)
        #expect(json["aux_loss"] == 0)
    }

    @Test func maskgitLogitsWithTextEmbeds() throws {
        let (result, output) = try run(["maskgit", "logits"], weights: "maskgit.safetensors", input: "ids.npy",
                                       extra: ["--text-embeds", InteropFixture.path("text_embeds.npy")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(relativeError(try NumPyArray.read(path: output), try InteropFixture.expected("maskgit_logits")) <= 1e-4)
    }

    @Test func criticLogitsWithoutText() throws {
        let (result, output) = try run(["critic", "logits"], weights: "critic.safetensors", input: "ids.npy")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(relativeError(try NumPyArray.read(path: output),
                              try InteropFixture.expected("critic_logits_no_text")) <= 1e-4)
    }

    @Test func weightsOfAnotherModelFailWithTheMismatchListAndNoOutput() throws {
        let (result, output) = try run(["maskgit", "logits"], weights: "critic.safetensors", input: "ids.npy")
        #expect(result.status == 1)
        #expect(!result.signaled)
        #expect(result.stderr.hasPrefix("error: weights from "), "\(result.stderr)")
        #expect(result.stderr.contains("shape mismatch for 'token_emb.weight': the file has [129, 24], the model expects [129, 32]"),
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func userErrorsExitNonZeroWithAMessage() throws {
        // A missing weights file.
        let missing = try phenaki(["cvivit", "encode", "--config", InteropFixture.path("config.json"),
                                   "--weights", directory + "/nope.safetensors",
                                   "--input", InteropFixture.path("video.npy"), "--output", directory + "/x.npy"])
        #expect(missing.status == 1 && !missing.signaled)
        #expect(missing.stderr.contains("--weights \(directory)/nope.safetensors: no such file"), "\(missing.stderr)")
        // Float ids to decode; ids (with the mask id 128) out of C-ViViT's 0...127.
        let floatIds = try run(["cvivit", "decode"], weights: "cvivit.safetensors", input: "video.npy").0
        #expect(floatIds.status == 1 && floatIds.stderr.contains("must hold integer values"), "\(floatIds.stderr)")
        let outOfRange = try run(["cvivit", "decode"], weights: "cvivit.safetensors", input: "ids.npy").0
        #expect(outOfRange.status == 1 && outOfRange.stderr.contains("is 128, outside 0...127"), "\(outOfRange.stderr)")
        // Text embeddings (20 wide) given as ids; a video given as text embeddings.
        let wrongText = try run(["critic", "logits"], weights: "critic.safetensors", input: "ids.npy",
                                extra: ["--text-embeds", InteropFixture.path("image.npy")]).0
        #expect(wrongText.status == 1 && wrongText.stderr.contains("must be [batch, tokens, 20]"), "\(wrongText.stderr)")
        // An output directory that does not exist: a typed error, not a crash.
        let unwritable = try phenaki(["critic", "logits", "--config", InteropFixture.path("config.json"),
                                      "--weights", InteropFixture.path("critic.safetensors"),
                                      "--input", InteropFixture.path("ids.npy"), "--output", directory + "/no/dir/x.npy"])
        #expect(unwritable.status == 1 && !unwritable.signaled)
        #expect(unwritable.stderr.contains("cannot write .npy file \(directory)/no/dir/x.npy"), "\(unwritable.stderr)")
        // A failing run leaves an existing output as it was.
        let existing = directory + "/existing.npy"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: existing))
        let failed = try phenaki(["cvivit", "decode", "--config", InteropFixture.path("config.json"),
                                  "--weights", InteropFixture.path("cvivit.safetensors"),
                                  "--input", InteropFixture.path("ids.npy"), "--output", existing])
        #expect(failed.status == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("keep".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).allSatisfy { !$0.contains(".tmp-") })
        // Neither --variant nor --config.
        let noConfig = try phenaki(["critic", "logits", "--weights", "w", "--input", "i", "--output", "o"])
        #expect(noConfig.status != 0 && noConfig.stderr.contains("--variant"), "\(noConfig.stderr)")
    }

    @Test("--variant works in place of --config (the fixture weights are not tiny's: refused with the list)")
    func variantInsteadOfConfig() throws {
        let result = try phenaki(["cvivit", "encode", "--variant", "tiny", "--weights", InteropFixture.path("cvivit.safetensors"),
                                  "--input", InteropFixture.path("video.npy"), "--output", directory + "/x.npy"])
        // The fixture weights are not tiny's: the config loads, the weights are refused.
        #expect(result.status == 1)
        #expect(result.stderr.contains("do not match the model"), "\(result.stderr)")
    }

    @Test func helpDocumentsTheContract() throws {
        /// The help text with its line wrapping undone.
        func help(_ command: String...) throws -> String {
            let result = try phenaki(command + ["--help"])
            #expect(result.status == 0)
            return result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        #expect(try help("cvivit", "reconstruct").contains("which is 0 in eval mode"))
        #expect(try help("cvivit", "encode").contains("Output: int32 ids"))
        #expect(try help("maskgit", "logits").contains("a token whose embedding row is all zero is masked"))
        #expect(try help("critic", "logits").contains("cond_drop_prob=0"))
    }
}
