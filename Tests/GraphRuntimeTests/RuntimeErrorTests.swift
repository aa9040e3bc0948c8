import GraphRuntime
import TensorGraph
import Testing

@Suite("Typed runtime errors")
struct RuntimeErrorTests {
    let graph: Graph

    init() throws {
        graph = try Tracer.trace { t in
            let table = t.scope("embed") { t.parameter("weight", [3, 2], .zeros) }
            let ids = t.input("ids", [2], .int32)
            return ["y": t.scope("lookup") { table.gather(ids, axis: 0) }]
        }
    }

    let table = floats([3, 2], [1, 2, 3, 4, 5, 6])

    @Test("a missing feed names what is expected")
    func missingFeed() {
        #expect(throws: RuntimeError.missingFeed(name: "ids", expected: TensorType([2], .int32))) {
            try ReferenceInterpreter().run(graph, feeds: ["embed.weight": table])
        }
        #expect(RuntimeError.missingFeed(name: "ids", expected: TensorType([2], .int32)).description.contains("i32[2]"))
    }

    @Test("a feed of the wrong shape or dtype")
    func wrongFeedType() {
        #expect(throws: RuntimeError.feedTypeMismatch(name: "embed.weight", expected: TensorType([3, 2]), got: TensorType([2, 3]))) {
            try ReferenceInterpreter().run(graph, feeds: ["embed.weight": floats([2, 3], table.scalars), "ids": ints([2], [0, 1])])
        }
        #expect(throws: RuntimeError.feedTypeMismatch(name: "ids", expected: TensorType([2], .int32), got: TensorType([2]))) {
            try ReferenceInterpreter().run(graph, feeds: ["embed.weight": table, "ids": floats([2], [0, 1])])
        }
    }

    @Test("a fraction fed as int32")
    func invalidFeedValue() {
        #expect(throws: RuntimeError.invalidFeedValue(name: "ids", dtype: .int32, index: 1, value: 0.5)) {
            try ReferenceInterpreter().run(graph, feeds: ["embed.weight": table, "ids": ints([2], [0, 0.5])])
        }
    }

    @Test("out-of-range and negative gather indices", arguments: [3.0, -1.0])
    func gatherIndexOutOfRange(index: Double) {
        #expect(throws: RuntimeError.indexOutOfRange(scope: "lookup", op: .gather, index: Int(index), extent: 3)) {
            try ReferenceInterpreter().run(graph, feeds: ["embed.weight": table, "ids": ints([2], [0, index])])
        }
    }

    @Test("scatter and one-hot indices are checked too")
    func otherIndexOps() throws {
        let g = try Tracer.trace { t in
            let u = t.input("u", [2])
            let i = t.input("i", [2], .int32)
            return ["s": t.record(.scatterAlongAxisAdd(axis: 0, size: 2), [u, i]), "h": i.oneHot(2)]
        }
        #expect(throws: RuntimeError.indexOutOfRange(scope: "", op: .scatter_along_axis_add, index: 2, extent: 2)) {
            try ReferenceInterpreter().run(g, feeds: ["u": floats([2], [1, 1]), "i": ints([2], [0, 2])])
        }
    }

    @Test("int32 division by zero")
    func divisionByZero() throws {
        let g = try Tracer.trace { t in
            let a = t.input("a", [1], .int32)
            return ["y": t.scope("ratio") { a / a }]
        }
        #expect(throws: RuntimeError.integerDivisionByZero(scope: "ratio")) {
            try ReferenceInterpreter().run(g, feeds: ["a": ints([1], [0])])
        }
    }
}
