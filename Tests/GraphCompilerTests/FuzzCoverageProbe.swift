import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

@Suite struct FuzzCoverageProbe {
    @Test func probe() throws {
        var kinds: [OpKind: Int] = [:]
        var canon = 0, simp = 0, total = 0, maxCount = 0, outs = 0
        var jointCanon = 0, jointSimp = 0
        for seed in FuzzSimplifyTests.seeds {
            var generator = RandomGraphGenerator(seed: seed)
            let (graph, _) = generator.make()
            for n in graph.nodes { kinds[n.op.kind, default: 0] += 1; maxCount = max(maxCount, n.type.count) }
            total += graph.nodes.count
            outs += graph.outputs.count
            canon += try PassManager.canonicalize.run(graph).nodes.count
            simp += try PassManager.simplify.run(graph).nodes.count
            let joint = try jointGraph(of: graph, seed: seed)
            jointCanon += try PassManager.canonicalize.run(joint).nodes.count
            jointSimp += try PassManager.simplify.run(joint).nodes.count
        }
        print("total \(total) canon \(canon) simp \(simp) jointCanon \(jointCanon) jointSimp \(jointSimp) maxCount \(maxCount) outs \(outs)")
        for k in OpKind.allCases { print(k.rawValue, kinds[k] ?? 0) }
        var g = RandomGraphGenerator(seed: 7)
        let (graph, feeds) = g.make()
        print(graph.nodes.map { "\($0.id) \($0.op.kind.rawValue) \($0.op.attributeSummary) \($0.inputs) \($0.type)" }.joined(separator: "\n"))
        print(graph.outputs, feeds.keys.sorted())
    }
}
