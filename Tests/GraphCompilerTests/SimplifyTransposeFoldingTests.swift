import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

@Suite struct SimplifyTransposeFoldingTests {
    let folding: [GraphPass] = [.transposeFolding]

    @Test func explicitTransposesOfOperandsBecomeFlags() throws {
        let graph = try Tracer.trace { t in
            let a = t.input("a", [2, 4, 3])
            let b = t.input("b", [5, 4])
            let c = t.input("c", [4, 5])
            return [
                "ab": matmul(a.transposed(), b.transposed()),                      // [2,3,5]
                "flagged": matmul(a.transposed(), c.transposed(), transposeB: true), // [2,3,5]
                "shared": a.transposed().exp(),
            ]
        }
        let feeds = ["a": ramp([2, 4, 3]), "b": ramp([5, 4], start: 0.4, step: -0.1), "c": ramp([4, 5], step: 0.2)]
        let result = try simplified(graph, folding, feeds: feeds)
        #expect(result[result.output("ab")!].op == .matmul(transposeA: true, transposeB: true))
        #expect(result[result.output("flagged")!].op == .matmul(transposeA: true, transposeB: false))
        #expect(count(.permute, in: result) == 1)  // the transpose "shared" reads stays
    }

    @Test func transposedProductBecomesTheProductOfTransposes() throws {
        let graph = try Tracer.trace { t in
            let a = t.input("a", [2, 3, 4])
            let b = t.input("b", [4, 5])
            let single = matmul(a, b, transposeB: false).transposed()              // [2,5,3]
            let shared = matmul(a, b)
            return ["single": single, "shared": shared.transposed(), "product": shared]
        }
        let result = try simplified(graph, folding, feeds: ["a": ramp([2, 3, 4]), "b": ramp([4, 5], step: 0.1)])
        let single = result[result.output("single")!]
        #expect(single.op == .matmul(transposeA: true, transposeB: true))
        #expect(single.inputs.map { result[$0].op } == [.input(name: "b"), .input(name: "a")])
        #expect(result[result.output("shared")!].op.kind == .permute)  // the product has another reader
    }

    @Test func otherPermutesStay() throws {
        let graph = try Tracer.trace { t in
            let a = t.input("a", [3, 2, 4])
            let b = t.input("b", [2, 4, 5])
            return ["y": matmul(a.permute([1, 0, 2]), b)]  // swaps batch and rows
        }
        let result = try simplified(graph, folding, feeds: ["a": ramp([3, 2, 4]), "b": ramp([2, 4, 5], step: 0.05)])
        #expect(count(.permute, in: result) == 1)
        #expect(result[result.output("y")!].op == .matmul(transposeA: false, transposeB: false))
    }

    /// Attention's `q · kᵀ` and the transposes autodiff adds around it fold away.
    @Test func attentionScoresAndTheirGradientsNeedNoPermute() throws {
        let graph = try Tracer.trace { t in
            let q = t.input("q", [2, 3, 4])
            let k = t.input("k", [2, 5, 4])
            let v = t.input("v", [2, 5, 4])
            let attention = matmul(matmul(q, k.transposed()).softmax(axis: -1), v)
            return ["loss": attention.transposed().square().sum()]
        }
        let targets = graph.inputs.map(\.node.id)
        var (joint, grads) = try gradients(of: graph.output("loss")!, withRespectTo: targets, in: graph)
        for (name, grad) in zip(["dq", "dk", "dv"], grads) { joint.outputs.append(GraphOutput(name: name, node: grad)) }
        let feeds = ["q": ramp([2, 3, 4], step: 0.05), "k": ramp([2, 5, 4], step: 0.03), "v": ramp([2, 5, 4], step: 0.07)]
        #expect(count(.permute, in: try PassManager.canonicalize.run(joint)) == 4)
        let result = try simplified(joint, folding + [.algebraicSimplification, .transposeFolding], feeds: feeds)
        #expect(count(.permute, in: result) == 0)
    }
}
