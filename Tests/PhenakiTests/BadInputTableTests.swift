import Foundation
import GraphRuntime
import MediaIO
import TensorGraph
import Testing

/// Issue 7's table of bad inputs, each run through the built `phenaki` executable: the
/// process must exit with the expected non-zero status (never a signal or a hang), print
/// the expected message on stderr, and leave no output file behind.
///
/// Text longer than `max_text_len` is not in the table: phenaki-pytorch's `t5_encode_text`
/// and our tokenizers truncate to `max_text_len` (documented and tested in
/// TextTokenizerTests), so only an impossible `--max-text-len` is an error.
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
struct BadInputTableTests {
    /// One bad input. In `arguments`, `$D` is the case's own fresh folder and `$I` the
    /// interop fixture folder; `setUp` writes the case's files into `$D` first.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        var setUp: @Sendable (String) throws -> Void = { _ in }
        var status: Int32 = 1
        var message: String
        /// The path (under `$D`) the command would write; it must not exist afterwards.
        var output: String? = nil
        var description: String { name }
    }

    static let interop = ["--config", "$I/config.json"]
    static let sampleArgs = ["sample", "--checkpoint", "$D/ck", "--text-embeds", "$D/te.npy", "--steps", "1"]

    static let cases: [Case] = [
        // Media given to `sample --prime`.
        primeCase("truncated GIF", "p.gif", { Array(try media("animated.gif").prefix(100)) },
                  "GIF data is cut short: a sub-block of image data needs"),
        primeCase("GIF without a screen", "p.gif", { Array("GIF89a\u{4}".utf8) },
                  "GIF data is cut short: the logical screen descriptor"),
        primeCase("corrupt GIF (unknown block)", "p.gif", {
            var bytes = try media("animated.gif"); bytes[bytes.count - 1] = 0x7e; return bytes
        }, "starts no GIF block"),
        primeCase("truncated PNG", "p.png", { Array(try media("rgba.png").prefix(60)) }, "PNG data is cut short"),
        primeCase("corrupt PNG (CRC)", "p.png", {
            var bytes = try media("rgba.png"); bytes[20] ^= 0x40; return bytes
        }, "PNG data is damaged"),
        primeCase("truncated JPEG", "p.jpg", { Array(try media("gradient_rgb.jpg").prefix(300)) }, "JPEG data is damaged"),
        primeCase("corrupt JPEG (no SOI)", "p.jpg", {
            var bytes = try media("gradient_rgb.jpg"); bytes[1] = 0; return bytes
        }, "JPEG"),
        primeCase("truncated MP4", "p.mp4", { Array("\0\0\0\u{18}ftypisom\0\0\u{2}\0isomiso2".utf8) }, "p.mp4"),
        primeCase("corrupt MP4", "p.mp4", { (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 73 &+ 11) } }, "p.mp4"),
        primeCase("wrong image size", "p.png", { try media("rgba.png") },
                  "are 3x4 pixels but the model's frames are 16x16; resize and crop them first"),
        // Folders of training data.
        Case(name: "empty data folder",
             arguments: ["train-cvivit", "--data", "$D/empty", "--steps", "1", "--quiet", "--results", "$D/r"],
             setUp: { try makeFolder($0 + "/empty") },
             message: "holds no file ending in .gif", output: "r"),
        Case(name: "missing data folder",
             arguments: ["train-cvivit", "--data", "$D/none", "--steps", "1", "--quiet", "--results", "$D/r"],
             message: "does not exist or is not a directory", output: "r"),
        Case(name: "frames - 1 not a multiple of the temporal patch",
             arguments: ["train-cvivit", "--data", "$D/empty", "--frames", "4", "--quiet", "--results", "$D/r"],
             setUp: { try makeFolder($0 + "/empty") },
             message: "frames - 1 must be a multiple of the temporal patch size 2", output: "r"),
        Case(name: "zero batch", arguments: ["train-cvivit", "--data", "$D/empty", "--batch", "0", "--results", "$D/r"],
             setUp: { try makeFolder($0 + "/empty") }, message: "--batch 0: it must be at least 1", output: "r"),
        Case(name: "cooldown longer than the run",
             arguments: ["train-cvivit", "--data", "$D/empty", "--steps", "10", "--lr-decay-steps", "11", "--results", "$D/r"],
             setUp: { try makeFolder($0 + "/empty") },
             message: "--lr-decay-steps 11: it must be between 0 and --steps (10)", output: "r"),
        // Model inputs (.npy) and weights (safetensors) of `cvivit`, `maskgit`, `critic`.
        Case(name: "codebook ids out of range",
             arguments: ["cvivit", "decode"] + interop + ["--weights", "$I/cvivit.safetensors", "--input", "$I/ids.npy",
                                                        "--output", "$D/o.npy"],
             message: "is 128, outside 0...127", output: "o.npy"),
        Case(name: "C-ViViT video of the wrong frame count",
             arguments: ["cvivit", "encode"] + interop + ["--weights", "$I/cvivit.safetensors", "--input", "$D/v.npy",
                                                        "--output", "$D/o.npy"],
             setUp: { try writeNpy($0 + "/v.npy", shape: [1, 3, 4, 24, 16]) },
             message: "must be [batch, 3, frames, 24, 16] (a video, frames − 1 a multiple of 2)", output: "o.npy"),
        Case(name: "C-ViViT video of the wrong size",
             arguments: ["cvivit", "encode"] + interop + ["--weights", "$I/cvivit.safetensors", "--input", "$D/v.npy",
                                                        "--output", "$D/o.npy"],
             setUp: { try writeNpy($0 + "/v.npy", shape: [1, 3, 5, 20, 16]) },
             message: "has shape [1, 3, 5, 20, 16] but must be [batch, 3, frames, 24, 16]", output: "o.npy"),
        Case(name: "MaskGit ids of the wrong length",
             arguments: ["maskgit", "logits"] + interop + ["--weights", "$I/maskgit.safetensors", "--input", "$D/ids.npy",
                                                         "--output", "$D/o.npy"],
             setUp: { try writeNpy($0 + "/ids.npy", shape: [2, 10], dtype: .int32) },
             message: "has shape [2, 10] but must be [batch, frames', 3, 4] codebook ids", output: "o.npy"),
        Case(name: ".npy of an unsupported dtype",
             arguments: ["maskgit", "logits"] + interop + ["--weights", "$I/maskgit.safetensors", "--input", "$D/c.npy",
                                                         "--output", "$D/o.npy"],
             setUp: { try npyBytes(descr: "<c8", shape: [2, 48], data: [UInt8](repeating: 0, count: 768)).write(to: url($0 + "/c.npy")) },
             message: "holds dtype '<c8', which this reader does not convert", output: "o.npy"),
        Case(name: ".npy of the wrong shape (rank 1)",
             arguments: ["critic", "logits"] + interop + ["--weights", "$I/critic.safetensors", "--input", "$D/ids.npy",
                                                        "--output", "$D/o.npy"],
             setUp: { try writeNpy($0 + "/ids.npy", shape: [48], dtype: .int32) },
             message: "has shape [48] but must be", output: "o.npy"),
        Case(name: "text embeddings of the wrong width",
             arguments: ["critic", "logits"] + interop + ["--weights", "$I/critic.safetensors", "--input", "$I/ids.npy",
                                                        "--text-embeds", "$I/image.npy", "--output", "$D/o.npy"],
             message: "must be [batch, tokens, 20]", output: "o.npy"),
        safetensorsCase("safetensors with a bad header length", { header, body in
            var data = withUnsafeBytes(of: UInt64(1_000_000_000_000).littleEndian) { Data($0) }
            data.append(try JSONSerialization.data(withJSONObject: header)); data.append(body); return data
        }, "declares a 1000000000000-byte header"),
        safetensorsCase("safetensors with malformed JSON", { _, _ in
            var data = withUnsafeBytes(of: UInt64(9).littleEndian) { Data($0) }
            data.append(Data(#"{"a": [1,"#.utf8)); return data
        }, "has a malformed safetensors header: invalid JSON"),
        safetensorsCase("safetensors with an unknown dtype", { header, body in
            var header = header
            header["to_logits.0.bias"] = (header["to_logits.0.bias"] as! [String: Any]).merging(["dtype": "Q7"]) { $1 }
            return encodeSafetensors(header, body)
        }, "has dtype \"Q7\", which safetensors does not define"),
        safetensorsCase("safetensors with offsets past the end", { header, body in
            var header = header
            var entry = header["to_logits.0.bias"] as! [String: Any]
            entry["data_offsets"] = [body.count - 4, body.count + 100]
            header["to_logits.0.bias"] = entry
            return encodeSafetensors(header, body)
        }, "outside the \\d+-byte data buffer"),
        safetensorsCase("safetensors with overlapping tensors", { header, body in
            var header = header
            var entry = header["to_logits.0.bias"] as! [String: Any]
            let offsets = entry["data_offsets"] as! [Int]
            entry["data_offsets"] = [offsets[0] - 4, offsets[1] - 4]
            header["to_logits.0.bias"] = entry
            return encodeSafetensors(header, body)
        }, "share bytes; each tensor needs its own byte range"),
        Case(name: "weights from another model",
             arguments: ["maskgit", "logits"] + interop + ["--weights", "$I/critic.safetensors", "--input", "$I/ids.npy",
                                                         "--output", "$D/o.npy"],
             message: "shape mismatch for 'token_emb.weight': the file has [129, 24], the model expects [129, 32]",
             output: "o.npy"),
        Case(name: "checkpoint weights from another config",
             arguments: ["cvivit", "encode", "--variant", "tiny", "--weights", "$I/cvivit.safetensors",
                         "--input", "$I/video.npy", "--output", "$D/o.npy"],
             message: "do not match the model", output: "o.npy"),
        Case(name: "not a checkpoint", arguments: sampleArgs.map { $0 == "$D/ck" ? "$D/empty" : $0 } + ["--frames", "5", "--out", "$D/o.gif"],
             setUp: { try makeFolder($0 + "/empty"); try writeTextEmbeds($0) },
             message: "is not a complete checkpoint (it has no format.json)", output: "o.gif"),
        // Plan files.
        Case(name: "corrupt plan file", arguments: ["run", "$D/m.plan"],
             setUp: { try Data(try compiledPlan().prefix(100)).write(to: url($0 + "/m.plan")) },
             message: "m.plan is corrupt: payload is 72 bytes"),
        Case(name: "plan from another format version", arguments: ["run", "$D/m.plan"],
             setUp: { var plan = try compiledPlan(); plan[8] = 99; try plan.write(to: url($0 + "/m.plan")) },
             message: "is a plan of format version 99, this build reads version"),
        Case(name: "not a plan file", arguments: ["run", "$I/ids.npy"], message: "is not a phenaki plan file"),
        // Bad command-line values.
        Case(name: "negative steps", arguments: ["run", "$I/ids.npy", "--steps=-1"], status: 64,
             message: "--steps must be at least 1, got -1"),
        Case(name: "negative sampling steps", arguments: sampleArgs.filter { $0 != "1" && $0 != "--steps" } + ["--steps=-2", "--frames", "5", "--out", "$D/o.gif"],
             setUp: withCheckpoint, status: 64, message: "--steps", output: "o.gif"),
        Case(name: "zero threads", arguments: sampleArgs + ["--frames", "5", "--threads", "0", "--out", "$D/o.gif"],
             setUp: withCheckpoint, status: 64, message: "--threads must be at least 1, got 0", output: "o.gif"),
        Case(name: "sample frames that do not fit the temporal patch",
             arguments: sampleArgs + ["--frames", "4", "--out", "$D/o.gif"], setUp: withCheckpoint,
             message: "frames - 1 (3) must be a multiple of 2", output: "o.gif"),
        Case(name: "unknown output format", arguments: sampleArgs + ["--frames", "5", "--out", "$D/o.bmp"],
             setUp: withCheckpoint, message: "cannot tell the output format of", output: "o.bmp"),
        Case(name: "unwritable output folder", arguments: sampleArgs + ["--frames", "5", "--out", "$D/no/dir/o.gif"],
             setUp: withCheckpoint, message: "cannot write $D/no/dir/o.gif", output: "no"),
        Case(name: "unknown variant", arguments: ["init", "--variant", "huge", "--out", "$D/ck"], status: 64,
             message: "unknown variant 'huge'; valid variants are: tiny, demo, small, paper", output: "ck"),
        Case(name: "missing input file",
             arguments: ["cvivit", "encode"] + interop + ["--weights", "$I/cvivit.safetensors", "--input", "$D/none.npy",
                                                        "--output", "$D/o.npy"],
             message: "none.npy", output: "o.npy"),
        Case(name: "missing weights file",
             arguments: ["cvivit", "encode"] + interop + ["--weights", "$D/none.safetensors", "--input", "$I/video.npy",
                                                        "--output", "$D/o.npy"],
             message: "--weights $D/none.safetensors: no such file", output: "o.npy"),
        Case(name: "missing config file", arguments: ["config", "show", "--config", "$D/none.json"],
             message: "cannot read config $D/none.json: no such file"),
        Case(name: "unknown text encoder", arguments: ["embed-text", "--encoder", "bert", "--text", "a", "--output", "$D/e.npy"],
             status: 64, message: "--encoder must be minilm or t5, got 'bert'", output: "e.npy"),
        Case(name: "impossible max text length",
             arguments: ["embed-text", "--text", "a", "--max-text-len", "0", "--output", "$D/e.npy"],
             status: 64, message: "--max-text-len must be at least 2, got 0", output: "e.npy"),
        Case(name: "text model folder without a model",
             arguments: ["embed-text", "--text", "a", "--output", "$D/e.npy", "--text-model-dir", "$D/empty"],
             setUp: { try makeFolder($0 + "/empty") }, message: "no config.json in the text model folder", output: "e.npy"),
    ]

    @Test(arguments: cases)
    func refusesWithAMessage(_ testCase: Case) throws {
        let directory = NSTemporaryDirectory() + "phenaki-bad-input-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try testCase.setUp(directory)
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: directory))
        let expand = { (text: String) in
            text.replacingOccurrences(of: "$D", with: directory).replacingOccurrences(of: "$I", with: InteropFixture.directory)
        }
        let result = try runProcess(try #require(phenakiExecutable), testCase.arguments.map(expand), timeout: 120)
        #expect(!result.timedOut, "hung: killed after 120 s")
        #expect(!result.signaled, "died of signal \(result.status): \(result.stderr)")
        #expect(result.status == testCase.status, "exit \(result.status): \(result.stderr)")
        let message = expand(testCase.message)
        let matches = message.contains("\\d") ? result.stderr.range(of: message, options: .regularExpression) != nil
                                               : result.stderr.contains(message)
        #expect(matches, "stderr lacks \(message.debugDescription): \(result.stderr)")
        // Nothing new in the case's folder: no output, no temporary file, no half-made folder.
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: directory))
        let created = after.subtracting(before)
        #expect(created.isEmpty, "left behind: \(created.sorted())")
        if let output = testCase.output {
            #expect(!FileManager.default.fileExists(atPath: directory + "/" + output), "\(output) was written")
        }
    }

    @Test func tableHasTheIssuesThirtyCases() {
        #expect(Self.cases.count >= 30)
        #expect(Set(Self.cases.map(\.name)).count == Self.cases.count)
    }

    // MARK: - Making the bad files

    static func url(_ path: String) -> URL { URL(fileURLWithPath: path) }

    static func makeFolder(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    static func media(_ name: String) throws -> [UInt8] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/media/\(name)").standardizedFileURL.path
        return [UInt8](try Data(contentsOf: url(path)))
    }

    static func writeNpy(_ path: String, shape: [Int], dtype: DType = .float32) throws {
        try NumPyArray.write(HostTensor(shape: shape, dtype: dtype, repeating: 0), path: path)
    }

    /// A `.npy` file with any `descr`, for dtypes our writer does not produce.
    static func npyBytes(descr: String, shape: [Int], data: [UInt8]) -> Data {
        let extents = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(extents)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes = NumPyArray.magic + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8) + data
        return Data(bytes)
    }

    /// A tiny checkpoint (`phenaki init --variant tiny`) and 32-wide text embeddings.
    static let withCheckpoint: @Sendable (String) throws -> Void = { directory in
        let made = try runProcess(try #require(phenakiExecutable), ["init", "--variant", "tiny", "--out", directory + "/ck"])
        try #require(made.status == 0, "\(made.stderr)")
        try writeTextEmbeds(directory)
    }

    static func writeTextEmbeds(_ directory: String) throws {
        try writeNpy(directory + "/te.npy", shape: [1, 4, 32])
    }

    static func primeCase(_ name: String, _ file: String, _ bytes: @escaping @Sendable () throws -> [UInt8],
                          _ message: String) -> Case {
        Case(name: name, arguments: sampleArgs + ["--frames", "5", "--prime", "$D/\(file)", "--out", "$D/o.gif"],
             setUp: { directory in
                 try withCheckpoint(directory)
                 try Data(try bytes()).write(to: url(directory + "/" + file))
             }, message: message, output: "o.gif")
    }

    /// A case running `critic logits` on a damaged copy of the interop critic weights.
    static func safetensorsCase(_ name: String, _ damage: @escaping @Sendable ([String: Any], Data) throws -> Data,
                                _ message: String) -> Case {
        Case(name: name,
             arguments: ["critic", "logits"] + interop + ["--weights", "$D/w.safetensors", "--input", "$I/ids.npy",
                                                        "--output", "$D/o.npy"],
             setUp: { directory in
                 let data = try Data(contentsOf: url(InteropFixture.path("critic.safetensors")))
                 let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
                 let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + length)) as? [String: Any])
                 try damage(header, data.subdata(in: 8 + length..<data.count)).write(to: url(directory + "/w.safetensors"))
             }, message: message, output: "o.npy")
    }

    static func encodeSafetensors(_ header: [String: Any], _ body: Data) -> Data {
        let json = try! JSONSerialization.data(withJSONObject: header)
        var data = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) }
        data.append(json)
        data.append(body)
        return data
    }

    /// The bytes of `phenaki compile --model mlp`.
    static func compiledPlan() throws -> Data {
        let path = NSTemporaryDirectory() + "phenaki-bad-input-\(UUID().uuidString).plan"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let made = try runProcess(try #require(phenakiExecutable), ["compile", "--model", "mlp", "-o", path])
        try #require(made.status == 0, "\(made.stderr)")
        return try Data(contentsOf: url(path))
    }
}
