import Foundation
import GraphCompiler
import PhenakiGraphs
import TensorGraph
import Testing

/// Graphviz `dot`, if installed.
private let dotExecutable = executableOnPath("dot")

/// Runs `dot -Tsvg` on `source`; returns its exit status and the SVG.
private func renderSVG(_ source: String, dot: String) throws -> (status: Int32, svg: String) {
    let result = try runProcess(dot, ["-Tsvg"], stdin: source)
    return (result.status, result.stdout)
}

@Suite struct DotDumpTests {
    @Test func startsWithDigraphAndHasEveryNodeAndOutput() throws {
        let graph = try ModelZoo.graph(named: "transformer-block")
        let dot = dotDump(graph)
        #expect(dot.hasPrefix("digraph"))
        for node in graph.nodes { #expect(dot.contains("  n\(node.id.index) [label=") || dot.contains("    n\(node.id.index) [label=")) }
        #expect(dot.contains("out0 [label=\"loss\""))
        #expect(dot.contains("label=\"layers\""))
        #expect(dot.contains("cluster_legend"))
    }

    @Test func rolesGetDistinctStyles() throws {
        let graph = try addingParameterGradients(to: ModelZoo.graph(named: "mlp"), loss: "loss")
        let roles = Set(graph.nodes.map(DotNodeStyle.init))
        #expect(roles == [.parameter, .input, .constant, .forward, .gradient])
        let looks = DotNodeStyle.allCases.map { "\($0.shape) \($0.fillColor)" }
        #expect(Set(looks).count == DotNodeStyle.allCases.count)
        #expect(dotDump(graph).contains("label=\"backward/0\""))
    }

    @Test func labelsAreEscaped() {
        #expect(dotQuoted(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(dotQuoted("x\ny") == #""x\ny""#)
        #expect(dotQuoted("x\r\ny") == #""x\ny""#)
    }

    @Test(.enabled(if: dotExecutable != nil, "Graphviz dot is not on PATH"))
    func graphvizRendersForwardAndBackwardDumps() throws {
        let dot = try #require(dotExecutable)
        let forward = try ModelZoo.graph(named: "transformer-block")
        for graph in [forward, try addingParameterGradients(to: forward, loss: "loss")] {
            let (status, svg) = try renderSVG(dotDump(graph), dot: dot)
            #expect(status == 0)
            #expect(svg.contains("<svg"))
        }
        var tricky = try ModelZoo.graph(named: "mlp")
        tricky.nodes[0].scope = "we\"ird\\scope {x|y} <b>"
        tricky.outputs[0].name = "quote\"d\nname"
        #expect(try renderSVG(dotDump(tricky), dot: dot).status == 0)
    }
}
