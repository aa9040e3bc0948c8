import GraphRuntime
import PhenakiGraphs
import TensorGraph

/// A small supervised problem for a DSL model: a forward graph with a scalar `loss` output and
/// the fixed data it trains on. The main job trains these until the Phenaki pipeline exists.
public struct ToyTask: Sendable {
    /// Short name for logs.
    public let name: String
    /// Forward graph with a scalar output `loss`.
    public let graph: Graph
    /// Feeds for every input of `graph`.
    public let data: [String: HostTensor]

    /// Classify 64 Gaussian points into 4 classes labelled by a random linear teacher,
    /// with an MLP `8 → 32 → 4` and cross-entropy.
    public static func mlpClassification(seed: Int32 = 1) throws -> ToyTask {
        let (samples, features, classes) = (64, 8, 4)
        let data = try generate(seed: seed) { t, key in
            let x = t.randomNormal(t.derivedKey(key, 0), [samples, features])
            let teacher = t.randomNormal(t.derivedKey(key, 1), [features, classes])
            return ["x": x, "labels": matmul(x, teacher).argmax(axis: 1)]
        }
        let graph = try Tracer.trace { t in
            let x = t.input("x", [samples, features])
            let labels = t.input("labels", [samples], .int32)
            let logits = MLP(features, hidden: 32, classes)(x)
            let nll = -(logits.logSoftmax(axis: 1) * labels.oneHot(classes)).sum(axes: [1])
            return ["loss": nll.mean(), "logits": logits]
        }
        return ToyTask(name: "mlp classification", graph: graph, data: data)
    }

    /// Map 2 sequences of 8 tokens (dim 32) to tanh of a fixed random projection, with one
    /// phenaki transformer block (attention + GEGLU feed-forward) and mean squared error.
    public static func transformerRegression(seed: Int32 = 2) throws -> ToyTask {
        let (batch, tokens, dim) = (2, 8, 32)
        let data = try generate(seed: seed) { t, key in
            let x = t.randomNormal(t.derivedKey(key, 0), [batch, tokens, dim])
            let projection = t.randomNormal(t.derivedKey(key, 1), [dim, dim]) / Double(dim).squareRoot()
            return ["x": x, "target": matmul(x, projection).tanh()]
        }
        let graph = try Tracer.trace { t in
            let x = t.input("x", [batch, tokens, dim])
            let target = t.input("target", [batch, tokens, dim])
            let y = TransformerBlock(dim: dim, dimHead: 8, heads: 4, ffMult: 2).named("layers.0")(x)
            return ["loss": (y - target).square().mean(), "y": y]
        }
        return ToyTask(name: "transformer-block regression", graph: graph, data: data)
    }

    /// Runs a small graph of random ops once to produce data (the IR's own RNG, so the data
    /// is the same on every machine).
    private static func generate(
        seed: Int32, _ body: (Tracer, Tensor) -> KeyValuePairs<String, Tensor>
    ) throws -> [String: HostTensor] {
        let tracer = Tracer()
        let key = tracer.rngKey("data")
        let outputs = body(tracer, key)
        let graph = try tracer.finish(outputs: outputs.map { ($0.key, $0.value) })
        let keyValue = HostTensor(shape: [2], dtype: .int32, scalars: [Double(seed), 0])
        return try ReferenceInterpreter().run(graph, feeds: ["data": keyValue])
    }
}

extension Tracer {
    /// A key derived from `key` for stream `n`.
    fileprivate func derivedKey(_ key: Tensor, _ n: Int) -> Tensor { record(.foldIn(data: n), [key]) }
}
