import Foundation
import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

@Suite struct SimplifyConstantFoldingTests {
    let exact: [GraphPass] = [.constantFolding(SimplifyOptions(foldingPrecision: .float64))]

    @Test func constantSubexpressionsFoldToOneConstant() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 3])
            let c = (t.constant(values: [1, 2, 3], [3]) * 2.0 + t.iota([2, 3], axis: 0).cast(.float32)).exp()
            return ["y": x + c, "c": c.sum(axes: [1])]
        }
        let result = try simplified(graph, exact, feeds: ["x": ramp([2, 3])])
        #expect(computeKinds(result) == [.add])
        let c = result[result.output("c")!]
        guard case .constant(let values) = c.op else {
            Issue.record("c was not folded: \(c.op)")
            return
        }
        #expect(values.count == 2)
    }

    @Test func splatsFoldAtAnySize() throws {
        let graph = try Tracer.trace { t in
            let big = t.constant(0.5, [64, 128])
            let y = (big * 4.0 - 1.0).reshape([128, 64]).expand([2, 128, 64]).pad(axis: 0, before: 1, after: 0, value: 1)
            return ["y": y, "same": concat([y, y], axis: 1)]
        }
        let result = try simplified(graph, exact, feeds: [:])
        #expect(result[result.output("y")!].op == .constant(values: [1]))
        #expect(result[result.output("same")!].op == .constant(values: [1]))
        #expect(result[result.output("y")!].type == TensorType([3, 128, 64]))
    }

    @Test func distinctValuesFoldOnlyUpToTheLimit() throws {
        let graph = try Tracer.trace { t in
            ["small": t.iota([4096], axis: 0).cast(.float32), "large": t.iota([4097], axis: 0).cast(.float32)]
        }
        let result = try simplified(graph, exact, feeds: [:])
        #expect(result[result.output("small")!].op.kind == .constant)
        #expect(result[result.output("large")!].op.kind == .cast)
        let tight = try PassManager([.constantFolding(SimplifyOptions(maxFoldedElements: 10))]).run(graph)
        #expect(tight[tight.output("small")!].op.kind == .cast)
    }

    @Test func randomOpsSourcesAndFailingOpsAreNotFolded() throws {
        let graph = try Tracer.trace { t in
            let key = t.constant(values: [3, 4], [2], .int32)
            let noise = t.randomUniform(key.foldIn(1), [3])
            let x = t.input("x", [3])
            let table = t.constant(values: [1, 2, 3], [3])
            return [
                "noise": noise + 1.0,
                "x": x * t.constant(2, [3]),
                "div0": (t.constant(7, [2], .int32) / t.constant(0, [], .int32)).cast(.float32),
                "oob": table.gather(t.constant(values: [0, 5], [2], .int32)),
            ]
        }
        let result = try PassManager(exact + [.deadCode]).run(graph)
        #expect(count(.fold_in, in: result) == 1 && count(.random_uniform, in: result) == 1)
        #expect(count(.add, in: result) == 1 && count(.mul, in: result) == 1)
        #expect(count(.div, in: result) == 1 && count(.gather, in: result) == 1)
    }

    /// The default pass folds in float32: it stores what the float32 runtime computes.
    @Test func defaultFoldingRoundsLikeTheFloat32Runtime() throws {
        let graph = try Tracer.trace { t in ["y": (t.constant(0.1, []) * 3.0).exp()] }
        let folded = try PassManager([.constantFolding, .deadCode]).run(graph)
        let expected = try ReferenceInterpreter(precision: .float32).run(graph, feeds: [:])["y"]!.scalars[0]
        #expect(folded[folded.output("y")!].op == .constant(values: [expected]))
        #expect(expected == Double(Float(expected)))
        let exactFolded = try PassManager(exact + [.deadCode]).run(graph)
        #expect(exactFolded[exactFolded.output("y")!].op == .constant(values: [Foundation.exp(0.1 * 3.0)]))
    }
}
