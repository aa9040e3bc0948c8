import TensorGraph

/// Reverse-mode differentiation as a graph-to-graph transform.
///
/// Appends to `graph` the nodes that compute ∂loss/∂target for every target and returns the
/// extended graph with one gradient node per target (a zero constant where the loss does not
/// depend on the target). Backward nodes are ordinary nodes with scope `backward/<scope of
/// the forward node>`, so the result can be differentiated again.
public func gradients(
    of loss: NodeID, withRespectTo targets: [NodeID], in graph: Graph
) throws(GraphError) -> (graph: Graph, gradients: [NodeID]) {
    let lossType = graph[loss].type
    guard lossType.count == 1, lossType.dtype == .float32 else {
        throw .invalid("the loss must be a float32 scalar, got \(lossType) at \(graph[loss].scope)")
    }

    // Only nodes that depend on a target and feed the loss carry gradients.
    var dependsOnTarget = [Bool](repeating: false, count: graph.nodes.count)
    for target in targets { dependsOnTarget[target.index] = true }
    for node in graph.nodes where node.inputs.contains(where: { dependsOnTarget[$0.index] }) {
        dependsOnTarget[node.id.index] = true
    }
    var feedsLoss = [Bool](repeating: false, count: graph.nodes.count)
    feedsLoss[loss.index] = true
    for node in graph.nodes[...loss.index].reversed() where feedsLoss[node.id.index] {
        for input in node.inputs { feedsLoss[input.index] = true }
    }
    func carries(_ id: NodeID) -> Bool {
        dependsOnTarget[id.index] && feedsLoss[id.index] && graph[id].type.dtype.isFloatingPoint
    }

    let tracer = Tracer(extending: graph)
    var adjoint: [NodeID: Tensor] = [:]
    tracer.withScopePath(["backward/" + graph[loss].scope]) {
        adjoint[loss] = tracer.constant(1, lossType.shape)
    }

    for node in graph.nodes[...loss.index].reversed() {
        guard carries(node.id), let grad = adjoint[node.id] else { continue }
        guard node.inputs.contains(where: carries) else { continue }
        guard case .rule(let rule) = vjpRule(for: node.op) else { continue }
        tracer.withScopePath(["backward/" + node.scope]) {
            let args = VJPArguments(
                node: node, inputs: node.inputs.map(tracer.tensor), output: tracer.tensor(node.id), grad: grad)
            let inputGrads = rule(args)
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard carries(input), let inputGrad else { continue }
                if let existing = adjoint[input] {
                    adjoint[input] = existing + inputGrad
                } else {
                    adjoint[input] = inputGrad
                }
            }
        }
    }

    var results: [NodeID] = []
    for target in targets {
        if let g = adjoint[target] {
            results.append(g.id)
        } else {
            let zero = tracer.withScopePath(["backward/" + graph[target].scope]) {
                tracer.constant(0, graph[target].type.shape)
            }
            results.append(zero.id)
        }
    }
    if let error = tracer.firstError { throw error }
    var extended = tracer.graph
    extended.outputs = graph.outputs
    return (extended, results)
}

/// The prefix of gradient outputs added by `addingParameterGradients`.
public let gradientOutputPrefix = "grad:"

/// The joint forward + backward graph of a model: `graph` with one extra output
/// `grad:<parameter name>` per parameter, holding ∂`loss`/∂parameter.
public func addingParameterGradients(to graph: Graph, loss: String) throws -> Graph {
    guard let lossNode = graph.output(loss) else {
        throw GraphError.invalid("the graph has no output called \(loss); its outputs are "
            + graph.outputs.map(\.name).joined(separator: ", "))
    }
    let parameters = graph.parameters
    var (joint, grads) = try gradients(of: lossNode, withRespectTo: parameters.map(\.node.id), in: graph)
    for (parameter, grad) in zip(parameters, grads) {
        joint.outputs.append(GraphOutput(name: gradientOutputPrefix + parameter.name, node: grad))
    }
    try verify(joint)
    return joint
}
