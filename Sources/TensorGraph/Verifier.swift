/// Structural and type checks of a whole graph.
///
/// Checks SSA order, that every stored type equals its op's shape rule, that parameter and
/// input names are unique, and that outputs exist. Passes run it after every rewrite in debug
/// builds (`PassManager`); tests run it on every graph they build.
public func verify(_ graph: Graph) throws(GraphError) {
    // Parameters, inputs and RNG keys share one namespace: they are all fed by name.
    var sourceNames = Set<String>()
    for (position, node) in graph.nodes.enumerated() {
        guard node.id.index == position else {
            throw .invalid("node at position \(position) has id \(node.id)")
        }
        for input in node.inputs where input.index < 0 || input.index >= position {
            throw .invalid("\(node.id) (\(node.op.kind.rawValue) at \(node.scope)) reads \(input), "
                + "which is not an earlier node")
        }
        let inputTypes = node.inputs.map { graph.nodes[$0.index].type }
        let expected = try inferType(node.op, inputs: inputTypes, declared: node.type, scope: node.scope)
        guard expected == node.type else {
            throw .invalid("\(node.id) (\(node.op.kind.rawValue) at \(node.scope)) stores type \(node.type) "
                + "but its inputs give \(expected)")
        }
        switch node.op {
        case .parameter(let name, _), .input(let name), .rngKey(let name):
            if !sourceNames.insert(name).inserted {
                throw .invalid("the name \(name) is used by two parameters/inputs/RNG keys; rename one")
            }
        default:
            break
        }
    }
    var outputNames = Set<String>()
    for output in graph.outputs {
        guard output.node.index >= 0 && output.node.index < graph.nodes.count else {
            throw .invalid("output \(output.name) refers to missing node \(output.node)")
        }
        guard outputNames.insert(output.name).inserted else {
            throw .invalid("output \(output.name) appears twice")
        }
    }
}
