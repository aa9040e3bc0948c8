import GraphCompiler
import GraphRuntime
import TensorGraph

/// A scalar-valued graph built from an `OpCase`: loss = Σ op(inputs) · weights, with the
/// gradient of the loss wrt every float input as outputs `grad0`, `grad1`, ...
struct GradientProblem {
    var graph: Graph
    var feeds: [String: HostTensor]
    /// Positions of the op's float inputs (the ones differentiated).
    var floatInputs: [Int]

    init(_ c: OpCase, seed: UInt64 = 1) throws {
        let tracer = Tracer()
        let inputs = c.inputs.enumerated().map { tracer.input("in\($0.offset)", $0.element.shape, $0.element.dtype) }
        let y = c.build(inputs)
        let weights = tracer.input("weights", y.shape)
        let loss = (y * weights).sum()
        floatInputs = c.inputs.indices.filter { c.inputs[$0].dtype == .float32 }
        var outputs: [(String, Tensor)] = [("loss", loss)]
        var g = try tracer.finish(outputs: outputs)
        let result = try gradients(of: loss.id, withRespectTo: floatInputs.map { inputs[$0].id }, in: g)
        g = result.graph
        outputs = []
        for (k, id) in result.gradients.enumerated() {
            g.outputs.append(GraphOutput(name: "grad\(floatInputs[k])", node: id))
        }
        try verify(g)
        graph = g
        feeds = c.feeds(seed: seed)
        let yType = y.type
        feeds["weights"] = OpCase(kind: .mul, inputs: [yType]) { $0[0] }.feeds(seed: seed &+ 7)["in0"]!
        _ = outputs
    }

    /// Adds loss2 = Σ_k ⟨grad_k, v_k⟩ and its gradient wrt the float inputs (`hvp<k>`): a
    /// Hessian-vector product computed by differentiating the backward graph.
    mutating func addSecondOrder(seed: UInt64 = 3) throws {
        let tracer = Tracer(extending: graph)
        var terms: [Tensor] = []
        for k in floatInputs {
            let grad = tracer.tensor(graph.output("grad\(k)")!)
            let v = tracer.input("v\(k)", grad.shape)
            feeds["v\(k)"] = OpCase(kind: .mul, inputs: [grad.type]) { $0[0] }.feeds(seed: seed &+ UInt64(k))["in0"]!
            terms.append((grad * v).sum())
        }
        let loss2 = terms.dropFirst().reduce(terms[0], +)
        var g = try tracer.finish(outputs: graph.outputs.map { ($0.name, tracer.tensor($0.node)) } + [("loss2", loss2)])
        let inputIDs = floatInputs.map { k in g.inputs.first { $0.name == "in\(k)" }!.node.id }
        let result = try gradients(of: loss2.id, withRespectTo: inputIDs, in: g)
        g = result.graph
        for (k, id) in zip(floatInputs, result.gradients) {
            g.outputs.append(GraphOutput(name: "hvp\(k)", node: id))
        }
        try verify(g)
        graph = g
    }

    func run(_ feeds: [String: HostTensor]) throws -> [String: HostTensor] {
        try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
    }

    /// Largest relative disagreement between `output<k>` and central differences of the scalar
    /// `scalarOutput` wrt input k.
    func finiteDifferenceError(scalarOutput: String, gradientPrefix: String, step h: Double = 1e-5) throws -> Double {
        let analytic = try run(feeds)
        var worst = 0.0
        for k in floatInputs {
            let name = "in\(k)"
            let grad = analytic["\(gradientPrefix)\(k)"]!
            for j in 0..<feeds[name]!.scalars.count {
                var plus = feeds
                var minus = feeds
                plus[name]!.scalars[j] += h
                minus[name]!.scalars[j] -= h
                let fp = try run(plus)[scalarOutput]!.scalars[0]
                let fm = try run(minus)[scalarOutput]!.scalars[0]
                let numeric = (fp - fm) / (2 * h)
                let error = abs(numeric - grad.scalars[j]) / max(1, abs(numeric))
                worst = max(worst, error)
            }
        }
        return worst
    }
}
