import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// One fixture written by Tools/reference/make_maskgit_fixtures.py from phenaki-pytorch 0.5.0
/// (the layout of make_block_fixtures.py, under Tests/Fixtures/maskgit/<name>).
struct MaskGitFixture {
    let name: String
    let config: [String: Any]
    let weights: [String: HostTensor]
    let inputs: [String: HostTensor]
    let outputs: [String: HostTensor]

    init(_ name: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/maskgit/\(name)").standardizedFileURL.path
        self.name = name
        let json = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        config = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
        weights = try SafeTensorsFile.read(path: dir + "/weights.safetensors").tensors
        inputs = try SafeTensorsFile.read(path: dir + "/inputs.safetensors").tensors
        outputs = try SafeTensorsFile.read(path: dir + "/outputs.safetensors").tensors
    }

    var constructor: [String: Any] { config["constructor_kwargs"] as? [String: Any] ?? [:] }
    func int(_ key: String, _ fallback: Int) -> Int { constructor[key] as? Int ?? fallback }
    func double(_ key: String, _ fallback: Double) -> Double {
        (constructor[key] as? NSNumber)?.doubleValue ?? fallback
    }
    func bool(_ key: String) -> Bool { constructor[key] as? Bool ?? false }
    var videoPatchShape: [Int] { inputs["video_patch_shape"]!.scalars.map { Int($0) } }
}

/// Traces `build` on the fixture's inputs (token ids `x` as int32, float and bool tensors as
/// stored; `video_patch_shape` is a trace-time constant), adds L = Σ y·grad_weight and its
/// gradients, runs it on the reference interpreter (float64) and the compiled plan (2 threads),
/// and compares y (≤ 1e-4 relative) and every gradient (≤ 1e-3 relative) with the fixture.
func checkMaskGitParity(_ fixture: MaskGitFixture, build: (Tracer, [String: Tensor]) -> Tensor) throws {
    let tracer = Tracer()
    var tensors: [String: Tensor] = [:]
    for (name, value) in fixture.inputs.sorted(by: { $0.key < $1.key })
    where name != "grad_weight" && name != "video_patch_shape" {
        tensors[name] = tracer.input(name, value.shape, value.dtype)
    }
    let y = build(tracer, tensors)
    let weight = tracer.input("grad_weight", y.shape)
    let loss = (y * weight).sum()
    let forward = try tracer.finish(outputs: [("y", y), ("loss", loss)])
    let floatInputs = forward.inputs.filter { $0.node.type.dtype == .float32 && $0.name != "grad_weight" }
    let targets = forward.parameters.map(\.node.id) + floatInputs.map(\.node.id)
    var (graph, grads) = try gradients(of: forward.output("loss")!, withRespectTo: targets, in: forward)
    let names = forward.parameters.map { "grad:" + $0.name } + floatInputs.map { "grad_input:" + $0.name }
    for (name, g) in zip(names, grads) { graph.outputs.append(GraphOutput(name: name, node: g)) }

    for p in forward.parameters {
        let reference = try #require(fixture.weights[p.name], "\(fixture.name): no weight \(p.name) in the fixture")
        #expect(reference.shape == p.node.type.shape, "\(fixture.name): \(p.name)")
    }
    // Every fixture parameter gradient is matched by a Swift parameter, except the ones
    // phenaki-pytorch never uses: the self-attention's empty null_kv [heads, 0, dim_head] and
    // its context_norm.gamma (self-attention has no context); their gradients are all zero.
    let swiftNames = Set(names)
    for (key, value) in fixture.outputs where key.hasPrefix("grad:") && !swiftNames.contains(key) {
        #expect(value.scalars.allSatisfy { $0 == 0 }, "\(fixture.name): \(key) has no Swift parameter")
    }
    // Relative errors are taken against max|expected|, floored at 1e-3 of the largest parameter
    // gradient: continuous_pos_bias.net.<last>.bias shifts every logit of a softmax row alike,
    // so its gradient is zero up to float32 noise (~1e-7) and has no scale of its own.
    let gradientScale = fixture.outputs.filter { $0.key.hasPrefix("grad:") }
        .map { $0.value.scalars.map(abs).max() ?? 0 }.max() ?? 0
    let fed = Set(forward.parameters.map(\.name) + forward.inputs.map(\.name))
    let feeds = fixture.weights.merging(fixture.inputs) { a, _ in a }.filter { fed.contains($0.key) }
    let oracle = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
    let compiled = try PlanExecutor(plan: compile(graph), threads: 2).run(feeds: feeds)
    for (result, label) in [(oracle, "reference interpreter"), (compiled, "compiled plan")] {
        for name in ["y"] + names {
            let expected = try #require(fixture.outputs[name], "\(fixture.name): \(name) not in the fixture")
            let actual = try #require(result[name], "\(name) missing")
            #expect(actual.shape == expected.shape, "\(fixture.name) \(label) \(name): shape")
            let tolerance = name == "y" ? 1e-4 : 1e-3
            let floor = name == "y" ? 1e-6 : max(1e-3 * gradientScale, 1e-6)
            let scale = max(expected.scalars.map(abs).max() ?? 0, floor)
            let error = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(error / scale <= tolerance, "\(fixture.name) \(label) \(name): relative error \(error / scale)")
            if ProcessInfo.processInfo.environment["MASKGIT_PARITY_VERBOSE"] != nil {
                print("\(fixture.name) \(label) \(name): \(error / scale)")
            }
        }
    }
}

@Suite struct MaskGitParityTests {
    @Test(arguments: ["maskgit_text", "maskgit_unconditional"])
    func maskGit(name: String) throws {
        let f = try MaskGitFixture(name)
        let model = MaskGit(dim: f.int("dim", 0), numTokens: f.int("num_tokens", 0), maxSeqLen: f.int("max_seq_len", 0),
                            depth: f.int("depth", 1), gradientShrinkAlpha: f.double("gradient_shrink_alpha", 0.1),
                            heads: f.int("heads", 8), dimHead: f.int("dim_head", 64), unconditional: f.bool("unconditional"),
                            dimContext: f.constructor["dim_context"] as? Int, ffMult: f.double("ff_mult", 4))
        let shape = f.videoPatchShape
        try checkMaskGitParity(f) { _, x in
            model(x["x"]!, videoPatchShape: shape, text: x["text_embeds"], textMask: x["text_mask"],
                  videoMask: x["video_mask"])
        }
    }

    @Test func tokenCritic() throws {
        let f = try MaskGitFixture("token_critic_text")
        let model = TokenCritic(dim: f.int("dim", 0), numTokens: f.int("num_tokens", 0),
                                maxSeqLen: f.int("max_seq_len", 0), depth: f.int("depth", 1),
                                hasCrossAttn: f.bool("has_cross_attn"), dimContext: f.constructor["dim_context"] as? Int,
                                heads: f.int("heads", 8), dimHead: f.int("dim_head", 64), ffMult: f.double("ff_mult", 4))
        let shape = f.videoPatchShape
        try checkMaskGitParity(f) { _, x in
            model(x["x"]!, videoPatchShape: shape, context: x["text_embeds"], textMask: x["text_mask"],
                  videoMask: x["video_mask"])
        }
    }
}
