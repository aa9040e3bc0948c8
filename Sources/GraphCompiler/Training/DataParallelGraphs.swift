import GraphRuntime
import TensorGraph

/// `trainingGraph` cut in two at the gradients, so that data-parallel ranks can average their
/// gradients between the backward pass and the optimizer update:
///
/// - the gradient graph: the forward graph's outputs and `grad:<name>`, the gradient of the
///   loss for every trained parameter;
/// - the update graph: `trainingGraph` itself, run on a stand-in forward whose loss is
///   `train.loss + Σ sum(w ⊙ grad:<w>)` over inputs `grad:<w>` (the averaged gradients) and
///   `train.loss` (the averaged loss). Its gradient with respect to `w` is exactly `grad:<w>`
///   (the backward multiplies it by the loss seed 1), so clipping on the global norm, the
///   non-finite check, AdamW, EMA and gradient accumulation are the very ops of the one-process
///   plan, applied to averaged gradients, and its state feeds and `next:` outputs have the same
///   names.
///
/// Models with buffers (forward-updated parameters) are refused: their updates would need
/// averaging of their own.
public enum DataParallelGraphs {
    /// The output-name prefix of a gradient in the gradient graph and of its input in the update graph.
    public static let gradientPrefix = DataParallelSession.gradientPrefix
    /// The update graph's input for the loss averaged over the ranks (only its finiteness counts).
    public static let lossInput = DataParallelSession.lossInput
    /// The stand-in loss of the update graph's forward (an output of the update plan).
    public static let updateLoss = "train.update_loss"

    /// The parameters `options` trains in `forward` (not frozen).
    public static func trainedParameters(of forward: Graph, options: TrainingOptions) -> [(name: String, node: Node)] {
        forward.parameters.filter { !options.isFrozen($0.name) }
    }

    /// The forward outputs of `forward` and `grad:<name>` for each trained parameter.
    /// - Throws: `GraphError.invalid` when `loss` is no output, the model has buffers or nothing to train.
    public static func gradientGraph(_ forward: Graph, loss: String, options: TrainingOptions) throws -> Graph {
        let (lossNode, trained) = try check(forward, loss: loss, options: options)
        let (joint, gradientNodes) = try gradients(of: lossNode, withRespectTo: trained.map(\.node.id), in: forward)
        let tracer = Tracer(extending: joint)
        var outputs: [(String, Tensor)] = forward.outputs.map { ($0.name, tracer.tensor($0.node)) }
        for (p, gradient) in zip(trained, gradientNodes) {
            outputs.append((gradientPrefix + p.name, tracer.tensor(gradient)))
        }
        return try tracer.finish(outputs: outputs)
    }

    /// The optimizer half: `trainingGraph` over inputs `train.loss` and `grad:<name>`, with the
    /// trained parameters of `forward` (same names, types and initialisers).
    /// - Throws: as `gradientGraph`.
    public static func updateGraph(_ forward: Graph, loss: String, options: TrainingOptions) throws -> Graph {
        let (_, trained) = try check(forward, loss: loss, options: options)
        let tracer = Tracer()
        var total = tracer.input(lossInput, [])
        for p in trained {
            guard case .parameter(_, let initializer) = p.node.op else { continue }
            let w = tracer.parameter(p.name, p.node.type.shape, initializer)
            let g = tracer.input(gradientPrefix + p.name, p.node.type.shape)
            total = total + (w * g).sum()
        }
        let standIn = try tracer.finish(outputs: [(updateLoss, total)])
        var updateOptions = options
        updateOptions.frozenPrefixes = []
        return try trainingGraph(standIn, loss: updateLoss, options: updateOptions)
    }

    private static func check(_ forward: Graph, loss: String,
                              options: TrainingOptions) throws -> (NodeID, [(name: String, node: Node)]) {
        guard let lossNode = forward.output(loss) else {
            throw GraphError.invalid("the graph has no output called \(loss); its outputs are "
                + forward.outputs.map(\.name).joined(separator: ", "))
        }
        let buffers = try bufferUpdates(of: forward)
        guard buffers.isEmpty else {
            throw GraphError.invalid("data-parallel training does not average buffer updates ("
                + buffers.keys.sorted().joined(separator: ", ") + "); train this model in one process")
        }
        let trained = trainedParameters(of: forward, options: options)
        guard !trained.isEmpty else {
            throw GraphError.invalid("the model has no parameters to train (frozen by \(options.frozenPrefixes))")
        }
        return (lossNode, trained)
    }
}
