import Testing
import TensorGraph

/// A layer that declares one parameter so its position in the scope tree is visible.
private struct Probe: Layer {
    let width: Int
    func callAsFunction(_ x: Tensor) -> Tensor {
        x * x.tracer.parameter("scale", [width], .ones)
    }
}

private func parameterNames(_ layer: some Layer, width: Int = 4) throws -> [String] {
    let graph = try Tracer.trace { t in
        ["y": layer(t.input("x", [2, width]))]
    }
    return graph.parameters.map(\.name)
}

@Suite struct LayerBuilderTests {
    @Test func sequentialNumbersLayersLikePyTorch() throws {
        let names = try parameterNames(Sequential {
            Probe(width: 4)
            Linear(4, 4)
            Probe(width: 4)
        })
        #expect(names == ["0.scale", "1.weight", "1.bias", "2.scale"])
    }

    @Test(arguments: [true, false])
    func ifWithoutElseKeepsOrDropsOnlyItsOwnLayer(_ flag: Bool) throws {
        let names = try parameterNames(Sequential {
            Probe(width: 4)
            if flag { Probe(width: 4) }
            Probe(width: 4)
        })
        #expect(names == (flag ? ["0.scale", "1.scale", "2.scale"] : ["0.scale", "1.scale"]))
    }

    @Test(arguments: [true, false])
    func ifElseTakesExactlyOneBranch(_ flag: Bool) throws {
        let names = try parameterNames(Sequential {
            if flag {
                Probe(width: 4)
                Probe(width: 4)
            } else {
                Linear(4, 4, bias: false)
            }
            Probe(width: 4)
        })
        #expect(names == (flag ? ["0.scale", "1.scale", "2.scale"] : ["0.weight", "1.scale"]))
    }

    @Test func forLoopContributesEveryIteration() throws {
        let names = try parameterNames(Sequential {
            for _ in 0..<3 { Probe(width: 4) }
            Linear(4, 2, bias: false)
        })
        #expect(names == ["0.scale", "1.scale", "2.scale", "3.weight"])
    }

    @Test func nilOptionalKeepsItsSlotLikeModuleListNone() throws {
        let absent: Probe? = nil
        let present: Probe? = Probe(width: 4)
        let names = try parameterNames(Sequential {
            absent
            Probe(width: 4)
            present
        })
        #expect(names == ["1.scale", "2.scale"])
        let layers = Sequential { absent; Probe(width: 4) }
        #expect(layers.slots.count == 2)
        #expect(layers.layers.map(\.index) == [1])
    }

    @Test func residualAddsItsInput() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 4])
            return ["y": Residual { Probe(width: 4) }(x)]
        }
        #expect(graph.parameters.map(\.name) == ["0.scale"])
        let y = graph[graph.output("y")!]
        #expect(y.op == .binary(.add))
        #expect(y.inputs.contains(graph.inputs[0].node.id))
    }

    @Test func nestedNamesReproduceStateDictKeys() throws {
        struct Block: Layer {
            func callAsFunction(_ x: Tensor) -> Tensor {
                Linear(4, 4, bias: false).named("to_q")(x)
            }
        }
        let names = try parameterNames(Sequential {
            Sequential { nil as Probe?; Block() }
        }.named("layers"))
        #expect(names == ["layers.0.1.to_q.weight"])
    }
}
