import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

/// Runs `graph` compiled (fused and unfused) and on the reference interpreter (float32) and
/// returns the worst relative difference over all outputs.
func planVersusInterpreter(_ graph: Graph, feeds: [String: HostTensor], fuse: Bool, threads: Int = 2) throws -> Double {
    let plan = try compile(graph, options: CompileOptions(fuse: fuse))
    let executor = try PlanExecutor(plan: plan, threads: threads)
    let got = try executor.run(feeds: feeds)
    let want = try ReferenceInterpreter(precision: .float32).run(graph, feeds: feeds)
    var worst = 0.0
    for (name, expected) in want {
        let actual = try #require(got[name], "missing output \(name)")
        #expect(actual.shape == expected.shape, "\(name)")
        for (a, e) in zip(actual.scalars, expected.scalars) {
            if a.isNaN && e.isNaN { continue }
            worst = max(worst, abs(a - e) / max(1, abs(e)))
        }
    }
    return worst
}

@Suite struct PlanDifferentialTests {
    /// Every op's forward and gradient graph, compiled, against the interpreter.
    @Test(arguments: differentiableCases)
    func opGradientGraphsMatchTheInterpreter(_ c: OpCase) throws {
        let problem = try GradientProblem(c)
        for fuse in [true, false] {
            let error = try planVersusInterpreter(problem.graph, feeds: problem.feeds, fuse: fuse)
            #expect(error < 1e-5, "\(c.kind) fuse=\(fuse): relative error \(error)")
        }
    }

    /// Second-order graphs exercise views, broadcasts and long fused chains.
    @Test(arguments: differentiableCases.filter { !$0.expectZeroGradient })
    func secondOrderGraphsMatchTheInterpreter(_ c: OpCase) throws {
        var problem = try GradientProblem(c)
        try problem.addSecondOrder()
        let error = try planVersusInterpreter(problem.graph, feeds: problem.feeds, fuse: true)
        #expect(error < 1e-4, "\(c.kind): relative error \(error)")
    }

    @Test func fusionMergesSoftmaxIntoOneRowProgram() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [4, 9])
            return ["y": (x * 2.0 + 1.0).softmax(axis: 1).exp()]
        }
        let plan = try compile(graph)
        #expect(plan.steps.filter { $0.kind == .rowProgram }.count == 1)
        let unfused = try compile(graph, options: CompileOptions(fuse: false))
        #expect(unfused.steps.count > plan.steps.count)
    }

    @Test func verifierRejectsOverlappingLiveBuffers() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [64])
            let a = x.exp()
            let b = matmul(a.reshape([8, 8]), a.reshape([8, 8]))
            return ["y": b + a.reshape([8, 8])]
        }
        var plan = try compile(graph)
        try verifyPlan(plan)
        let live = plan.buffers.indices.filter { plan.buffers[$0].arena == .activations && plan.buffers[$0].firstStep >= 0 }
        #expect(live.count >= 2)
        // Move every activation buffer to offset 0: live ones now collide.
        for b in live { plan.buffers[b].offset = 0 }
        #expect(throws: PlanError.self) { try verifyPlan(plan) }
    }

    @Test func arenaStaysNearItsLowerBound() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [16, 32])
            let y = Sequential { Linear(32, 64); GELU(); Linear(64, 32) }(x)
            return ["loss": (y - x).square().mean()]
        }
        let joint = try addingParameterGradients(to: graph, loss: "loss")
        let plan = try compile(joint)
        #expect(plan.activationBytes <= plan.lowerBoundBytes * 11 / 10, "\(planSummary(plan))")
    }
}

@Suite struct InPlaceReuseTests {
    /// Unfused element-wise chains hand each buffer on to the next op in place.
    @Test func elementwiseChainReusesDyingInputs() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [64, 33])
            return ["y": x.exp().tanh().sin().cos().sum(axes: [0, 1])]
        }
        let plan = try compile(graph, options: CompileOptions(fuse: false))
        let shared = plan.buffers.filter { $0.sharesMemoryWith != nil }
        #expect(shared.count >= 2)
        #expect(plan.notes.contains { $0.hasPrefix("in place:") })
        for b in shared { #expect(b.offset == plan.buffers[b.sharesMemoryWith!].offset) }
        let feeds = ["x": HostTensor(shape: [64, 33], dtype: .float32, scalars: RNGKey(seed: 3).normal(count: 64 * 33))]
        #expect(try planVersusInterpreter(graph, feeds: feeds, fuse: false) < 1e-5)
    }
}

@Suite struct PlanExecutorFeedTests {
    /// A run before every feed is set names the first missing one, in plan order.
    @Test func runningWithAMissingFeedNamesIt() throws {
        let graph = try Tracer.trace { t in ["y": t.input("a", [2]) + t.input("b", [2])] }
        let executor = try PlanExecutor(plan: compile(graph), threads: 1)
        #expect(throws: PlanRunError.missingFeed(name: "a")) { try executor.run() }
        try executor.setFeed("a", HostTensor(shape: [2], dtype: .float32, scalars: [1, 2]))
        #expect(throws: PlanRunError.missingFeed(name: "b")) { try executor.run() }
        try executor.setFeed("b", HostTensor(shape: [2], dtype: .float32, scalars: [3, 4]))
        try executor.run()
        #expect(executor.output("y")?.scalars == [4, 6])
    }
}
