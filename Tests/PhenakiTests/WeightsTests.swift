import Foundation
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// The block fixtures (Tools/reference/make_block_fixtures.py, phenaki-pytorch 0.5.0) as the
/// weights tests need them: the raw weights file and the config's `state_dict` description.
private struct WeightsFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/blocks").standardizedFileURL.path

    /// Every fixture folder, so a new fixture is checked without editing this file.
    static var caseNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/config.json") }.sorted()
    }

    let name: String
    let config: [String: Any]
    let file: SafeTensorsFile
    let inputs: [String: HostTensor]

    init(_ name: String) throws {
        self.name = name
        let dir = "\(Self.root)/\(name)"
        let json = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        config = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
        file = try SafeTensorsFile.read(path: dir + "/weights.safetensors")
        inputs = try SafeTensorsFile.read(path: dir + "/inputs.safetensors").tensors
    }

    var module: String { config["module"] as? String ?? "" }
    var kwargs: [String: Any] { config["constructor_kwargs"] as? [String: Any] ?? [:] }
    func int(_ key: String, _ fallback: Int) -> Int { kwargs[key] as? Int ?? fallback }
    func bool(_ key: String) -> Bool { kwargs[key] as? Bool ?? false }
    func ints(_ key: String) -> [Int] { inputs[key]!.scalars.map { Int($0) } }

    /// `state_dict` entries by name: (shape, kind "parameter" or "buffer").
    var stateDict: [String: (shape: [Int], kind: String)] {
        let entries = config["state_dict"] as? [String: [String: Any]] ?? [:]
        return entries.mapValues { ($0["shape"] as? [Int] ?? [], $0["kind"] as? String ?? "") }
    }

    var unusedParams: Set<String> { Set(config["unused_params"] as? [String] ?? []) }

    /// The Swift block this fixture's phenaki-pytorch module corresponds to, traced on the
    /// fixture's inputs (constructed as BlockParityTests constructs it).
    func trace() throws -> Graph {
        let tracer = Tracer()
        var x: [String: Tensor] = [:]
        for (name, value) in inputs.sorted(by: { $0.key < $1.key }) where value.dtype != .int32 && name != "grad_weight" {
            x[name] = tracer.input(name, value.shape, value.dtype)
        }
        let y: Tensor
        switch module.split(separator: ".").last.map(String.init) ?? "" {
        case "LayerNorm":
            y = PhenakiLayerNorm(int("dim", 0))(x["x"]!)
        case "FeedForward":
            y = FeedForward(dim: int("dim", 0), mult: Double(int("mult", 4)))(x["x"]!)
        case "Attention":
            let layer = Attention(dim: int("dim", 0), dimContext: kwargs["dim_context"] as? Int,
                                  dimHead: int("dim_head", 64), heads: int("heads", 8), causal: bool("causal"),
                                  numNullKV: int("num_null_kv", 0))
            y = layer(x["x"]!, mask: x["mask"], context: x["context"], attentionBias: x["attn_bias"])
        case "ContinuousPositionBias":
            let cpb = ContinuousPositionBias(dim: int("dim", 0), heads: int("heads", 0), numDims: int("num_dims", 2),
                                             layers: int("layers", 2), logDistance: true)
            y = cpb(tracer, dimensions: ints("dimensions"))
        case "PEG":
            y = PEG(dim: int("dim", 0), causal: bool("causal"))(x["x"]!, shape: ints("video_shape"))
        case "Transformer":
            let layer = Transformer(dim: int("dim", 0), depth: int("depth", 1),
                                    dimContext: kwargs["dim_context"] as? Int, causal: bool("causal"),
                                    dimHead: int("dim_head", 64), heads: int("heads", 8),
                                    ffMult: Double(int("ff_mult", 4)), peg: bool("peg"), pegCausal: bool("peg_causal"),
                                    attnNumNullKV: int("attn_num_null_kv", 2), hasCrossAttn: bool("has_cross_attn"))
            let shape = inputs["video_shape"].map { _ in ints("video_shape") }
            y = layer(x["x"]!, videoShape: shape, attentionBias: x["attn_bias"], context: x["context"],
                      selfAttentionMask: x["self_attn_mask"], crossAttentionContextMask: x["cross_attn_context_mask"])
        default:
            throw WeightsTestError("fixture \(name): no Swift block for module \(module); add it to WeightsFixture.trace")
        }
        return try tracer.finish(outputs: [("y", y)])
    }
}

private struct WeightsTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The mismatches `body` throws, or nil (with a recorded failure) when it throws something else.
private func mismatches(_ body: () throws -> Void) -> [WeightMismatch]? {
    do {
        try body()
        Issue.record("loading succeeded; a mismatch was expected")
    } catch let error as WeightError {
        if case .mismatches(_, let list) = error { return list }
        Issue.record("expected mismatches, got \(error)")
    } catch {
        Issue.record("expected a WeightError, got \(error)")
    }
    return nil
}

/// A single attention layer as attention_plain's config builds it, at another `dim`.
private func attentionGraph(dim: Int) throws -> Graph {
    let tracer = Tracer()
    let x = tracer.input("x", [2, 7, dim])
    return try tracer.finish(outputs: [("y", Attention(dim: dim, dimHead: 8, heads: 2)(x))])
}

/// The bytes of a safetensors file holding each tensor as `dtype` (F16 or BF16), built by hand
/// (the writer stores float32 only). BF16 keeps the top 16 bits of the float32 (truncation).
private func halfPrecisionBytes(_ tensors: [(name: String, tensor: HostTensor, dtype: String)]) -> Data {
    var data: [UInt8] = []
    var entries: [String] = []
    for (name, tensor, dtype) in tensors {
        let begin = data.count
        for value in tensor.scalars {
            let bits = dtype == "F16" ? Float16(Float(value)).bitPattern
                                      : UInt16(truncatingIfNeeded: Float(value).bitPattern >> 16)
            data += [UInt8(bits & 0xff), UInt8(bits >> 8)]
        }
        let shape = tensor.shape.map(String.init).joined(separator: ",")
        entries.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(data.count)]}")
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
    var bytes: [UInt8] = []
    var length = UInt64(header.count).littleEndian
    withUnsafeBytes(of: &length) { bytes += $0 }
    return Data(bytes + header + data)
}

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString)-\(name)").path
}

@Suite struct WeightsTests {
    /// Every fixture's file loads into the matching Swift block: the feeds are exactly the
    /// graph's parameters with the file's values, and what is left over is exactly the
    /// phenaki-pytorch buffers, unused parameters and empty tensors the config lists.
    @Test(arguments: WeightsFixture.caseNames)
    func fixtureLoads(name: String) throws {
        let fixture = try WeightsFixture(name)
        let graph = try fixture.trace()
        let feeds = try loadWeights(fixture.file, for: graph)
        let declared = Set(graph.parameters.map(\.name))
        #expect(Set(feeds.keys) == declared)
        for (key, value) in feeds { #expect(value == fixture.file.tensors[key], "\(name): \(key)") }

        let stateDict = fixture.stateDict
        #expect(Set(fixture.file.tensors.keys) == Set(stateDict.keys), "\(name): file and config disagree")
        let leftOver = Set(stateDict.keys).subtracting(declared)
        let informationless = Set(stateDict.filter { entry in
            entry.value.kind == "buffer" || fixture.unusedParams.contains(entry.key) || entry.value.shape.contains(0)
        }.keys)
        #expect(leftOver == informationless.subtracting(declared), "\(name)")
        let match = matchWeights(fixture.file.tensors, for: graph)
        #expect(Set(match.tolerated.map(\.name)) == leftOver)
        #expect(match.mismatches.isEmpty)
    }

    /// The exact tolerated list of a C-ViViT spatial transformer, with the rule for each.
    @Test func toleratedNamesOfTransformer() throws {
        let fixture = try WeightsFixture("transformer_spatial")
        let match = matchWeights(fixture.file.tensors, for: try fixture.trace())
        var expected: [ToleratedWeight] = []
        for layer in ["layers.0.1.", "layers.1.1."] {
            expected += [
                ToleratedWeight(name: layer + "context_norm.beta", shape: [16], reason: .zeroLayerNormBeta),
                ToleratedWeight(name: layer + "context_norm.gamma", shape: [16], reason: .selfAttentionContextNorm),
                ToleratedWeight(name: layer + "norm.beta", shape: [16], reason: .zeroLayerNormBeta),
                ToleratedWeight(name: layer + "null_kv", shape: [2, 0, 8], reason: .emptyTensor),
            ]
        }
        expected.append(ToleratedWeight(name: "norm_out.beta", shape: [16], reason: .zeroLayerNormBeta))
        #expect(match.tolerated == expected)
    }

    /// A model built with dim 24 refuses the dim-16 file, naming each tensor and both shapes.
    @Test func otherDimListsShapeMismatches() throws {
        let fixture = try WeightsFixture("attention_plain")
        let list = mismatches { _ = try loadWeights(fixture.file, for: attentionGraph(dim: 24)) }
        #expect(list == [
            .shape(name: "norm.gamma", file: [16], expected: [24]),
            .shape(name: "to_q.weight", file: [16, 16], expected: [16, 24]),
            .shape(name: "to_kv.weight", file: [32, 16], expected: [32, 24]),
            .shape(name: "to_out.weight", file: [16, 16], expected: [24, 16]),
            // No longer the width of this model's norm.gamma, so not taken for self-attention's.
            .unexpected(name: "context_norm.gamma", shape: [16]),
        ])
        let graph = try attentionGraph(dim: 24)
        do {
            _ = try loadWeights(fixture.file, for: graph, source: "attn.safetensors")
        } catch {
            let message = error.description
            #expect(message.contains("weights from attn.safetensors do not match the model (5 problems)"))
            #expect(message.contains("shape mismatch for 'to_kv.weight': the file has [32, 16], the model expects [32, 24]"))
            #expect(message.contains("shape mismatch for 'to_out.weight': the file has [16, 16], the model expects [24, 16]"))
        }
    }

    @Test func missingParameterIsNamed() throws {
        let fixture = try WeightsFixture("transformer_maskgit")
        var file = fixture.file
        file.tensors["layers.1.2.to_kv.weight"] = nil
        file.tensors["norm_out.gamma"] = nil
        let graph = try fixture.trace()
        let list = mismatches { _ = try loadWeights(file, for: graph) }
        #expect(list == [
            .missing(name: "layers.1.2.to_kv.weight", expected: [32, 24]),
            .missing(name: "norm_out.gamma", expected: [16]),
            // Its gamma went with it, so it is no longer recognisably a LayerNorm bias.
            .unexpected(name: "norm_out.beta", shape: [16]),
        ])
        do { _ = try loadWeights(file, for: graph) } catch {
            #expect(error.description.contains("missing parameter 'layers.1.2.to_kv.weight' of shape [32, 24]"))
        }
    }

    /// `.strict` accepts nothing undeclared; `.phenaki` still refuses a tensor it does not know.
    @Test func strictRefusesExtraTensors() throws {
        let fixture = try WeightsFixture("attention_plain")
        let graph = try fixture.trace()
        let strict = mismatches { _ = try loadWeights(fixture.file, for: graph, policy: .strict) }
        #expect(strict == [
            .unexpected(name: "context_norm.beta", shape: [16]),
            .unexpected(name: "context_norm.gamma", shape: [16]),
            .unexpected(name: "norm.beta", shape: [16]),
            .unexpected(name: "null_kv", shape: [2, 0, 8]),
        ])

        var file = fixture.file
        file.tensors["to_v.weight"] = .zeros([16, 16])
        let phenaki = mismatches { _ = try loadWeights(file, for: graph) }
        #expect(phenaki == [.unexpected(name: "to_v.weight", shape: [16, 16])])
        do { _ = try loadWeights(file, for: graph) } catch {
            #expect(error.description.contains("unexpected tensor 'to_v.weight' of shape [16, 16]"))
        }
        // A file holding exactly the graph's parameters passes the strict policy.
        let exact = fixture.file.tensors.filter { graph.parameter($0.key) != nil }
        #expect(try loadWeights(SafeTensorsFile(tensors: exact), for: graph, policy: .strict) == exact)
    }

    @Test func nonZeroBetaIsRefused() throws {
        let fixture = try WeightsFixture("transformer_spatial")
        var file = fixture.file
        file.tensors["norm_out.beta"]![flat: 3] = 0.5
        let list = mismatches { _ = try loadWeights(file, for: try fixture.trace()) }
        #expect(list == [.nonZeroBeta(name: "norm_out.beta", index: 3, value: 0.5)])
    }

    @Test func integerTensorForFloatParameterIsRefused() throws {
        let fixture = try WeightsFixture("layernorm")
        var file = fixture.file
        file.tensors["gamma"] = HostTensor(shape: [16], dtype: .int32, repeating: 1)
        // Through the file format, as a user's file would arrive.
        let path = temporaryPath("int.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(path: path)
        let list = mismatches { _ = try loadWeights(path: path, for: try fixture.trace()) }
        #expect(list == [.dtype(name: "gamma", file: .int32, expected: .float32)])
    }

    /// Submodules the graph does not build (VGG, discriminator) are skipped, at any depth;
    /// once the graph has parameters under the prefix, stray tensors there are errors.
    @Test func absentSubmodulesAreTolerated() throws {
        let fixture = try WeightsFixture("layernorm")
        var file = fixture.file
        file.tensors["vgg.features.0.weight"] = .zeros([4, 3, 3, 3])
        file.tensors["discr.to_logits.0.bias"] = .zeros([1])
        file.tensors["cvivit.discr.blocks.0.conv.weight"] = .zeros([2])
        let match = matchWeights(file.tensors, for: try fixture.trace())
        #expect(match.mismatches == [])
        #expect(match.tolerated.filter { $0.name.contains("discr") || $0.name.contains("vgg") }.map(\.reason)
            == [.absentSubmodule("discr"), .absentSubmodule("discr"), .absentSubmodule("vgg")])

        let tracer = Tracer()
        let w = tracer.scope("discr") { tracer.parameter("weight", [2], .ones) }
        let graph = try tracer.finish(outputs: [("y", w)])
        let list = mismatches {
            _ = try loadWeights(SafeTensorsFile(tensors: ["discr.weight": .zeros([2]), "discr.bias": .zeros([2]),
                                                          "vgg": .zeros([1])]),
                                for: graph)
        }
        // `vgg` here names a tensor, not a submodule.
        #expect(list == [.unexpected(name: "discr.bias", shape: [2]), .unexpected(name: "vgg", shape: [1])])
    }

    /// Export writes F32 that reads back to the same values, and loads strictly into the graph.
    @Test func exportRoundTrips() throws {
        let fixture = try WeightsFixture("transformer_maskgit")
        let graph = try fixture.trace()
        let parameters = try loadWeights(fixture.file, for: graph)
        let path = temporaryPath("export.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try exportWeights(parameters, to: path, metadata: ["step": "7"])

        let reread = try SafeTensorsFile.read(path: path)
        #expect(reread.tensors == parameters)
        #expect(reread.metadata == ["format": "pt", "step": "7"])
        #expect(try loadWeights(reread, for: graph, policy: .strict) == parameters)
        // Every stored dtype is F32.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.components(separatedBy: "\"dtype\":").count - 1 == parameters.count)
        #expect(header.components(separatedBy: "\"dtype\":\"F32\"").count - 1 == parameters.count)

        #expect(throws: WeightError.notFloat(name: "step", dtype: .int32)) {
            try exportWeights(["step": HostTensor(shape: [], dtype: .int32, scalars: [3])], to: path)
        }
    }

    /// F16 and BF16 files load, converted to float32 by the reader.
    @Test(arguments: ["F16", "BF16"])
    func halfPrecisionLoads(dtype: String) throws {
        let fixture = try WeightsFixture("attention_null_kv")
        let graph = try fixture.trace()
        let names = fixture.file.tensors.keys.sorted()
        let data = halfPrecisionBytes(names.map { ($0, fixture.file.tensors[$0]!, dtype) })
        let file = try SafeTensorsFile.decode(data)
        let feeds = try loadWeights(file, for: graph)
        #expect(Set(feeds.keys) == Set(graph.parameters.map(\.name)))
        for (name, value) in feeds {
            let rounded = fixture.file.tensors[name]!.scalars.map { v -> Double in
                dtype == "F16" ? Double(Float(Float16(Float(v))))
                               : Double(Float(bitPattern: Float(v).bitPattern & 0xffff_0000))
            }
            #expect(value == HostTensor(shape: fixture.file.tensors[name]!.shape, scalars: rounded), "\(name)")
            // The conversion really happened: half precision differs from the float32 original.
            #expect(value != fixture.file.tensors[name]!, "\(name)")
        }
    }

    @Test func unreadableFileIsAFileError() throws {
        let fixture = try WeightsFixture("layernorm")
        let path = temporaryPath("absent.safetensors")
        let graph = try fixture.trace()
        do {
            _ = try loadWeights(path: path, for: graph)
            Issue.record("loading a missing file succeeded")
        } catch {
            guard case .file(.unreadable(let reported, _)) = error else {
                Issue.record("expected an unreadable-file error, got \(error)")
                return
            }
            #expect(reported == path)
        }
    }
}
