import TensorGraph

/// A model name `ModelZoo` does not know.
public enum ModelZooError: Error, Equatable, CustomStringConvertible {
    /// `name` is not in `valid`.
    case unknownModel(name: String, valid: [String])

    public var description: String {
        switch self {
        case .unknownModel(let name, let valid):
            return "unknown model '\(name)'; valid models are: \(valid.joined(separator: ", "))"
        }
    }
}

/// Named, ready-to-trace models for the CLI, tests and benchmarks.
///
/// Every graph is the traced forward pass with a scalar output `loss` and the model output
/// `y`; the backward pass is added by the compiler (`addingParameterGradients`).
public enum ModelZoo {
    /// The names `graph(named:)` accepts, in a stable order.
    public static var names: [String] { ["mlp", "transformer-block"] }

    /// The forward graph of the model called `name`.
    ///
    /// - `mlp`: batch 16, 32 → 64 → 10 with GELU; inputs `x` f32[16,32] and `labels` i32[16];
    ///   `loss` is the mean cross-entropy.
    /// - `transformer-block`: phenaki `Transformer` of depth 1, width 512, 8 heads of 64, GEGLU
    ///   feed-forward ×4, on input `x` f32[1,576,512]; `loss` is the mean squared error against
    ///   the input `target` f32[1,576,512].
    /// - Throws: `ModelZooError.unknownModel` naming the valid models.
    /// - Parameter batch: the batch size (nil: the model's default, 16 for `mlp`, 1 for
    ///   `transformer-block`).
    public static func graph(named name: String, batch: Int? = nil) throws -> Graph {
        switch name {
        case "mlp": return try mlp(batch: batch ?? 16)
        case "transformer-block": return try transformerBlock(batch: batch ?? 1)
        default: throw ModelZooError.unknownModel(name: name, valid: names)
        }
    }

    static func mlp(batch: Int = 16, inFeatures: Int = 32, hidden: Int = 64, classes: Int = 10) throws -> Graph {
        try Tracer.trace { t in
            let x = t.input("x", [batch, inFeatures])
            let labels = t.input("labels", [batch], .int32)
            let y = MLP(inFeatures, hidden: hidden, classes)(x)
            let logProbabilities = y.logSoftmax(axis: -1)
            let loss = -(logProbabilities * labels.oneHot(classes)).sum(axes: [1]).mean()
            return ["loss": loss, "y": y]
        }
    }

    static func transformerBlock(batch: Int = 1, tokens: Int = 576, dim: Int = 512) throws -> Graph {
        try Tracer.trace { t in
            let x = t.input("x", [batch, tokens, dim])
            let target = t.input("target", [batch, tokens, dim])
            let y = Transformer(dim: dim, depth: 1, dimHead: 64, heads: 8, ffMult: 4)(x)
            let loss = (y - target).square().mean()
            return ["loss": loss, "y": y]
        }
    }
}
