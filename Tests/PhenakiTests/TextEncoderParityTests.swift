import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import PhenakiGraphs
import Testing
import TensorGraph

/// Embeddings of the Swift text encoders against Hugging Face transformers' last hidden state
/// (padding rows zeroed as phenaki-pytorch's `t5_encode_text` does): ≤ 1e-4 relative to the
/// largest magnitude.
@Suite(.serialized) struct TextEncoderParityTests {
    /// The tiny random t5-v1_1 fixture through `T5TextEncoder` (tokenizer + compiled plan), and
    /// the same graph on the float64 reference interpreter.
    @Test func t5EncoderMatchesTransformers() throws {
        let fixture = try TextFixture("t5")
        let batch = try #require(fixture.embeddingCases["batch"])
        let texts = try #require(batch["texts"] as? [String])
        let expected = try #require(fixture.outputs["embeddings:batch"])
        let expectedMask = try #require(fixture.outputs["mask:batch"])

        let encoder = try T5TextEncoder(directory: fixture.directory)
        #expect(encoder.tokenize(texts) == (batch["ids"] as? [[Int]] ?? []).map { row in
            Array(row.map(Int32.init).prefix { $0 != 0 })
        })
        let result = try encoder.encode(texts)
        #expect(result.embeddings.shape == expected.shape)
        #expect(result.mask.scalars == expectedMask.scalars)
        let planError = relativeError(result.embeddings, expected)
        #expect(planError <= 1e-4, "compiled plan: relative error \(planError)")

        // The graph alone on the reference interpreter, fed the fixture's ids and mask.
        let ids = HostTensor(shape: expected.shape.dropLast().map { $0 }, dtype: .int32,
                             scalars: (batch["ids"] as? [[Int]] ?? []).joined().map(Double.init))
        let mask = HostTensor(shape: ids.shape, dtype: .bool, scalars: expectedMask.scalars)
        let t = Tracer()
        let y = encoder.model(t.input("ids", ids.shape, .int32), mask: t.input("mask", ids.shape, .bool))
        let graph = try t.finish(outputs: [("y", y)])
        let weights = try SafeTensorsFile.read(path: fixture.directory + "/model.safetensors").tensors
        for p in graph.parameters {
            #expect(weights[p.name]?.shape == p.node.type.shape, "\(p.name) is not a T5EncoderModel weight of that shape")
        }
        let oracle = try ReferenceInterpreter(precision: .float64).run(graph, feeds: weights.merging(["ids": ids, "mask": mask]) { a, _ in a })
        let interpreterError = relativeError(zeroRows(oracle["y"]!, mask), expected)
        #expect(interpreterError <= 1e-4, "reference interpreter: relative error \(interpreterError)")
        print("T5 encoder parity: compiled plan \(planError), reference interpreter \(interpreterError)")
    }

    /// all-MiniLM-L6-v2 on its real weights: each sentence alone (accents, punctuation, CJK,
    /// truncation at max_text_len 12) and a padded batch of two.
    @Test(.enabled(if: MiniLMAvailability.shouldRun, MiniLMAvailability.skipReason))
    func miniLMMatchesTransformers() throws {
        let fixture = try TextFixture("minilm")
        let encoder = try MiniLMTextEncoder(maxTextLen: fixture.maxTextLen)
        #expect(encoder.dim == PhenakiSettings.miniLMEmbedDim)
        var worst = 0.0
        for (name, c) in fixture.embeddingCases.sorted(by: { $0.key < $1.key }) {
            let expected = try #require(fixture.outputs["embeddings:\(name)"])
            let texts = c["texts"] as? [String] ?? [c["text"] as? String ?? ""]
            let result = try encoder.encode(texts)
            let expectedIDs = (c["texts"] == nil ? [TextFixture.ids(c["ids"])]
                : (c["ids"] as? [[Int]] ?? []).map { Array($0.map(Int32.init).prefix { $0 != 0 }) })
            #expect(encoder.tokenize(texts) == expectedIDs, "\(name) ids")
            #expect(result.embeddings.shape == expected.shape, "\(name) shape")
            if let mask = c["mask"] as? [[Int]] {
                #expect(result.mask.scalars == mask.joined().map(Double.init), "\(name) mask")
            }
            let error = relativeError(result.embeddings, expected)
            worst = max(worst, error)
            #expect(error <= 1e-4, "\(name): relative error \(error)")
        }
        print("MiniLM parity (all-MiniLM-L6-v2), worst relative error \(worst)")
    }

    /// A missing model is a typed error that names the folder, the file and the setup command.
    @Test func missingMiniLMSaysHowToGetIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("no-minilm-\(UUID().uuidString)").path
        #expect(throws: TextEncoderError.modelMissing(directory: dir, file: "config.json", setup: "Tools/setup-text-encoder.sh")) {
            try MiniLMTextEncoder(directory: dir)
        }
        let message = TextEncoderError.modelMissing(directory: dir, file: "model.safetensors", setup: TextModelDirectory.setupCommand).description
        #expect(message.contains("Tools/setup-text-encoder.sh") && message.contains(dir) && message.contains("PHENAKI_TEXT_MODEL_DIR"))
    }

    /// The folder comes from the argument, then PHENAKI_TEXT_MODEL_DIR, then the XDG cache.
    @Test func modelDirectoryResolution() {
        #expect(TextModelDirectory.miniLM(explicit: "/a", environment: ["PHENAKI_TEXT_MODEL_DIR": "/b"]) == "/a")
        #expect(TextModelDirectory.miniLM(environment: ["PHENAKI_TEXT_MODEL_DIR": "/b", "XDG_CACHE_HOME": "/c"]) == "/b")
        #expect(TextModelDirectory.miniLM(environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"]) == "/c/phenaki/all-MiniLM-L6-v2")
        #expect(TextModelDirectory.miniLM(environment: ["HOME": "/h"]) == "/h/.cache/phenaki/all-MiniLM-L6-v2")
    }

    /// Precomputed .npy embeddings: [tokens, dim] and [1, tokens, dim] repeat over the texts,
    /// [b, tokens, dim] gives one row per text; all-zero token rows are masked out
    /// (phenaki-pytorch's `torch.any(text_embeds != 0, dim = -1)`); wrong widths are refused.
    @Test func precomputedEmbeddings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("te-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Token 1 of row 0 and token 2 of row 1 are all zero.
        let values: [Double] = [0.5, -1, 0, 0, 0, 2, /* row 1 */ 1, 1, 3, 0, 0, 0]
        try NumPyArray.write(HostTensor(shape: [2, 3, 2], scalars: values), path: dir + "/b.npy")
        try NumPyArray.write(HostTensor(shape: [3, 2], scalars: Array(values.prefix(6))), path: dir + "/one.npy")

        let perText = try PrecomputedTextEmbeddings(path: dir + "/b.npy", expectedDim: 2).encode(["x", "y"])
        #expect(perText.embeddings.scalars == values.map { Double(Float($0)) })
        #expect(perText.mask.shape == [2, 3] && perText.mask.scalars == [1, 0, 1, 1, 1, 0])

        let repeated = try PrecomputedTextEmbeddings(path: dir + "/one.npy").encode(["x", "y", "z"])
        #expect(repeated.embeddings.shape == [3, 3, 2] && repeated.mask.scalars == [1, 0, 1, 1, 0, 1, 1, 0, 1])

        #expect(throws: TextEncoderError.badEmbeddings(path: dir + "/b.npy", shape: [2, 3, 2], expectedDim: 384)) {
            try PrecomputedTextEmbeddings(path: dir + "/b.npy", expectedDim: 384)
        }
        #expect(throws: TextEncoderError.batchMismatch(texts: 3, rows: 2, path: dir + "/b.npy")) {
            try PrecomputedTextEmbeddings(path: dir + "/b.npy").encode(["x", "y", "z"])
        }
    }
}

/// `tensor` [b, n, d] with the rows where `mask` [b, n] is 0 set to zero.
private func zeroRows(_ tensor: HostTensor, _ mask: HostTensor) -> HostTensor {
    var out = tensor
    let d = tensor.shape[2]
    for row in 0..<mask.count where mask.scalars[row] == 0 {
        for i in (row * d)..<((row + 1) * d) { out.scalars[i] = 0 }
    }
    return out
}

/// `TextEncoderFactory` builds what `text_encoder` names and holds it to `text_embed_dim`.
@Suite struct TextEncoderFactoryTests {
    @Test func t5WidthMustMatchTextEmbedDim() throws {
        let fixture = try TextFixture("t5")
        let fits = try TextEncoderFactory.make(PhenakiSettings(textEncoder: .t5, textEmbedDim: 16),
                                               modelDirectory: fixture.directory)
        #expect(fits.dim == 16)
        #expect(throws: TextEncoderError.widthMismatch(encoder: "t5", width: 16, textEmbedDim: 768)) {
            try TextEncoderFactory.make(PhenakiSettings(textEncoder: .t5), modelDirectory: fixture.directory)
        }
        #expect(throws: TextEncoderError.self) { try TextEncoderFactory.make(PhenakiSettings(textEncoder: .t5)) }
        #expect(throws: TextEncoderError.self) {
            try TextEncoderFactory.make(PhenakiSettings(textEncoder: .precomputed, textEmbedDim: 8))
        }
    }
}
