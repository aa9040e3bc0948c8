import GraphCompiler
import GraphRuntime
import Testing
import TensorGraph

@Suite struct SimplifyAlgebraicTests {
    let algebra: [GraphPass] = [.algebraicSimplification]

    @Test func arithmeticIdentitiesVanish() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 3])
            let y = ((((x + 0.0) * 1.0 - 0.0) / 1.0) * 1.0)
            let z = 0.0 + (1.0 * y)
            return ["y": -(-z), "p": (x.abs() + 0.5).pow(1.0)]
        }
        let result = try simplified(graph, algebra, feeds: ["x": ramp([2, 3])])
        #expect(result[result.output("y")!].op == .input(name: "x"))
        #expect(computeKinds(result) == [.abs, .add])
    }

    @Test func identityThatBroadcastsBecomesAnExpand() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [3])
            return ["y": x + t.constant(0, [2, 3]), "z": t.constant(1, [4, 1, 1]) * x]
        }
        let result = try simplified(graph, algebra, feeds: ["x": ramp([3])])
        #expect(computeKinds(result) == [.expand, .expand])
        #expect(result[result.output("y")!].type == TensorType([2, 3]))
        #expect(result[result.output("z")!].type == TensorType([4, 1, 3]))
    }

    @Test func zeroTimesFloatStaysUnlessValuesAreFinite() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [3])
            let i = t.input("i", [3], .int32)
            return ["y": x * 0.0, "j": t.constant(0, [], .int32) * i, "z": 0.0 - x]
        }
        let feeds = ["x": HostTensor(shape: [3], scalars: [.infinity, .nan, 2]), "i": ramp([3], start: 1, step: 1)
            .withDType(.int32)]
        let exact = try simplified(graph, algebra, feeds: feeds)
        #expect(count(.mul, in: exact) == 1)   // float x * 0 kept: inf * 0 is NaN
        #expect(count(.sub, in: exact) == 1)   // 0 - x is not x
        #expect(exact[exact.output("j")!].op == .constant(values: [0]))

        let finite = try PassManager([.algebraicSimplification(SimplifyOptions(assumeFiniteValues: true)), .deadCode])
            .run(graph)
        #expect(count(.mul, in: finite) == 0)
        #expect(finite[finite.output("y")!].op == .constant(values: [0]))
        #expect(finite[finite.output("y")!].type == TensorType([3]))
    }

    @Test func layoutIdentitiesVanish() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 3])
            var y = x.reshape([2, 3])
            y = t.record(.permute(perm: [0, 1]), [y])
            y = t.record(.expand(shape: [2, 3]), [y])
            y = t.record(.slice(starts: [0, 0], ends: [2, 3]), [y])
            y = t.record(.pad(before: [0, 0], after: [0, 0], value: 5), [y])
            y = y.cast(.float32).sum(axes: [])
            return ["y": concat([y], axis: 1)]
        }
        let result = try simplified(graph, algebra, feeds: ["x": ramp([2, 3])])
        #expect(computeKinds(result).isEmpty)
    }

    @Test func layoutChainsCompose() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 3, 4])
            let p = x.permute([1, 2, 0]).permute([2, 0, 1])          // identity overall
            let q = x.permute([2, 0, 1]).permute([0, 2, 1])          // [4, 3, 2]
            let r = x.reshape([6, 4]).reshape([4, 6])
            let s = x.slice(axis: 1, 1..<3).slice(axis: 1, 1..<2).slice(axis: 2, 1..<3)
            let e = x.sum(axes: [1], keepDims: true).expand([5, 2, 3, 4]).expand([2, 5, 2, 3, 4])
            return ["p": p, "q": q, "r": r, "s": s, "e": e]
        }
        let result = try simplified(graph, algebra, feeds: ["x": ramp([2, 3, 4])])
        #expect(result[result.output("p")!].op == .input(name: "x"))
        #expect(result[result.output("q")!].op == .permute(perm: [2, 1, 0]))
        #expect(result[result.output("r")!].op == .reshape(shape: [4, 6]))
        #expect(result[result.output("s")!].op == .slice(starts: [0, 2, 1], ends: [2, 3, 3]))
        #expect(count(.expand, in: result) == 1)
        #expect(count(.permute, in: result) == 1 && count(.reshape, in: result) == 1 && count(.slice, in: result) == 1)
    }

    @Test func permuteOfSizeOneAxesAndReductionsOverThemBecomeReshapes() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [3, 1, 4])
            return ["p": x.permute([1, 0, 2]), "m": x.max(axes: [1]), "l": x.logSumExp(axes: [1], keepDims: true),
                    "kept": x.permute([2, 1, 0])]
        }
        let result = try simplified(graph, algebra, feeds: ["x": ramp([3, 1, 4])])
        #expect(result[result.output("p")!].op == .reshape(shape: [1, 3, 4]))
        #expect(result[result.output("m")!].op == .reshape(shape: [3, 4]))
        #expect(result[result.output("l")!].op == .input(name: "x"))
        #expect(result[result.output("kept")!].op == .permute(perm: [2, 1, 0]))  // moves 3 and 4: refused
    }

    @Test func selectWithAConstantConditionOrEqualBranchesPicksABranch() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [3])
            let y = t.input("y", [2, 3])
            let yes = t.constant(1, [], .bool)
            let no = t.constant(values: [0, 0, 0], [3], .bool)
            let mixed = t.constant(values: [1, 0, 1], [3], .bool)
            return ["a": select(yes, x, y), "b": select(no, x, y), "c": select(x .> 0, x, x),
                    "d": select(mixed, x, y)]
        }
        let result = try simplified(graph, algebra, feeds: ["x": ramp([3]), "y": ramp([2, 3], start: 3)])
        #expect(result[result.output("a")!].op == .expand(shape: [2, 3]))
        #expect(result[result.output("b")!].op == .input(name: "y"))
        #expect(result[result.output("c")!].op == .input(name: "x"))
        #expect(count(.where, in: result) == 1)  // a mixed condition stays
    }

    @Test func logicalIdentitiesVanish() throws {
        let graph = try Tracer.trace { t in
            let b = t.input("b", [3], .bool)
            let yes = t.constant(1, [], .bool)
            let no = t.constant(0, [], .bool)
            return ["y": (b .& yes).logicalNot().logicalNot() .| no]
        }
        let result = try simplified(graph, algebra, feeds: ["b": HostTensor(shape: [3], dtype: .bool, scalars: [1, 0, 1])])
        #expect(computeKinds(result).isEmpty)
    }

    @Test func stopGradientStaysUntilErased() throws {
        let graph = try Tracer.trace { t in ["y": t.input("x", [3]).stopGradient().exp()] }
        let feeds = ["x": ramp([3])]
        #expect(count(.stop_gradient, in: try simplified(graph, algebra, feeds: feeds)) == 1)
        #expect(count(.stop_gradient, in: try simplified(graph, [.eraseStopGradients], feeds: feeds)) == 0)
        let options = SimplifyOptions(eraseStopGradients: true)
        #expect(count(.stop_gradient, in: try simplified(graph, [.algebraicSimplification(options)], feeds: feeds)) == 0)
    }

    /// Autodiff of a chunked tensor sums zero-pads; adjacent ones become one concat.
    @Test func sumOfAdjacentZeroPadsBecomesAConcat() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 6])
            let a = x.slice(axis: 1, 0..<2).tanh()
            let b = x.slice(axis: 1, 2..<5).sin()
            let c = x.slice(axis: 1, 5..<6) * 3.0
            return ["loss": concat([a, c, b], axis: 1).square().sum()]
        }
        let (joint, grads) = try gradients(of: graph.output("loss")!, withRespectTo: [graph.inputs[0].node.id], in: graph)
        var withGrad = joint
        withGrad.outputs.append(GraphOutput(name: "dx", node: grads[0]))
        // The second round flattens the concat the first made of two pads into the third.
        let result = try simplified(withGrad, [.algebraicSimplification, .algebraicSimplification],
                                    feeds: ["x": ramp([2, 6])])
        #expect(count(.pad, in: withGrad) == 3)
        #expect(count(.pad, in: result) == 0)
        #expect(count(.concat, in: result) == 2)  // the forward one and one three-way gradient concat
    }

    @Test func padsThatOverlapLeaveGapsOrHaveOtherReadersStay() throws {
        let graph = try Tracer.trace { t in
            let a = t.input("a", [2, 2])
            let b = t.input("b", [2, 3])
            let shared = a.pad(axis: 1, before: 0, after: 3)
            return [
                "overlap": a.pad(axis: 1, before: 0, after: 3) + b.pad(axis: 1, before: 1, after: 1),
                "gap": a.pad(axis: 1, before: 0, after: 4) + b.pad(axis: 1, before: 3, after: 0),
                "value": a.pad(axis: 1, before: 0, after: 3, value: 1) + b.pad(axis: 1, before: 2, after: 0),
                "shared": shared + b.pad(axis: 1, before: 2, after: 0), "pa": shared,
            ]
        }
        let result = try simplified(graph, algebra, feeds: ["a": ramp([2, 2]), "b": ramp([2, 3], start: 2)])
        #expect(count(.concat, in: result) == 0)
        #expect(count(.add, in: result) == 4)
    }

    @Test func reshapeOfAKeptReductionDropsTheAxesUnlessShared() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 3, 4])
            let s = x.sum(axes: [0, 1], keepDims: true)
            let m = x.mean(axes: [2], keepDims: true)
            return ["s": s.reshape([4]), "m": m.reshape([2, 3]), "m2": m * 2.0]
        }
        let result = try simplified(graph, algebra, feeds: ["x": ramp([2, 3, 4])])
        #expect(result[result.output("s")!].op == .reduce(.sum, axes: [0, 1], keepDims: false))
        #expect(result[result.output("m")!].op == .reshape(shape: [2, 3]))  // the mean has two readers
    }

    @Test func nestedConcatsFlatten() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 3])
            let inner = concat([x, x.exp()], axis: 1)
            let otherAxis = concat([concat([x, x.cos()], axis: 0), concat([x, x], axis: 0)], axis: 1)
            return ["y": concat([x.sin(), inner, x], axis: 1), "z": otherAxis]
        }
        let result = try simplified(graph, algebra, feeds: ["x": ramp([2, 3])])
        let y = result[result.output("y")!]
        #expect(y.op == .concat(axis: 1) && y.inputs.count == 4)
        #expect(count(.concat, in: result) == 4)
    }
}

extension HostTensor {
    /// The same scalars read as another dtype (test data only).
    func withDType(_ dtype: DType) -> HostTensor { HostTensor(shape: shape, dtype: dtype, scalars: scalars) }
}
