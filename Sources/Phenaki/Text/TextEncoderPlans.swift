import Foundation
import GraphCompiler
import GraphRuntime
import TensorGraph

/// Runs a token encoder graph (`ids` int32 [b, n], `mask` bool [b, n] → `embeddings`
/// [b, n, dim]) on fixed weights, compiling it once per (batch, tokens) shape and keeping
/// the executor, whose parameters are fed once.
final class TextEncoderPlans {
    /// Traces the encoder on `ids` and `mask`.
    typealias Build = (_ ids: Tensor, _ mask: Tensor) -> Tensor

    let build: Build
    let weights: [String: HostTensor]
    let source: String
    let threads: Int?
    private var executors: [[Int]: PlanExecutor] = [:]

    /// `weights` may hold more tensors than the graph declares (a checkpoint's pooler or
    /// tied copies); missing or misshapen ones are reported by `loadWeights` on first use.
    init(weights: [String: HostTensor], source: String, threads: Int? = nil, build: @escaping Build) {
        self.build = build
        self.weights = weights
        self.source = source
        self.threads = threads
    }

    /// The traced graph for `batch` texts of `tokens` tokens.
    func graph(batch: Int, tokens: Int) throws -> Graph {
        let t = Tracer()
        let ids = t.input("ids", [batch, tokens], .int32)
        let mask = t.input("mask", [batch, tokens], .bool)
        return try t.finish(outputs: [("embeddings", build(ids, mask))])
    }

    /// Embeddings [b, n, dim] of `ids` (rows padded with any id) under `mask` (1: real token).
    func run(ids: HostTensor, mask: HostTensor) throws -> HostTensor {
        let key = ids.shape
        let executor: PlanExecutor
        if let cached = executors[key] {
            executor = cached
        } else {
            let graph = try graph(batch: key[0], tokens: key[1])
            let declared = Set(graph.parameters.map(\.name))
            let file = SafeTensorsFile(tensors: weights.filter { declared.contains($0.key) })
            let parameters = try loadWeights(file, for: graph, policy: .strict, source: source)
            executor = try PlanExecutor(plan: compile(graph), threads: threads)
            for (name, value) in parameters { try executor.setFeed(name, value) }
            executors[key] = executor
        }
        try executor.setFeed("ids", ids)
        try executor.setFeed("mask", mask)
        try executor.run()
        guard let embeddings = executor.output("embeddings") else {
            preconditionFailure("the encoder plan has no embeddings output")  // graph(batch:tokens:) names it
        }
        return embeddings
    }
}

/// Batches token id lists: right-padded with `padID` to the longest, with the attention mask.
func paddedBatch(_ lists: [[Int32]], padID: Int32) -> (ids: HostTensor, mask: HostTensor) {
    let tokens = lists.map(\.count).max() ?? 0
    var ids = [Double](repeating: Double(padID), count: lists.count * tokens)
    var mask = [Double](repeating: 0, count: lists.count * tokens)
    for (row, list) in lists.enumerated() {
        for (i, id) in list.enumerated() {
            ids[row * tokens + i] = Double(id)
            mask[row * tokens + i] = 1
        }
    }
    return (HostTensor(shape: [lists.count, tokens], dtype: .int32, scalars: ids),
            HostTensor(shape: [lists.count, tokens], dtype: .bool, scalars: mask))
}

/// Zeroes the embedding rows of padding tokens, as phenaki-pytorch's `t5_encode_text` does.
func zeroPadding(_ embeddings: HostTensor, mask: HostTensor) -> HostTensor {
    var out = embeddings
    let dim = embeddings.shape[2]
    for row in 0..<mask.count where mask.scalars[row] == 0 {
        for i in (row * dim)..<((row + 1) * dim) { out.scalars[i] = 0 }
    }
    return out
}
