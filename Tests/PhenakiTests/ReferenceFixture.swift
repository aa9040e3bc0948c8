import Foundation
import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

/// One case written by a script in Tools/reference/ from phenaki-pytorch 0.5.0 (and
/// vector-quantize-pytorch 1.11.8): `Tests/Fixtures/<folder>/<name>/` with `weights`, `inputs`
/// and `outputs` safetensors (`y` or named outputs, `grad:<key>`, `grad_input:<input>`) and
/// `config.json` (constructor and call arguments).
struct ReferenceFixture {
    /// Inputs that are Python ints in phenaki-pytorch (shapes, grid sizes): trace-time
    /// constants in Swift, never graph inputs.
    static let traceTimeInputs: Set<String> = ["video_shape", "video_patch_shape", "dimensions"]

    let name: String
    let config: [String: Any]
    let weights: [String: HostTensor]
    let inputs: [String: HostTensor]
    let outputs: [String: HostTensor]

    init(_ folder: String, _ name: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/\(folder)/\(name)").standardizedFileURL.path
        self.name = name
        let json = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        config = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
        weights = try SafeTensorsFile.read(path: dir + "/weights.safetensors").tensors
        inputs = try SafeTensorsFile.read(path: dir + "/inputs.safetensors").tensors
        outputs = try SafeTensorsFile.read(path: dir + "/outputs.safetensors").tensors
    }

    var constructor: [String: Any] { config["constructor_kwargs"] as? [String: Any] ?? [:] }
    func int(_ key: String, _ fallback: Int = 0) -> Int { constructor[key] as? Int ?? fallback }
    func double(_ key: String, _ fallback: Double) -> Double { (constructor[key] as? NSNumber)?.doubleValue ?? fallback }
    func bool(_ key: String) -> Bool { constructor[key] as? Bool ?? false }
    /// An int or an [h, w] pair (`image_size`, `patch_size`).
    func pair(_ key: String) -> (Int, Int) {
        if let list = constructor[key] as? [Int], list.count == 2 { return (list[0], list[1]) }
        return (int(key), int(key))
    }
    /// A trace-time int input as Swift ints.
    func ints(_ key: String) -> [Int] { inputs[key]!.scalars.map { Int($0) } }
}

/// The graph of a parity check run on both backends.
struct ParityRun {
    /// The traced forward graph (outputs, then `loss`).
    let forward: Graph
    /// `grad:<parameter>` then `grad_input:<float input>`, in graph order.
    let gradientNames: [String]
    /// The reference interpreter's (float64) and the compiled plan's (2 threads) outputs.
    let results: [(label: String, values: [String: HostTensor])]
}

/// Traces `build` on the fixture's inputs (trace-time ints left out) plus `extraInputs`; the
/// loss is Σ graded·grad_weight (+ the returned loss term), differentiated with respect to the
/// parameters `differentiate` accepts and every float input; checks that every parameter is a
/// fixture weight of the same shape; runs the graph on both backends.
func runParity(
    _ fixture: ReferenceFixture, extraInputs: [String: HostTensor] = [:],
    differentiate: (String) -> Bool = { _ in true },
    build: (Tracer, [String: Tensor]) -> (outputs: [(String, Tensor)], graded: Tensor, lossTerm: Tensor?)
) throws -> ParityRun {
    let tracer = Tracer()
    let available = fixture.inputs.merging(extraInputs) { a, _ in a }
    var tensors: [String: Tensor] = [:]
    for (name, value) in available.sorted(by: { $0.key < $1.key })
    where name != "grad_weight" && !ReferenceFixture.traceTimeInputs.contains(name) {
        tensors[name] = tracer.input(name, value.shape, value.dtype)
    }
    let (outputs, graded, lossTerm) = build(tracer, tensors)
    let weighted = (graded * tracer.input("grad_weight", graded.shape)).sum()
    let loss = lossTerm.map { weighted + $0 } ?? weighted
    let forward = try tracer.finish(outputs: outputs + [("loss", loss)])
    let floatInputs = forward.inputs.filter { $0.node.type.dtype == .float32 && $0.name != "grad_weight" }
    let parameters = forward.parameters.filter { differentiate($0.name) }
    var (graph, grads) = try gradients(of: forward.output("loss")!,
                                       withRespectTo: parameters.map(\.node.id) + floatInputs.map(\.node.id), in: forward)
    let names = parameters.map { "grad:" + $0.name } + floatInputs.map { "grad_input:" + $0.name }
    for (name, g) in zip(names, grads) { graph.outputs.append(GraphOutput(name: name, node: g)) }

    // Every parameter of the Swift graph is a phenaki-pytorch state_dict entry of the same shape.
    for p in forward.parameters {
        let reference = try #require(fixture.weights[p.name], "\(fixture.name): no weight \(p.name) in the fixture")
        #expect(reference.shape == p.node.type.shape, "\(fixture.name): \(p.name)")
    }
    // Both backends ignore feeds the graph does not read (trace-time ints, unused weights).
    let feeds = fixture.weights.merging(available) { a, _ in a }
    let oracle = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
    let compiled = try PlanExecutor(plan: compile(graph), threads: 2).run(feeds: feeds)
    return ParityRun(forward: forward, gradientNames: names,
                     results: [("reference interpreter", oracle), ("compiled plan", compiled)])
}

/// max |actual − expected| over max(max |expected|, floor).
func relativeError(_ actual: HostTensor, _ expected: HostTensor, floor: Double = 1e-6) -> Double {
    let scale = max(expected.scalars.map(abs).max() ?? 0, floor)
    return (zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0) / scale
}
