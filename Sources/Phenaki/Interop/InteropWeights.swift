import Foundation
import GraphCompiler
import GraphRuntime
import TensorGraph

/// A model's weights, read once from a phenaki-pytorch `state_dict` in safetensors and checked
/// against the model's complete graph (every parameter any call could use), so that a file saved
/// from another config fails up front with the whole list of mismatches, whatever the call.
struct InteropWeights {
    /// Every parameter of the complete graph, by `state_dict` name, as float32.
    let parameters: [String: HostTensor]

    /// Matches `tensors` against `completeGraph`'s parameters with the `.phenaki` policy (zero
    /// LayerNorm `beta` buffers, empty `null_kv`, unused `context_norm`, quantizer buffers,
    /// `vgg.*`/`discr.*` are accepted).
    init(tensors: [String: HostTensor], completeGraph: Graph, source: String) throws(WeightError) {
        let match = matchWeights(tensors, for: completeGraph, policy: .phenaki)
        if !match.mismatches.isEmpty { throw .mismatches(source: source, match.mismatches) }
        parameters = match.parameters
    }

    /// Reads the safetensors file at `path` (F32, F16 and BF16 tensors become float32).
    static func read(path: String) throws -> [String: HostTensor] {
        try requireFile(path, option: "--weights")
        do { return try SafeTensorsFile.read(path: path).tensors } catch { throw WeightError.file(error) }
    }
}

/// Throws `InteropError.fileNotFound` unless a file exists at `path`.
func requireFile(_ path: String, option: String) throws(InteropError) {
    if !FileManager.default.fileExists(atPath: path) { throw .fileNotFound(option: option, path: path) }
}

/// Compiles `graph` once and runs it on `parameters` and `inputs` with `threads` threads.
func runCompiled(_ graph: Graph, parameters: [String: HostTensor], inputs: [String: HostTensor],
                 threads: Int?) throws -> [String: HostTensor] {
    let executor = try PlanExecutor(plan: compile(graph), threads: threads)
    // The executor skips names the plan does not feed (parameters this call's graph lacks).
    return try executor.run(feeds: parameters.merging(inputs) { _, input in input })
}
