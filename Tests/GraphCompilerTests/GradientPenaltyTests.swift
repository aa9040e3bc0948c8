import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

/// A small discriminator: conv + leaky ReLU + linear, as the C-ViViT GAN's blocks are built.
private struct TinyDiscriminator: Layer {
    func callAsFunction(_ x: Tensor) -> Tensor {
        Sequential {
            Conv2d(1, 2, kernel: 3, padding: 1)
            LeakyReLU(0.2)
            Lambda { $0.reshape([$0.shape[0], -1]) }
            Linear(2 * 4 * 4, 1)
        }(x)
    }
}

@Suite struct GradientPenaltyTests {
    /// (‖∂D(x)/∂x‖₂ − 1)², differentiated wrt D's parameters, against finite differences.
    @Test func gradientPenaltyDifferentiatesTwice() throws {
        let forward = try Tracer.trace { t in
            ["d": TinyDiscriminator()(t.input("x", [2, 1, 4, 4])).sum()]
        }
        let x = forward.inputs[0].node.id
        let (withInputGrad, inputGrads) = try gradients(of: forward.output("d")!, withRespectTo: [x], in: forward)
        let tracer = Tracer(extending: withInputGrad)
        let dx = tracer.tensor(inputGrads[0])
        let norms = dx.reshape([2, -1]).square().sum(axes: [1]).sqrt()
        let penalty = (norms - 1.0).square().mean()
        let graph = try tracer.finish(outputs: [("penalty", penalty)])

        let parameters = graph.parameters.map(\.node.id)
        var (joint, grads) = try gradients(of: penalty.id, withRespectTo: parameters, in: graph)
        for (p, g) in zip(graph.parameters, grads) {
            joint.outputs.append(GraphOutput(name: "grad:" + p.name, node: g))
        }
        try verify(joint)
        // The backward of the backward really goes through the conv's transposes.
        #expect(joint.nodes.contains { $0.op.kind == .conv_weight_grad && $0.scope.hasPrefix("backward/backward/") })

        var feeds = initialParameters(of: joint, seed: 7)
        feeds["x"] = OpCase(kind: .neg, inputs: [TensorType([2, 1, 4, 4])]) { $0[0] }.feeds(seed: 5)["in0"]!
        let interpreter = ReferenceInterpreter(precision: .float64)
        let analytic = try interpreter.run(joint, feeds: feeds)
        #expect(analytic["penalty"]!.scalars[0] > 0)

        let h = 1e-6
        var worst = 0.0
        for p in graph.parameters {
            let grad = analytic["grad:" + p.name]!
            for j in 0..<p.node.type.count {
                var plus = feeds
                var minus = feeds
                plus[p.name]!.scalars[j] += h
                minus[p.name]!.scalars[j] -= h
                let numeric = (try interpreter.run(joint, feeds: plus)["penalty"]!.scalars[0]
                    - interpreter.run(joint, feeds: minus)["penalty"]!.scalars[0]) / (2 * h)
                worst = max(worst, abs(numeric - grad.scalars[j]) / max(1, abs(numeric)))
            }
        }
        #expect(worst < 1e-6, "worst relative error \(worst)")
    }
}

