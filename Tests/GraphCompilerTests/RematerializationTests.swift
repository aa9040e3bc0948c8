import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

/// Rematerialisation (`CompileOptions.memoryBudget`): plans that fit the budget, verify, and
/// compute exactly the bits of the plan compiled without a budget.
@Suite struct RematerializationTests {
    /// The outputs of both plans on the same feeds (2 threads), and the names that differ in any bit.
    static func differingOutputs(_ a: Plan, _ b: Plan, feeds: [String: HostTensor]) throws -> [String] {
        let x = try PlanExecutor(plan: a, threads: 2).run(feeds: feeds)
        let y = try PlanExecutor(plan: b, threads: 2).run(feeds: feeds)
        guard Set(x.keys) == Set(y.keys) else { return ["(output names)"] }
        return x.keys.sorted().filter { name in
            let (p, q) = (x[name]!, y[name]!)
            guard p.shape == q.shape else { return true }
            // Bitwise: NaN == NaN when the payloads agree; -0 differs from +0.
            return zip(p.scalars, q.scalars).contains { $0.bitPattern != $1.bitPattern }
        }
    }

    static func mlpJointGraph() throws -> (Graph, [String: HostTensor]) {
        let forward = try Tracer.trace { t in
            let x = t.input("x", [256, 32])
            let y = Sequential {
                Linear(32, 64); GELU(); Linear(64, 64); GELU(); Linear(64, 64); GELU(); Linear(64, 32)
            }(x)
            return ["loss": (y - x).square().mean(), "y": y]
        }
        let joint = try addingParameterGradients(to: forward, loss: "loss")
        var feeds = initialParameters(of: joint, seed: 7)
        feeds["x"] = HostTensor(shape: [256, 32], dtype: .float32, scalars: RNGKey(seed: 3).normal(count: 256 * 32))
        return (joint, feeds)
    }

    @Test func mlpJointPlanFitsTheBudgetWithTheSameBits() throws {
        let (graph, feeds) = try Self.mlpJointGraph()
        let plain = try compile(graph)
        let budget = plain.activationBytes * 3 / 4
        let remat = try compile(graph, options: CompileOptions(memoryBudget: budget))
        #expect(remat.activationBytes <= budget)
        #expect(remat.lowerBoundBytes <= budget)
        try verifyPlan(remat)
        let recomputed = remat.notes.filter { $0.hasPrefix("recomputed") }
        #expect(!recomputed.isEmpty)
        #expect(recomputed.allSatisfy { $0.contains("bytes no longer live") })
        #expect(try Self.differingOutputs(plain, remat, feeds: feeds).isEmpty)
        #expect(Self.recomputedStepsRunInTheBackwardPass(remat))
    }

    /// Recomputed forward values are made lazily, during the backward pass (steps whose label
    /// carries the clone's scope), not next to the forward code that could already run them.
    static func recomputedStepsRunInTheBackwardPass(_ plan: Plan) -> Bool {
        let recomputed = plan.steps.indices.filter { plan.steps[$0].label.hasSuffix(" (recomputed)") }
        guard let backward = plan.steps.firstIndex(where: { $0.label.hasPrefix("backward/") }) else { return false }
        return !recomputed.isEmpty && recomputed.allSatisfy { $0 > backward }
    }

    /// Without fusion (one row program per op) clones are row programs of their own, and still
    /// compute the same bits.
    @Test func unfusedPlansUnderABudgetKeepTheirBits() throws {
        let (graph, feeds) = try Self.mlpJointGraph()
        let plain = try compile(graph, options: CompileOptions(fuse: false))
        let budget = plain.activationBytes * 3 / 4
        let remat = try compile(graph, options: CompileOptions(fuse: false, memoryBudget: budget))
        #expect(remat.activationBytes <= budget)
        #expect(try Self.differingOutputs(plain, remat, feeds: feeds).isEmpty)
    }

    @Test func aBudgetThePlanAlreadyMeetsChangesNothing() throws {
        let (graph, _) = try Self.mlpJointGraph()
        let plain = try compile(graph)
        let same = try compile(graph, options: CompileOptions(memoryBudget: plain.activationBytes))
        #expect(same == plain)
    }

    @Test func anImpossibleBudgetThrowsWithTheSmallestArena() throws {
        let (graph, _) = try Self.mlpJointGraph()
        do {
            _ = try compile(graph, options: CompileOptions(memoryBudget: 1024))
            Issue.record("a 1 KB budget was met")
        } catch let error as CompileError {
            guard case .memoryBudgetUnreachable(let budget, let smallest, let bound, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(budget == 1024)
            #expect(smallest > 1024 && bound <= smallest)
            #expect(smallest <= (try compile(graph)).activationBytes)
            #expect(error.description.contains("raise the budget to \(smallest) bytes"))
        }
    }

    /// The plan fuzz's random joint graphs (as `FuzzPlanTests`), each compiled under 70% of its
    /// arena, fused and unfused: every plan that fits computes the bits of the plan without a
    /// budget. Tiny graphs whose outputs alone take most of the arena cannot fit; most others do.
    @Test(arguments: [true, false])
    func randomJointGraphsUnderABudgetKeepTheirBits(fuse: Bool) throws {
        var fitted = 0, unreachable = 0, trivial = 0
        for seed in 2000..<2050 as Range<UInt64> {
            var generator = RandomGraphGenerator(seed: seed, allowDiscontinuities: false)
            let (forward, feeds) = generator.make()
            guard let out = forward.outputs.first(where: { forward[$0.node].type.dtype == .float32 }) else {
                trivial += 1
                continue
            }
            let tracer = Tracer(extending: forward)
            let loss = tracer.tensor(out.node).sum()
            var graph = try tracer.finish(outputs: forward.outputs.map { ($0.name, tracer.tensor($0.node)) } + [("loss", loss)])
            let targets = graph.inputs.filter { $0.node.type.dtype == .float32 }.map(\.node.id)
            let (joint, grads) = try gradients(of: loss.id, withRespectTo: targets, in: graph)
            graph = joint
            for (i, g) in grads.enumerated() { graph.outputs.append(GraphOutput(name: "d\(i)", node: g)) }

            let plain = try compile(graph, options: CompileOptions(fuse: fuse))
            let budget = plain.activationBytes * 7 / 10
            let remat: Plan
            do {
                remat = try compile(graph, options: CompileOptions(fuse: fuse, memoryBudget: budget))
            } catch CompileError.memoryBudgetUnreachable(_, let smallest, let bound, _) {
                #expect(smallest <= plain.activationBytes && bound <= smallest, "seed \(seed)")
                unreachable += 1
                continue
            }
            fitted += 1
            #expect(remat.activationBytes <= budget, "seed \(seed)")
            let differing = try Self.differingOutputs(plain, remat, feeds: feeds)
            #expect(differing.isEmpty, "seed \(seed) fuse=\(fuse): \(differing.prefix(4)) differ")
        }
        print("remat fuzz (fuse=\(fuse)): \(fitted) fit 70% of their arena, \(unreachable) cannot, \(trivial) have no float output")
        #expect(fitted > unreachable)
    }
}
