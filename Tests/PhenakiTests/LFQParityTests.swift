import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// One case written by Tools/reference/make_lfq_fixtures.py (Tests/Fixtures/lfq/<name>) from
/// vector-quantize-pytorch 1.11.8's LFQ and phenaki-pytorch 0.5.0's CViViT, computed in float64:
/// weights, inputs (float inputs and `grad_weight`), outputs (float values, int32 `indices`,
/// `grad:<key>` and `grad_input:<input>` of the case's loss) and config.json.
private struct LFQFixture {
    let name: String
    let config: [String: Any]
    let weights: [String: HostTensor]
    let inputs: [String: HostTensor]
    let outputs: [String: HostTensor]

    init(_ name: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/lfq/\(name)").standardizedFileURL.path
        self.name = name
        let json = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        config = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
        weights = try SafeTensorsFile.read(path: dir + "/weights.safetensors").tensors
        inputs = try SafeTensorsFile.read(path: dir + "/inputs.safetensors").tensors
        outputs = try SafeTensorsFile.read(path: dir + "/outputs.safetensors").tensors
    }

    var constructor: [String: Any] { config["constructor_kwargs"] as? [String: Any] ?? [:] }
    func int(_ key: String) -> Int { constructor[key] as? Int ?? 0 }
    func pair(_ key: String) -> (Int, Int) {
        if let list = constructor[key] as? [Int], list.count == 2 { return (list[0], list[1]) }
        return (int(key), int(key))
    }
}

/// Traces `build` on the fixture's float inputs (plus `extraInputs`), which returns named outputs
/// and a loss term; adds Σ output[gradOf]·grad_weight to the loss, differentiates it with respect
/// to every parameter with a `grad:` entry in the fixture and every float input, runs the graph on
/// the reference interpreter (float64) and compiled (2 threads), and compares: float outputs ≤ 1e-4
/// relative to their max |value|, int32 outputs by the fraction of equal entries (≥ `minIdsEqual`),
/// gradients ≤ 1e-3 relative to their max |value|. Returns the worst errors seen.
@discardableResult
private func checkLFQParity(_ fixture: LFQFixture, gradOf: String, extraInputs: [String: HostTensor] = [:],
                            minIdsEqual: Double = 1,
                            build: ([String: Tensor]) -> (outputs: [(String, Tensor)], loss: Tensor)) throws -> [String: Double] {
    let tracer = Tracer()
    var tensors: [String: Tensor] = [:]
    for (name, value) in fixture.inputs.merging(extraInputs, uniquingKeysWith: { a, _ in a }).sorted(by: { $0.key < $1.key })
    where name != "grad_weight" {
        tensors[name] = tracer.input(name, value.shape, value.dtype)
    }
    let (outputs, lossTerm) = build(tensors)
    let graded = try #require(outputs.first { $0.0 == gradOf }?.1)
    let weight = tracer.input("grad_weight", graded.shape)
    let loss = (graded * weight).sum() + lossTerm
    let forward = try tracer.finish(outputs: outputs + [("loss", loss)])
    let floatInputs = forward.inputs.filter { $0.node.type.dtype == .float32 && $0.name != "grad_weight" }
    let params = forward.parameters.filter { fixture.outputs["grad:" + $0.name] != nil }
    let targets = params.map(\.node.id) + floatInputs.map(\.node.id)
    var (graph, grads) = try gradients(of: forward.output("loss")!, withRespectTo: targets, in: forward)
    let gradNames = params.map { "grad:" + $0.name } + floatInputs.map { "grad_input:" + $0.name }
    for (name, g) in zip(gradNames, grads) { graph.outputs.append(GraphOutput(name: name, node: g)) }

    // Every parameter is a stored float weight of the same shape; every stored gradient is ours.
    for p in forward.parameters {
        let reference = try #require(fixture.weights[p.name], "\(fixture.name): no weight \(p.name) in the fixture")
        #expect(reference.shape == p.node.type.shape, "\(fixture.name): \(p.name)")
    }
    for key in fixture.outputs.keys where key.hasPrefix("grad") {
        #expect(gradNames.contains(key), "\(fixture.name): \(key) has no Swift counterpart")
    }

    let feeds = fixture.weights.merging(fixture.inputs) { a, _ in a }.merging(extraInputs) { a, _ in a }
    let oracle = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
    let compiled = try PlanExecutor(plan: compile(graph), threads: 2).run(feeds: feeds)
    var worst: [String: Double] = [:]
    for (result, label) in [(oracle, "reference"), (compiled, "compiled")] {
        for name in outputs.map(\.0) + gradNames {
            guard let expected = fixture.outputs[name] else { continue }
            let actual = try #require(result[name], "\(name) missing")
            #expect(actual.shape == expected.shape, "\(fixture.name) \(label) \(name): shape \(actual.shape) vs \(expected.shape)")
            if expected.dtype == .int32 {
                let equal = zip(actual.scalars, expected.scalars).filter { $0 == $1 }.count
                let fraction = Double(equal) / Double(max(expected.count, 1))
                worst["\(label) \(name) equal"] = fraction
                #expect(fraction >= minIdsEqual, "\(fixture.name) \(label) \(name): \(fraction) equal")
                continue
            }
            let scale = max(expected.scalars.map(abs).max() ?? 0, 1e-6)
            let error = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            let tolerance = name.hasPrefix("grad") ? 1e-3 : 1e-4
            let relative = Double(error / scale)
            worst["\(label) \(name)"] = relative
            #expect(relative <= tolerance, "\(fixture.name) \(label) \(name): relative error \(relative)")
        }
    }
    print("LFQ \(fixture.name) parity: \(worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    return worst
}

@Suite struct LFQParityTests {
    /// `LFQ(dim=16, codebook_size=64)` in training mode on x [2, 18, 16] (`lfq`: the entropy
    /// softmax is saturated at inv_temperature 100) and on 0.02·x (`lfq_soft`: it is not).
    @Test(arguments: ["lfq", "lfq_soft"]) func lfq(_ name: String) throws {
        let f = try LFQFixture(name)
        let lfq = LFQ(dim: f.int("dim"), codebookSize: f.int("codebook_size"))
        #expect(lfq.hasProjections && lfq.codebookDim == 6)
        try checkLFQParity(f, gradOf: "quantized") { x in
            let (q, ids, aux) = lfq(x["x"]!)
            return ([("quantized", q), ("indices", ids), ("aux_loss", aux)], aux)
        }
    }

    /// `LFQ.indices_to_codes` inverts the quantizer: the codes of the indices are the signs.
    @Test func codesOfIndices() throws {
        let f = try LFQFixture("lfq")
        let lfq = LFQ(dim: f.int("dim"), codebookSize: f.int("codebook_size"))
        let ids = try #require(f.outputs["indices"])
        let t = Tracer()
        let codes = lfq.indicesToCodes(t.input("ids", ids.shape, .int32), projectOut: false)
        let graph = try t.finish(outputs: [("codes", codes)])
        let out = try #require(try ReferenceInterpreter(precision: .float64).run(graph, feeds: ["ids": ids])["codes"])
        #expect(out.shape == ids.shape + [6])
        for (i, id) in ids.scalars.enumerated() {
            let bits = (0..<6).map { (Int(id) >> (5 - $0)) & 1 == 1 ? 1.0 : -1.0 }
            #expect(Array(out.scalars[(i * 6)..<(i * 6 + 6)]) == bits)
        }
    }

    /// The tiny CViViT's forward (training mode, dropout 0): reconstruction, recon and aux
    /// losses, codebook ids, decode_from_codebook_indices, and the gradients of
    /// Σ recon·grad_weight + recon_loss + aux_loss wrt `vq.*` and the video.
    @Test func cvivitForward() throws {
        let f = try LFQFixture("cvivit")
        let model = CViViT(dim: f.int("dim"), imageSize: f.pair("image_size"), patchSize: f.pair("patch_size"),
                           temporalPatchSize: f.int("temporal_patch_size"), spatialDepth: f.int("spatial_depth"),
                           temporalDepth: f.int("temporal_depth"), dimHead: f.int("dim_head"), heads: f.int("heads"))
        let vq = model.quantizer(codebookSize: f.int("codebook_size"))
        let ids = try #require(f.outputs["indices"])
        let flatIds = HostTensor(shape: [ids.shape[0], ids.count / ids.shape[0]], dtype: .int32, scalars: ids.scalars)
        try checkLFQParity(f, gradOf: "recon", extraInputs: ["ids": flatIds], minIdsEqual: 0.999) { x in
            let (recon, reconLoss, auxLoss) = model.reconstruct(video: x["video"]!, quantizer: vq)
            let codebookIds = model.codebookIds(video: x["video"]!, quantizer: vq)
            let decoded = model.decodeFromCodebookIndices(x["ids"]!, quantizer: vq)
            return ([("recon", recon), ("recon_loss", reconLoss), ("aux_loss", auxLoss), ("indices", codebookIds),
                     ("decoded", decoded)], reconLoss + auxLoss)
        }
    }
}
