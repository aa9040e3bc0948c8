import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// One fixture written by Tools/reference/make_cvivit_fixtures.py from phenaki-pytorch 0.5.0's
/// CViViT (Tests/Fixtures/cvivit/<name>): weights (the state_dict keys the half uses), inputs,
/// outputs (`y`, `grad:<key>`, `grad_input:<input>` of Σ y·grad_weight) and config.json.
private struct CViViTFixture {
    let name: String
    let config: [String: Any]
    let weights: [String: HostTensor]
    let inputs: [String: HostTensor]
    let outputs: [String: HostTensor]

    init(_ name: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/cvivit/\(name)").standardizedFileURL.path
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

    var model: CViViT {
        CViViT(dim: int("dim"), imageSize: pair("image_size"), patchSize: pair("patch_size"),
               temporalPatchSize: int("temporal_patch_size"), spatialDepth: int("spatial_depth"),
               temporalDepth: int("temporal_depth"), dimHead: int("dim_head"), heads: int("heads"))
    }
}

/// Gradients that are exactly zero in exact arithmetic, with the gradient whose scale measures
/// their float32 roundoff. The last layer bias of `spatial_rel_pos_bias` adds one constant per
/// head to every attention score of the (unmasked, null-kv-free) spatial attention, which the
/// softmax cancels; PyTorch's float32 value is noise (~1e-7), so it is compared in absolute terms
/// against the scale of `net.2.weight`'s gradient instead of relative to itself.
private let zeroGradientReference = [
    "grad:spatial_rel_pos_bias.net.2.bias": "grad:spatial_rel_pos_bias.net.2.weight",
]

/// As BlockParityTests' `checkParity`: traces `build` on the fixture's float inputs, adds the loss
/// Σ y·grad_weight and its gradients, runs it on the reference interpreter (float64) and compiled
/// (2 threads), and compares y (≤ 1e-4 relative to max |y|) and every gradient (≤ 1e-3).
/// Returns the worst relative errors seen, for the record.
@discardableResult
private func checkCViViTParity(_ fixture: CViViTFixture, build: ([String: Tensor]) -> Tensor) throws -> [String: Double] {
    let tracer = Tracer()
    var tensors: [String: Tensor] = [:]
    for (name, value) in fixture.inputs.sorted(by: { $0.key < $1.key }) where value.dtype != .int32 && name != "grad_weight" {
        tensors[name] = tracer.input(name, value.shape, value.dtype)
    }
    let y = build(tensors)
    let weight = tracer.input("grad_weight", y.shape)
    let loss = (y * weight).sum()
    let forward = try tracer.finish(outputs: [("y", y), ("loss", loss)])
    let floatInputs = forward.inputs.filter { $0.node.type.dtype == .float32 && $0.name != "grad_weight" }
    let targets = forward.parameters.map(\.node.id) + floatInputs.map(\.node.id)
    var (graph, grads) = try gradients(of: forward.output("loss")!, withRespectTo: targets, in: forward)
    let names = forward.parameters.map { "grad:" + $0.name } + floatInputs.map { "grad_input:" + $0.name }
    for (name, g) in zip(names, grads) { graph.outputs.append(GraphOutput(name: name, node: g)) }

    // Every parameter is a state_dict key of the same shape, and every parameter the half uses
    // in phenaki-pytorch (a gradient that is not all zeros) is one of ours.
    for p in forward.parameters {
        let reference = try #require(fixture.weights[p.name], "\(fixture.name): no weight \(p.name) in the fixture")
        #expect(reference.shape == p.node.type.shape, "\(fixture.name): \(p.name)")
    }
    let ours = Set(forward.parameters.map(\.name))
    for (key, grad) in fixture.outputs where key.hasPrefix("grad:") && grad.scalars.contains(where: { $0 != 0 }) {
        #expect(ours.contains(String(key.dropFirst(5))), "\(fixture.name): \(key) is not a Swift parameter")
    }
    #expect(fixture.outputs["y"]?.shape == y.shape, "\(fixture.name): y shape")

    var feeds = fixture.weights.merging(fixture.inputs) { a, _ in a }
    feeds = feeds.filter { $0.value.dtype != .int32 }
    let oracle = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
    let compiled = try PlanExecutor(plan: compile(graph), threads: 2).run(feeds: feeds)
    var worst: [String: Double] = [:]
    for (result, label) in [(oracle, "reference"), (compiled, "compiled")] {
        for name in ["y"] + names {
            guard let expected = fixture.outputs[name] else { continue }
            let actual = try #require(result[name], "\(name) missing")
            var scale = max(expected.scalars.map(abs).max() ?? 0, 1e-6)
            if let reference = zeroGradientReference[name] {
                // Mathematically zero: both sides must be roundoff next to the reference
                // gradient's scale (checked below against the same 1e-3).
                let referenceScale = fixture.outputs[reference]!.scalars.map(abs).max() ?? 0
                #expect(scale <= 1e-5 * referenceScale, "\(fixture.name): \(name) is not ~0 in the fixture")
                scale = referenceScale
            }
            let error = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            let tolerance = name == "y" ? 1e-4 : 1e-3
            let relative = Double(error / scale)
            let key = "\(label) " + (name == "y" ? "y" : name.hasPrefix("grad_input:") ? "grad_input" : "grad")
            worst[key] = max(worst[key] ?? 0, relative)
            #expect(relative <= tolerance, "\(fixture.name) \(label) \(name): relative error \(relative)")
        }
    }
    print("CViViT \(fixture.name) parity, worst relative errors: \(worst.sorted { $0.key < $1.key })")
    return worst
}

@Suite struct CViViTParityTests {
    /// Patch embedding + `CViViT.encode` on a [2, 3, 5, 8, 12] video: pre-quantizer tokens [2, 3, 2, 3, 16].
    @Test func encodeHalf() throws {
        let f = try CViViTFixture("encode")
        let model = f.model
        try checkCViViTParity(f) { x in model.encodeTokens(video: x["video"]!) }
    }

    /// `CViViT.decode` of random [2, 3, 2, 3, 16] tokens: pixels [2, 3, 5, 8, 12].
    @Test func decodeHalf() throws {
        let f = try CViViTFixture("decode")
        let model = f.model
        try checkCViViTParity(f) { x in model.decodeTokens(x["tokens"]!) }
    }
}
