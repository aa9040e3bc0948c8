import GraphCompiler
import GraphRuntime
import Phenaki
import Testing
import TensorGraph

@Suite struct TrainingPlanTests {
    /// A compiled training plan (fused AdamW) follows the interpreter + host Adam oracle.
    @Test func compiledAdamMatchesTheInterpreterTrainer() throws {
        let task = try ToyTask.mlpClassification()
        var oracle = try InterpreterTrainer(task: task, optimizer: AdamConfiguration(learningRate: 1e-2), seed: 3)
        let expected = try oracle.train(steps: 12)

        let plan = try compile(trainingGraph(task.graph, loss: "loss", options: TrainingOptions()))
        let session = try TrainingSession(plan: plan, threads: 2, seed: 3)
        try session.setScalar(TrainingState.learningRate, 1e-2)
        var losses: [Double] = []
        for _ in 0..<12 {
            try session.step(task.data)
            losses.append(session.scalar("loss")!)
        }
        for (a, e) in zip(losses, expected) {
            #expect(abs(a - e) <= 1e-4 * max(1, abs(e)), "compiled \(losses) vs oracle \(expected)")
        }
        #expect(session.scalar("next:train.step") == 12)
    }

    /// Accumulating the same batch twice is one update with that batch's gradient.
    @Test func gradientAccumulationAveragesMicroBatches() throws {
        let task = try ToyTask.mlpClassification()
        let once = try TrainingSession(plan: compile(trainingGraph(task.graph, loss: "loss", options: TrainingOptions())),
                                       threads: 1, seed: 5)
        let twice = try TrainingSession(
            plan: compile(trainingGraph(task.graph, loss: "loss", options: TrainingOptions(gradientAccumulation: 2))),
            threads: 1, seed: 5)
        for s in [once, twice] { try s.setScalar(TrainingState.learningRate, 1e-2) }
        try once.step(task.data)
        try twice.step(task.data)
        #expect(twice.scalar("next:train.step") == 0)  // first micro-batch: no update yet
        try twice.step(task.data)
        #expect(twice.scalar("next:train.step") == 1)
        let a = try #require(once.executor.output("next:0.weight"))
        let b = try #require(twice.executor.output("next:0.weight"))
        for (x, y) in zip(a.scalars, b.scalars) { #expect(abs(x - y) < 1e-6) }
    }

    /// A frozen prefix keeps its parameters out of the step (no moments, no `next:`), and the
    /// other parameters move exactly as in the unfrozen step (their Adam updates do not depend
    /// on the frozen ones' without clipping).
    @Test func frozenParametersStayOutOfTheStep() throws {
        let task = try ToyTask.mlpClassification()
        let names = task.graph.parameters.map(\.name)
        let frozenName = try #require(names.first)
        let options = TrainingOptions(frozenPrefixes: [frozenName])
        let frozenGraph = try trainingGraph(task.graph, loss: "loss", options: options)
        #expect(frozenGraph.output("next:" + frozenName) == nil)
        #expect(!frozenGraph.inputs.contains { $0.name == "adam.m:" + frozenName })
        let full = try TrainingSession(plan: compile(trainingGraph(task.graph, loss: "loss", options: TrainingOptions())),
                                       threads: 1, seed: 9)
        let frozen = try TrainingSession(plan: compile(frozenGraph), threads: 1, seed: 9)
        for s in [full, frozen] {
            try s.setScalar(TrainingState.learningRate, 1e-2)
            try s.step(task.data)
        }
        #expect(full.scalar("loss") == frozen.scalar("loss"))
        for name in names.dropFirst() {
            let a = try #require(full.executor.output("next:" + name))
            let b = try #require(frozen.executor.output("next:" + name))
            for (x, y) in zip(a.scalars, b.scalars) { #expect(abs(x - y) < 1e-6) }
        }
        #expect(throws: GraphError.self) {
            _ = try trainingGraph(task.graph, loss: "loss", options: TrainingOptions(frozenPrefixes: [""]))
        }
    }

    /// Clipping scales the gradient that reaches the moments to the maximum norm.
    @Test func globalNormClippingBoundsTheFirstMoment() throws {
        let task = try ToyTask.mlpClassification()
        let maxNorm = 1e-3
        let options = TrainingOptions(beta1: 0.9, maxGradNorm: maxNorm, ema: true)
        let session = try TrainingSession(plan: compile(trainingGraph(task.graph, loss: "loss", options: options)),
                                          threads: 2, seed: 1)
        try session.setScalar(TrainingState.learningRate, 1e-2)
        try session.setScalar(TrainingState.emaDecay, 0.5)
        try session.step(task.data)
        let norm = try #require(session.scalar(TrainingState.gradNorm))
        #expect(norm > maxNorm)
        var squares = 0.0
        for name in task.graph.parameters.map(\.name) {
            let m = try #require(session.executor.output("next:adam.m:" + name))
            squares += m.scalars.reduce(0) { $0 + $1 * $1 }
            // EMA after one step: halfway between the old and the new weights.
            let e = try #require(session.executor.output("next:ema:" + name))
            let w = try #require(session.executor.output("next:" + name))
            let old = initialValue(of: w.type, initializer: task.graph[task.graph.parameter(name)!].op.initializer!,
                                   name: name, seed: 1)
            for i in w.scalars.indices { #expect(abs(e.scalars[i] - 0.5 * (old.scalars[i] + w.scalars[i])) < 1e-6) }
        }
        // m = (1 - β1) · clipped gradient, whose norm is maxNorm / (1 + 1e-6 / norm).
        #expect(abs(squares.squareRoot() - 0.1 * maxNorm) < 1e-7)
    }
}

extension Op {
    fileprivate var initializer: Initializer? {
        if case .parameter(_, let i) = self { return i }
        return nil
    }
}
