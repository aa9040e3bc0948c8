import Foundation
import GraphCompiler
import PhenakiGraphs
import TensorGraph
import Testing

@Suite struct JSONDumpTests {
    @Test(arguments: ["mlp", "transformer-block"])
    func roundTripGivesAnIdenticalGraph(model: String) throws {
        let graph = try ModelZoo.graph(named: model)
        #expect(try graphFromJSON(jsonDump(graph)) == graph)
    }

    @Test func roundTripKeepsTheBackwardGraph() throws {
        let graph = try addingParameterGradients(to: ModelZoo.graph(named: "mlp"), loss: "loss")
        #expect(try graphFromJSON(jsonDump(graph)) == graph)
    }

    @Test func roundTripKeepsNonFiniteAndFractionalConstants() throws {
        let graph = try Tracer.trace { t in
            let values = [-Double.infinity, .infinity, 0.1, 1.0 / 3.0, -Double.greatestFiniteMagnitude]
            return ["c": t.constant(values: values, [5]) + t.input("x", [5])]
        }
        #expect(try graphFromJSON(jsonDump(graph)) == graph)
    }

    @Test func nodesHaveTheDocumentedFields() throws {
        let json = try jsonDump(ModelZoo.graph(named: "mlp"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["nodes", "outputs"])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(Set(nodes[1].keys) == ["id", "op", "shape", "dtype", "inputs", "scope", "attrs"])
        #expect(nodes[1]["op"] as? String == "input")
        #expect(nodes[1]["dtype"] as? String == "int32")
        #expect(nodes[1]["shape"] as? [Int] == [16])
        let outputs = try #require(object["outputs"] as? [[String: Any]])
        #expect(outputs.first?["name"] as? String == "loss")
        #expect(json.contains("\"attrs\" : {\n        \"input\" : {"))
    }

    @Test func notJSONIsMalformed() {
        expectMalformed("{\"nodes\": [", mentioning: "not valid JSON")
        expectMalformed("[1, 2, 3]", mentioning: "top level")
        expectMalformed("{\"nodes\": []}", mentioning: "outputs")
    }

    @Test func wrongFieldTypeNamesThePath() throws {
        let json = try jsonDump(ModelZoo.graph(named: "mlp"))
        let broken = json.replacingOccurrences(of: "\"id\" : 3,", with: "\"id\" : \"three\",")
        expectMalformed(broken, mentioning: "nodes[3].id")
    }

    @Test func opMustAgreeWithAttrs() throws {
        let graph = try ModelZoo.graph(named: "mlp")
        let gelu = try #require(graph.nodes.first { $0.op.kind == .gelu }).id.index
        let json = try jsonDump(graph)
        let broken = json.replacingOccurrences(of: "\"op\" : \"gelu\"", with: "\"op\" : \"relu\"")
        #expect(throws: DumpError.opMismatch(node: gelu, op: "relu", attrs: "gelu")) { try graphFromJSON(broken) }
        let unknown = json.replacingOccurrences(of: "\"op\" : \"gelu\"", with: "\"op\" : \"frobnicate\"")
        #expect(throws: DumpError.unknownOp(node: gelu, name: "frobnicate")) { try graphFromJSON(unknown) }
    }

    @Test func unknownDTypeIsNamed() throws {
        let json = try jsonDump(ModelZoo.graph(named: "mlp"))
        let broken = json.replacingOccurrences(of: "\"dtype\" : \"int32\"", with: "\"dtype\" : \"int64\"")
        #expect(throws: DumpError.unknownDType(node: 1, name: "int64")) { try graphFromJSON(broken) }
    }

    @Test func wrongShapeFailsVerification() throws {
        let graph = try ModelZoo.graph(named: "mlp")
        var broken = graph
        let matmul = try #require(graph.nodes.first { $0.op.kind == .matmul }).id.index
        broken.nodes[matmul].type.shape = [16, 65]
        do {
            _ = try graphFromJSON(jsonDump(broken))
            Issue.record("expected a verification error")
        } catch {
            guard case .invalidGraph = error else {
                Issue.record("expected invalidGraph, got \(error)")
                return
            }
            #expect(error.description.contains("f32[16,65]"))
        }
    }

    @Test func hugeIntegersAreRejectedBeforeShapeInference() throws {
        let json = try jsonDump(ModelZoo.graph(named: "transformer-block"))
        let hugeShape = json.replacingOccurrences(of: "\"shape\" : [\n            576,", with: "\"shape\" : [\n            4611686018427387904,")
        #expect(hugeShape != json)
        #expect(throws: DumpError.self) { try graphFromJSON(hugeShape) }
        do {
            _ = try graphFromJSON(hugeShape)
        } catch {
            guard case .outOfRange(_, let detail) = error else {
                Issue.record("expected outOfRange, got \(error)")
                return
            }
            #expect(detail.contains("4611686018427387904"))
        }
        // Extents that are each in range but whose product overflows Int.
        let graph = try ModelZoo.graph(named: "mlp")
        var broken = graph
        broken.nodes[0].type.shape = [1 << 30, 1 << 30, 1 << 30]
        #expect(throws: DumpError.outOfRange(node: 0, detail: "shape: \([1 << 30, 1 << 30, 1 << 30]) has too many elements")) {
            try graphFromJSON(jsonDump(broken))
        }
    }

    private func expectMalformed(_ text: String, mentioning part: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try graphFromJSON(text)
            Issue.record("expected malformedJSON", sourceLocation: sourceLocation)
        } catch {
            guard case .malformedJSON(let message) = error else {
                Issue.record("expected malformedJSON, got \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(message.contains(part), "\(message)", sourceLocation: sourceLocation)
        }
    }
}
