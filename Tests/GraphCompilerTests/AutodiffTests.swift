import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

@Suite struct AutodiffTests {
    @Test func everyOpKindHasARuleOrAReason() {
        let covered = Set(differentiableCases.map(\.kind))
        for kind in OpKind.allCases {
            if let op = nonDifferentiableSamples[kind] {
                guard case .nonDifferentiable(let reason) = vjpRule(for: op) else {
                    Issue.record("\(kind) is listed as non-differentiable but has a rule")
                    continue
                }
                #expect(!reason.isEmpty)
                #expect(!covered.contains(kind), "\(kind) is both")
            } else {
                #expect(covered.contains(kind), "\(kind) has neither a gradient case nor a marker")
            }
        }
    }

    /// Backward graphs must only use ops that can be differentiated again: a float-valued op
    /// with inputs and no rule would silently stop second-order gradients.
    @Test(arguments: differentiableCases)
    func vjpEmitsOnlyDifferentiableOps(_ c: OpCase) throws {
        let problem = try GradientProblem(c)
        for node in problem.graph.nodes where node.scope.hasPrefix("backward/") {
            guard !node.inputs.isEmpty, node.type.dtype == .float32 else { continue }
            if case .nonDifferentiable(let reason) = vjpRule(for: node.op) {
                Issue.record("the VJP of \(c.kind) emits \(node.op.kind) (\(reason))")
            }
        }
    }

    @Test(arguments: differentiableCases)
    func firstOrderMatchesFiniteDifferences(_ c: OpCase) throws {
        let problem = try GradientProblem(c)
        if c.expectZeroGradient {
            let out = try problem.run(problem.feeds)
            for k in problem.floatInputs { #expect(out["grad\(k)"]!.scalars.allSatisfy { $0 == 0 }) }
            return
        }
        let error = try problem.finiteDifferenceError(scalarOutput: "loss", gradientPrefix: "grad")
        #expect(error < c.tolerance, "\(c.kind): relative error \(error)")
    }

    @Test(arguments: differentiableCases)
    func secondOrderMatchesFiniteDifferences(_ c: OpCase) throws {
        guard !c.expectZeroGradient else { return }
        var problem = try GradientProblem(c)
        try problem.addSecondOrder()
        let error = try problem.finiteDifferenceError(scalarOutput: "loss2", gradientPrefix: "hvp")
        #expect(error < c.tolerance * 10, "\(c.kind): relative error \(error)")
    }

    /// At kinks the gradient follows PyTorch: relu'(0) = 0, |x|'(0) = 0, ties of max split evenly.
    @Test func kinksFollowPyTorch() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [4])
            let loss = x.relu().sum() + x.abs().sum() + x.max() + x.maximum(t.constant(0)).sum()
            return ["loss": loss]
        }
        let (joint, grads) = try gradients(of: graph.output("loss")!, withRespectTo: [graph.inputs[0].node.id], in: graph)
        var withGrad = joint
        withGrad.outputs.append(GraphOutput(name: "dx", node: grads[0]))
        let out = try ReferenceInterpreter(precision: .float64).run(
            withGrad, feeds: ["x": HostTensor(shape: [4], dtype: .float32, scalars: [0, 2, 2, -1])])
        // relu: 0,1,1,0  abs: 0,1,1,-1  max ties at 2: 0,.5,.5,0  maximum(x,0): .5,1,1,0
        #expect(out["dx"]!.scalars == [0.5, 3.5, 3.5, -1])
    }

    @Test func unusedTargetsGetZeroGradients() throws {
        let graph = try Tracer.trace { t in
            let a = t.input("a", [3])
            _ = t.input("b", [2])
            return ["loss": a.sum()]
        }
        let (joint, grads) = try gradients(
            of: graph.output("loss")!, withRespectTo: graph.inputs.map(\.node.id), in: graph)
        #expect(joint[grads[1]].op == .constant(values: [0]))
        #expect(joint[grads[1]].type == TensorType([2]))
    }

    @Test func lossMustBeAScalar() throws {
        let graph = try Tracer.trace { t in ["y": t.input("x", [3]).exp()] }
        #expect(throws: GraphError.self) {
            _ = try gradients(of: graph.output("y")!, withRespectTo: [graph.inputs[0].node.id], in: graph)
        }
    }
}
