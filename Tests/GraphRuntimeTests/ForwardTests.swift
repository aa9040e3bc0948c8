import GraphRuntime
import TensorGraph
import Testing

@Suite("Reference kernels against hand-computed values")
struct ForwardTests {
    @Test("every op kind has a forward case")
    func everyOpKindHasAForwardCase() {
        for kind in OpKind.allCases {
            #expect(forwardCases[kind]?.isEmpty == false, "add a ForwardCase for \(kind.rawValue)")
        }
    }

    @Test("forward values in float32 and float64", arguments: OpKind.allCases)
    func forward(_ kind: OpKind) throws {
        let cases = try #require(forwardCases[kind], "no ForwardCase for \(kind.rawValue)")
        for c in cases {
            let graph = try Tracer.trace { t in ["y": c.build(t)] }
            #expect(graph.nodes.contains { $0.op.kind == kind }, "\(c.name): the graph has no \(kind.rawValue) node")
            let exact = try runSingle(graph, feeds: c.feeds, precision: .float64)
            expectClose(exact, c.expected, relative: 1e-12, absolute: 1e-12, "\(kind.rawValue), \(c.name), float64")
            let rounded = try #require(try runSingle(graph, feeds: c.feeds, precision: .float32))
            expectClose(rounded, c.expected, relative: 1e-6, absolute: 1e-6, "\(kind.rawValue), \(c.name), float32")
            if rounded.dtype == .float32 {
                #expect(rounded.scalars.allSatisfy { Double(Float($0)) == $0 || $0.isNaN },
                        "\(c.name): float32 mode left a value unrounded")
            }
        }
    }

    @Test("evaluate returns every node; run returns the named outputs")
    func evaluateAndRun() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2])
            let y = x * 2
            return ["y": y, "z": y + 1]
        }
        let feeds = ["x": floats([2], [1, 2])]
        let values = try ReferenceInterpreter().evaluate(graph, feeds: feeds)
        #expect(values.count == graph.nodes.count)
        #expect(values.map(\.type) == graph.nodes.map(\.type))
        let outputs = try ReferenceInterpreter().run(graph, feeds: feeds)
        #expect(outputs["y"] == floats([2], [2, 4]))
        #expect(outputs["z"] == floats([2], [3, 5]))
    }

    @Test("float32 mode rounds feeds and results; float64 mode does not")
    func rounding() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [1])
            return ["x": x.stopGradient(), "y": x / 3]
        }
        let feeds = ["x": floats([1], [0.1])]
        let f32 = try ReferenceInterpreter(precision: .float32).run(graph, feeds: feeds)
        #expect(f32["x"]?.scalars == [Double(Float(0.1))])
        #expect(f32["y"]?.scalars == [Double(Float(Double(Float(0.1)) / 3))])
        let f64 = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
        #expect(f64["x"]?.scalars == [0.1])
        #expect(f64["y"]?.scalars == [0.1 / 3])
    }

    @Test("int32 arithmetic wraps like C")
    func int32Wraps() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2], .int32)
            return ["y": x + x, "m": x * x]
        }
        let out = try ReferenceInterpreter().run(graph, feeds: ["x": ints([2], [2_147_483_647, -65_536])])
        #expect(out["y"] == ints([2], [-2, -131_072]))
        #expect(out["m"] == ints([2], [1, 0]))
    }

    @Test("NaN propagates through maximum, max, relu and sorts as the largest value")
    func nanHandling() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [3])
            return ["max": x.max(), "maximum": x.maximum(0), "relu": x.relu(), "top": x.topK(1), "argmax": x.argmax(axis: 0)]
        }
        let out = try ReferenceInterpreter().run(graph, feeds: ["x": floats([3], [1, .nan, 2])])
        #expect(out["max"]?.scalars[0].isNaN == true)
        #expect(out["maximum"]?.scalars[1].isNaN == true)
        #expect(out["relu"]?.scalars[1].isNaN == true)
        #expect(out["top"] == ints([1], [1]))
        #expect(out["argmax"] == ints([], [1]))
    }
}
