import GraphCompiler
import PhenakiGraphs
import TensorGraph
import Testing

@Suite struct TextDumpTests {
    @Test func oneLinePerNodeThenOutputs() throws {
        let graph = try ModelZoo.graph(named: "transformer-block")
        let lines = textDump(graph).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == graph.nodes.count + graph.outputs.count)
        for (node, line) in zip(graph.nodes, lines) {
            #expect(line.hasPrefix("\(node.id) = \(node.op.kind.rawValue) "))
        }
        #expect(lines.suffix(2) == ["output loss = %58 f32[]", "output y = %55 f32[1,576,512]"])
        #expect(lines.contains { $0.contains("@layers.0.1.to_q ") })
    }

    @Test func lineAnatomy() throws {
        let graph = try ModelZoo.graph(named: "transformer-block")
        let lines = textDump(graph).split(separator: "\n").map(String.init)
        #expect(lines.contains("%13 = matmul tB f32[576,1024] @layers.0.1.to_kv (%12, %11)"))
        #expect(lines.contains("%0 = input x f32[1,576,512] @<root> ()"))
        #expect(lines.contains(
            "%40 = parameter layers.0.3.1.weight init=kaiming_uniform(fan_in=512) f32[2730,512] @layers.0.3.1 ()"))
        #expect(lines.contains("%27 = attention scale=8.0 f32[1,8,576,64] @layers.0.1 (%23, %26, %20)"))
        #expect(lines.contains("%52 = add f32[1,576,512] @layers.0 (%51, %34)"))
    }
}
