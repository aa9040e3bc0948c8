import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

/// Runs `passes` (then dead-code elimination) on `graph`, checks that the result computes
/// what `graph` computes on `feeds` (float64 reference, 1e-9 relative), and returns it.
func simplified(
    _ graph: Graph, _ passes: [GraphPass], feeds: [String: HostTensor],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> Graph {
    let result = try PassManager(passes + [.deadCode], verifyAfterEachPass: true).run(graph)
    try expectSameInterface(graph, result, seed: 0, sourceLocation: sourceLocation)
    try expectSameOutputs(graph, result, feeds: feeds, precision: .float64, seed: 0, sourceLocation: sourceLocation)
    return result
}

/// How many nodes of `kind` the graph holds.
func count(_ kind: OpKind, in graph: Graph) -> Int {
    graph.nodes.filter { $0.op.kind == kind }.count
}

/// The ops of the nodes that are neither parameters, inputs, RNG keys nor constants.
func computeKinds(_ graph: Graph) -> [OpKind] {
    graph.nodes.filter { !$0.op.isSource }.map(\.op.kind)
}

/// A float32 tensor with the values `start, start + step, ...` (never exactly zero).
func ramp(_ shape: [Int], start: Double = -1.1, step: Double = 0.3) -> HostTensor {
    let n = shape.reduce(1, *)
    return HostTensor(shape: shape, dtype: .float32, scalars: (0..<n).map { start + step * Double($0) })
}
