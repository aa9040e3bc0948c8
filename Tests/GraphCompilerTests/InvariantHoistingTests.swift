import Foundation
import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

/// `InvariantHoisting`: the prefix run once and the step run on its outputs compute exactly the
/// original graph, the step keeps nothing worth hoisting, and the summary says what moved.
@Suite struct InvariantHoistingTests {
    /// Runs `split` (prefix, then step on its outputs) on the float64 reference interpreter.
    static func runSplit(_ split: HoistedGraph, feeds: [String: HostTensor]) throws -> [String: HostTensor] {
        let interpreter = ReferenceInterpreter(precision: .float64)
        var stepFeeds = feeds
        if !split.hoisted.isEmpty {
            let prefix = try interpreter.run(split.prefix, feeds: feeds)
            for v in split.hoisted { stepFeeds[v.name] = prefix[v.name] }
        }
        return try interpreter.run(split.step, feeds: stepFeeds)
    }

    /// The names of outputs whose bits differ.
    static func differing(_ a: [String: HostTensor], _ b: [String: HostTensor]) -> [String] {
        a.keys.sorted().filter { name in
            guard let x = a[name], let y = b[name], x.shape == y.shape else { return true }
            return zip(x.scalars, y.scalars).contains { $0.bitPattern != $1.bitPattern && !($0.isNaN && $1.isNaN) }
        }
    }

    /// Random graphs with every second input fixed, none fixed and all fixed.
    @Test func randomGraphsSplitIntoTheSameValues() throws {
        var hoistedSomething = 0
        for seed in UInt64(0)..<60 {
            var generator = RandomGraphGenerator(seed: seed)
            let (graph, feeds) = generator.make()
            let names = graph.inputs.map(\.name).sorted()
            let choices: [Set<String>] = [
                Set(names.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)), [], Set(names),
            ]
            let whole = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
            for fixed in choices {
                let split = InvariantHoisting.split(graph, fixedInputs: fixed)
                try verify(split.prefix)
                try verify(split.step)
                let parts = try Self.runSplit(split, feeds: feeds)
                #expect(Self.differing(whole, parts).isEmpty, "seed \(seed), fixed \(fixed.sorted())")
                // Nothing worth hoisting is left in the step graph.
                let again = InvariantHoisting.split(split.step, fixedInputs: fixed.union(split.hoisted.map(\.name)))
                #expect(again.hoisted.isEmpty, "seed \(seed): the step graph still hoists \(again.summary)")
                if !split.hoisted.isEmpty { hoistedSomething += 1 }
            }
        }
        #expect(hoistedSomething > 20, "only \(hoistedSomething) splits hoisted anything")
    }

    /// A loop-shaped graph: `W·text` is invariant, `x + W·text` is not; the layout-only chain
    /// from `W` stays in the step, the matmul is hoisted, and the summary names it with its bytes.
    @Test func hoistsWorkNotLayout() throws {
        let graph = try Tracer.trace { t in
            let text = t.input("text", [4, 8])
            let x = t.input("x", [4, 6])
            let w = t.parameter("w", [8, 6], .normal(mean: 0, std: 1))
            let projected = t.scope("proj") { matmul(text, w) }
            let bias = w.slice(axis: 0, 0..<1).reshape([1, 6]).expand([4, 6])
            return ["y": (x + projected) * bias, "p": projected]
        }
        let split = InvariantHoisting.split(graph, fixedInputs: ["text"])
        #expect(split.hoisted.map(\.op) == [.matmul])
        #expect(split.hoistedBytes == 4 * 6 * 4)
        #expect(split.step.inputs.map(\.name).sorted() == ["hoisted.0", "x"])
        #expect(!split.step.nodes.contains { $0.op.kind == .matmul })
        #expect(split.summary.contains("hoisted 1 values (96 bytes)"))
        #expect(split.summary.contains("matmul") && split.summary.contains("proj"))
        let feeds = ["text": HostTensor(shape: [4, 8], scalars: (0..<32).map { Double($0) / 7 }),
                     "x": HostTensor(shape: [4, 6], scalars: (0..<24).map { Double($0) / 5 }),
                     "w": HostTensor(shape: [8, 6], scalars: (0..<48).map { sin(Double($0)) })]
        let whole = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
        #expect(Self.differing(whole, try Self.runSplit(split, feeds: feeds)).isEmpty)
        // Compiled, the two plans give the interpreter's values.
        let prefix = try PlanExecutor(plan: compile(split.prefix), threads: 2).run(feeds: feeds)
        let step = try PlanExecutor(plan: compile(split.step), threads: 2)
            .run(feeds: feeds.merging(["hoisted.0": prefix["hoisted.0"]!]) { a, _ in a })
        for name in ["y", "p"] {
            for (a, b) in zip(step[name]!.scalars, whole[name]!.scalars) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
        }
    }
}
