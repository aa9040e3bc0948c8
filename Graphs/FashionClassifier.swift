import TensorGraph

/// The Fashion-MNIST item classifier `phenaki eval` scores generated clips with: a 2-layer MLP
/// `784 → hidden → 10` with ReLU on a 28 × 28 grey crop of the item, flattened row-major.
///
/// Parameters follow `nn.Sequential` numbering: `0.weight`, `0.bias`, `2.weight`, `2.bias`.
/// An MLP rather than a conv net: it reaches the accuracy the scorer needs (≈ 87 % on the
/// official test set) in a few hundred steps on a CPU, and the crops it sees are centred and
/// scaled already, which takes away most of what convolutions would buy.
public struct FashionClassifier: Layer {
    /// Side of the square grey input picture.
    public static let side = 28
    /// Fashion-MNIST's classes.
    public static let classes = 10

    /// Hidden features.
    public let hidden: Int

    /// A classifier with `hidden` hidden features.
    public init(hidden: Int = 256) {
        self.hidden = hidden
    }

    /// The network as a `Sequential`.
    public var body: Sequential {
        Sequential {
            Linear(Self.side * Self.side, hidden)
            ReLU()
            Linear(hidden, Self.classes)
        }
    }

    /// Maps pictures `x` [b, 784] with values in [0, 1] to class logits [b, 10].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        // Centre the inputs around 0 so the first layer's default initialisation suits them.
        body((x - 0.5) * 2.0)
    }

    /// The training forward graph: inputs `x` f32[batch, 784] and `labels` i32[batch]; outputs
    /// `loss` (mean cross-entropy) and `logits` f32[batch, 10].
    public func lossGraph(batch: Int) throws -> Graph {
        try Tracer.trace { t in
            let x = t.input("x", [batch, Self.side * Self.side])
            let labels = t.input("labels", [batch], .int32)
            let logits = self(x)
            let nll = -(logits.logSoftmax(axis: 1) * labels.oneHot(Self.classes)).sum(axes: [1])
            return ["loss": nll.mean(), "logits": logits]
        }
    }

    /// The inference graph: input `x` f32[batch, 784]; output `classes` i32[batch], the argmax
    /// of the logits, and `logits` f32[batch, 10].
    public func predictionGraph(batch: Int) throws -> Graph {
        try Tracer.trace { t in
            let x = t.input("x", [batch, Self.side * Self.side])
            let logits = self(x)
            return ["classes": logits.argmax(axis: 1), "logits": logits]
        }
    }
}
