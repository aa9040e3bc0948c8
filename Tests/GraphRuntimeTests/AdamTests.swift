import GraphRuntime
import TensorGraph
import Testing

@Suite("Host-side Adam")
struct AdamTests {
    @Test("two AdamW steps match the PyTorch update rule")
    func twoSteps() throws {
        var parameters = ["w": floats([2], [1, -2])]
        var state = AdamState(parameters: parameters)
        let adam = Adam(AdamConfiguration(learningRate: 0.1, weightDecay: 0.01))
        try adam.update(&parameters, gradients: ["w": floats([2], [0.5, -3])], state: &state)
        expectClose(parameters["w"], floats([2], [0.899000002, -1.8980000003333333]))
        try adam.update(&parameters, gradients: ["w": floats([2], [-1, 0.25])], state: &state)
        expectClose(parameters["w"], floats([2], [0.9347113542385653, -1.8355106508068162]))
        #expect(state.step == 2)
    }

    @Test("parameters without a gradient stay put; a mistyped gradient throws")
    func missingAndMistypedGradients() throws {
        var parameters = ["a": floats([1], [1]), "b": floats([1], [2])]
        var state = AdamState(parameters: parameters)
        try Adam().update(&parameters, gradients: ["a": floats([1], [1])], state: &state)
        #expect(parameters["b"] == floats([1], [2]))
        #expect(parameters["a"] != floats([1], [1]))
        #expect(throws: RuntimeError.gradientTypeMismatch(name: "a", parameter: TensorType([1]), gradient: TensorType([2]))) {
            try Adam().update(&parameters, gradients: ["a": floats([2], [1, 1])], state: &state)
        }
    }

    /// Linear regression whose gradients are written as graph outputs by hand, trained with Adam
    /// through the reference interpreter.
    @Test("toy training: a linear model fits its targets")
    func toyTraining() throws {
        let (n, features) = (8, 3)
        let graph = try Tracer.trace { t in
            let x = t.input("x", [n, features])
            let target = t.input("target", [n, 1])
            let w = t.parameter("w", [1, features], .kaimingUniform(fanIn: features))
            let b = t.parameter("b", [1], .zeros)
            let error = matmul(x, w, transposeB: true) + b - target
            let loss = (error * error).mean()
            let dError = error * (2.0 / Double(n))
            return ["loss": loss, "w": matmul(dError, x, transposeA: true), "b": dError.sum(axes: [0])]
        }
        let x = testValues([n, features], seed: 21)
        let trueW = [0.5, -1.0, 2.0]
        let target = floats([n, 1], (0..<n).map { i in 0.25 + (0..<features).reduce(0) { $0 + trueW[$1] * x.scalars[i * features + $1] } })
        var parameters = initialParameters(of: graph, seed: 0)
        var state = AdamState(parameters: parameters)
        let adam = Adam(AdamConfiguration(learningRate: 0.05))
        let interpreter = ReferenceInterpreter()
        func loss() throws -> Double {
            try #require(try interpreter.run(graph, feeds: parameters.merging(["x": x, "target": target]) { a, _ in a })["loss"]).scalars[0]
        }
        let initial = try loss()
        for _ in 0..<300 {
            let out = try interpreter.run(graph, feeds: parameters.merging(["x": x, "target": target]) { a, _ in a })
            try adam.update(&parameters, gradients: ["w": try #require(out["w"]), "b": try #require(out["b"])], state: &state)
        }
        #expect(try loss() < initial * 1e-3)
        expectClose(parameters["w"], floats([1, 3], trueW), relative: 0, absolute: 0.02)
    }
}
