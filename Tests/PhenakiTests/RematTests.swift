import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// Rematerialisation on the training graph of a small phenaki transformer: a plan compiled under
/// a memory budget fits it, and computes exactly the bits of the plan compiled without one.
@Suite struct RematTests {
    static func transformerTrainingGraph() throws -> Graph {
        let forward = try Tracer.trace { t in
            let x = t.input("x", [2, 24, 32])
            let target = t.input("target", [2, 24, 32])
            let y = Transformer(dim: 32, depth: 2, dimHead: 8, heads: 4, ffMult: 2)(x)
            return ["loss": (y - target).square().mean(), "y": y]
        }
        return try trainingGraph(forward, loss: "loss", options: TrainingOptions(weightDecay: 0.01))
    }

    /// Parameters, data and optimizer state for one training step.
    static func feeds(_ graph: Graph) -> [String: HostTensor] {
        var feeds = initialParameters(of: graph, seed: 2)
        for binding in graph.inputs {
            let type = binding.node.type
            let key = RNGKey(seed: stableHash(binding.name))
            feeds[binding.name] = type.rank == 0
                ? HostTensor(binding.name == "train.lr" ? 1e-2 : 0)
                : HostTensor(shape: type.shape, dtype: .float32, scalars: key.normal(count: type.count).map {
                    binding.name.hasPrefix("adam.v:") ? abs($0) * 0.01 : $0 * 0.1
                })
        }
        return feeds
    }

    /// 3/4 of the arena: below the plain plan's lower bound, so no layout alone reaches it.
    @Test func transformerTrainingPlanFitsTheBudgetWithTheSameBits() throws {
        let graph = try Self.transformerTrainingGraph()
        let feeds = Self.feeds(graph)
        let plain = try compile(graph)
        let budget = plain.activationBytes * 3 / 4
        #expect(budget < plain.lowerBoundBytes)
        let remat = try compile(graph, options: CompileOptions(memoryBudget: budget))
        #expect(remat.activationBytes <= budget)
        try verifyPlan(remat)
        #expect(remat.notes.contains { $0.hasPrefix("recomputed: ") && $0.contains("layers.0") })
        // Forward activations are recomputed in the backward pass, next to their readers.
        let backward = try #require(remat.steps.firstIndex { $0.label.hasPrefix("backward/") })
        let recomputed = remat.steps.indices.filter { remat.steps[$0].label.hasSuffix(" (recomputed)") }
        #expect(!recomputed.isEmpty && recomputed.allSatisfy { $0 > backward })
        let want = try PlanExecutor(plan: plain, threads: 2).run(feeds: feeds)
        let got = try PlanExecutor(plan: remat, threads: 2).run(feeds: feeds)
        #expect(Set(got.keys) == Set(want.keys))
        let differing = want.keys.sorted().filter { name in
            zip(got[name]!.scalars, want[name]!.scalars).contains { $0.bitPattern != $1.bitPattern }
        }
        #expect(differing.isEmpty, "outputs that differ from the plan without remat: \(differing.prefix(5))")
    }
}

extension RematTests {
    /// `--memory-budget` of 1 KB: the error names the smallest arena remat reached.
    @Test func anImpossibleBudgetSaysWhatToRaiseItTo() throws {
        let graph = try Self.transformerTrainingGraph()
        #expect {
            _ = try compile(graph, options: CompileOptions(memoryBudget: 1024))
        } throws: { error in
            guard case .memoryBudgetUnreachable(1024, let smallest, let bound, let count) = error as? CompileError else { return false }
            return bound <= smallest && count > 0 && "\(error)".contains("raise the budget to \(smallest) bytes")
        }
    }
}
