import TensorGraph

/// A file tensor the graph does not declare, accepted by the policy, and why.
public struct ToleratedWeight: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    /// The rule that accepted it.
    public var reason: WeightTolerance

    public init(name: String, shape: [Int], reason: WeightTolerance) {
        self.name = name
        self.shape = shape
        self.reason = reason
    }
}

/// The outcome of matching a file's tensors against a graph's parameters.
public struct WeightMatch: Equatable, Sendable {
    /// The file's tensor for every graph parameter that matched, by `state_dict` name.
    public var parameters: [String: HostTensor]
    /// File tensors the graph does not declare that the policy accepted, sorted by name.
    public var tolerated: [ToleratedWeight]
    /// Every problem: first the graph's parameters in graph order, then file-only tensors by name.
    public var mismatches: [WeightMismatch]

    public init(parameters: [String: HostTensor], tolerated: [ToleratedWeight], mismatches: [WeightMismatch]) {
        self.parameters = parameters
        self.tolerated = tolerated
        self.mismatches = mismatches
    }
}

/// Matches `tensors` (a `state_dict`, by name) against the parameters of `graph`.
///
/// Never throws: it reports every mismatch, so callers can show them all or decide themselves.
/// Graph parameters must be present with the same shape and a float dtype (F16/BF16/F64 files
/// are already float32 after reading); tensors the graph does not declare must be accepted
/// by `policy`.
public func matchWeights(_ tensors: [String: HostTensor], for graph: Graph,
                         policy: WeightPolicy = .phenaki) -> WeightMatch {
    let declared = graph.parameters
    var expected: [String: TensorType] = [:]
    for p in declared { expected[p.name] = p.node.type }

    var result = WeightMatch(parameters: [:], tolerated: [], mismatches: [])
    for p in declared {
        guard let tensor = tensors[p.name] else {
            result.mismatches.append(.missing(name: p.name, expected: p.node.type.shape))
            continue
        }
        var fits = true
        if tensor.dtype != p.node.type.dtype {
            result.mismatches.append(.dtype(name: p.name, file: tensor.dtype, expected: p.node.type.dtype))
            fits = false
        }
        if tensor.shape != p.node.type.shape {
            result.mismatches.append(.shape(name: p.name, file: tensor.shape, expected: p.node.type.shape))
            fits = false
        }
        if fits { result.parameters[p.name] = tensor }
    }

    let context = ToleranceContext(file: tensors, expected: expected)
    for name in tensors.keys.sorted() where expected[name] == nil {
        let tensor = tensors[name]!
        var outcome = ToleranceOutcome.notApplicable
        for rule in policy.tolerances {
            outcome = context.apply(rule, to: name, tensor)
            if case .notApplicable = outcome { continue }
            break
        }
        switch outcome {
        case .tolerated(let rule):
            result.tolerated.append(ToleratedWeight(name: name, shape: tensor.shape, reason: rule))
        case .rejected(let mismatch):
            result.mismatches.append(mismatch)
        case .notApplicable:
            result.mismatches.append(.unexpected(name: name, shape: tensor.shape))
        }
    }
    return result
}

/// The value of every parameter of `graph`, taken from `file`, ready to feed a plan.
///
/// Throws `WeightError.mismatches` listing every missing parameter (with its expected shape),
/// every shape or dtype mismatch (with both), and every file tensor the graph does not declare
/// and `policy` does not accept. Parameters the graph lacks but phenaki-pytorch saves as
/// buffers (the LayerNorm `beta`) may be absent from the file. `source` names the file in the
/// message.
public func loadWeights(_ file: SafeTensorsFile, for graph: Graph, policy: WeightPolicy = .phenaki,
                        source: String = "the weights file") throws(WeightError) -> [String: HostTensor] {
    let match = matchWeights(file.tensors, for: graph, policy: policy)
    if !match.mismatches.isEmpty { throw .mismatches(source: source, match.mismatches) }
    return match.parameters
}

/// Reads the safetensors file at `path` and loads it as `loadWeights(_:for:policy:source:)` does.
public func loadWeights(path: String, for graph: Graph,
                        policy: WeightPolicy = .phenaki) throws(WeightError) -> [String: HostTensor] {
    let file: SafeTensorsFile
    do { file = try SafeTensorsFile.read(path: path) } catch { throw .file(error) }
    return try loadWeights(file, for: graph, policy: policy, source: path)
}

/// What one tolerance rule says about one file tensor.
private enum ToleranceOutcome {
    case tolerated(WeightTolerance)
    case rejected(WeightMismatch)
    case notApplicable
}

/// The file and the graph's parameters, which the tolerance rules consult.
private struct ToleranceContext {
    let file: [String: HostTensor]
    let expected: [String: TensorType]

    func apply(_ rule: WeightTolerance, to name: String, _ tensor: HostTensor) -> ToleranceOutcome {
        switch rule {
        case .emptyTensor:
            return tensor.count == 0 ? .tolerated(rule) : .notApplicable
        case .absentSubmodule(let component):
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            // The last component names the tensor itself, not a submodule.
            guard let index = parts.dropLast().firstIndex(where: { $0 == component }) else { return .notApplicable }
            let prefix = parts[...index].joined(separator: ".") + "."
            return expected.keys.contains { $0.hasPrefix(prefix) } ? .notApplicable : .tolerated(rule)
        case .selfAttentionContextNorm:
            guard let layer = prefix(of: name, ending: "context_norm.gamma"),
                  expected[layer + "to_q.weight"] != nil,
                  let norm = expected[layer + "norm.gamma"], norm.shape == tensor.shape,
                  expected[layer + "context_norm.gamma"] == nil
            else { return .notApplicable }
            return .tolerated(rule)
        case .zeroLayerNormBeta:
            guard let module = prefix(of: name, ending: "beta"), tensor.dtype == .float32,
                  let gamma = file[module + "gamma"], gamma.shape == tensor.shape
            else { return .notApplicable }
            if let index = tensor.scalars.firstIndex(where: { $0 != 0 }) {
                return .rejected(.nonZeroBeta(name: name, index: index, value: tensor.scalars[index]))
            }
            return .tolerated(rule)
        case .lfqBitMask:
            guard prefix(of: name, ending: "mask") != nil, tensor.dtype == .int32, tensor.shape.count == 1,
                  let bits = tensor.shape.first, bits >= 1, bits < 31
            else { return .notApplicable }
            let expectedBits = (0..<bits).map { Double(1 << (bits - 1 - $0)) }
            return tensor.scalars == expectedBits
                ? .tolerated(rule) : .rejected(.unexpectedBuffer(name: name, values: tensor.scalars, expected: expectedBits))
        case .vectorQuantizeEMAState:
            for buffer in ["initted", "cluster_size", "embed_avg"] {
                guard let codebook = prefix(of: name, ending: "_codebook." + buffer),
                      let embed = expected[codebook + "_codebook.embed"], embed.shape.count == 3
                else { continue }
                let shapes = ["initted": [1], "cluster_size": Array(embed.shape.prefix(2)), "embed_avg": embed.shape]
                guard tensor.shape == shapes[buffer]! else { return .notApplicable }
                if buffer == "initted", tensor.scalars.contains(0) { return .rejected(.uninitializedCodebook(name: name)) }
                return .tolerated(rule)
            }
            return .notApplicable
        }
    }

    /// `"layers.0.1."` for `"layers.0.1.context_norm.gamma"` ending in `"context_norm.gamma"`;
    /// `""` for the bare name; nil when `name` is not `<prefix><ending>` on a component boundary.
    private func prefix(of name: String, ending: String) -> String? {
        if name == ending { return "" }
        guard name.hasSuffix("." + ending) else { return nil }
        return String(name.dropLast(ending.count))
    }
}
