import GraphCompiler
import GraphRuntime
import TensorGraph

/// Trains a forward graph with Adam by running its joint forward + backward graph on the
/// reference interpreter. Slow but exact: the oracle that compiled training plans are checked
/// against.
public struct InterpreterTrainer {
    /// The joint graph: the forward outputs plus `grad:<parameter>` outputs.
    public let joint: Graph
    /// Current parameter values by `state_dict` name.
    public private(set) var parameters: [String: HostTensor]
    public private(set) var optimizerState: AdamState
    public let optimizer: Adam
    private let data: [String: HostTensor]
    private let interpreter = ReferenceInterpreter(precision: .float32)

    /// Differentiates `task.graph`, canonicalises the joint graph and draws initial parameters.
    public init(task: ToyTask, optimizer: AdamConfiguration, seed: UInt64 = 0) throws {
        joint = try PassManager.canonicalize.run(addingParameterGradients(to: task.graph, loss: "loss"))
        parameters = initialParameters(of: joint, seed: seed)
        optimizerState = AdamState(parameters: parameters)
        self.optimizer = Adam(optimizer)
        data = task.data
    }

    /// One full-batch step; returns the loss before the update.
    public mutating func step() throws -> Double {
        let outputs = try interpreter.run(joint, feeds: parameters.merging(data) { p, _ in p })
        var grads: [String: HostTensor] = [:]
        for name in parameters.keys {
            grads[name] = outputs[gradientOutputPrefix + name]
        }
        try optimizer.update(&parameters, gradients: grads, state: &optimizerState)
        return outputs["loss"]!.scalars[0]
    }

    /// Runs `steps` steps and returns the loss of each.
    public mutating func train(steps: Int, onStep: (Int, Double) -> Void = { _, _ in }) throws -> [Double] {
        var losses: [Double] = []
        for i in 0..<steps {
            let loss = try step()
            losses.append(loss)
            onStep(i, loss)
        }
        return losses
    }
}
