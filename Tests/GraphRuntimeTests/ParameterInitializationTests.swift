import GraphRuntime
import TensorGraph
import Testing

@Suite("Parameter initialisation")
struct ParameterInitializationTests {
    func model(extraLayerFirst: Bool) throws -> Graph {
        try Tracer.trace { t in
            var x = t.input("x", [2, 4])
            if extraLayerFirst { x = t.scope("pre") { Linear(4, 4)(x) } }
            let y = t.scope("proj") { Linear(4, 3)(x) }
            return ["y": y]
        }
    }

    @Test("kaiming uniform stays within ±1/sqrt(fanIn)")
    func kaimingUniformBounds() throws {
        let values = initialParameters(of: try model(extraLayerFirst: false), seed: 0)
        let weight = try #require(values["proj.weight"])
        #expect(weight.shape == [3, 4])
        #expect(weight.scalars.allSatisfy { Swift.abs($0) <= 0.5 })
        #expect(Set(weight.scalars).count == 12)
        #expect(values["proj.bias"]?.scalars.allSatisfy { Swift.abs($0) <= 0.5 } == true)
    }

    @Test("values depend on seed and name, not on position in the model")
    func determinismByName() throws {
        let plain = initialParameters(of: try model(extraLayerFirst: false), seed: 9)
        let longer = initialParameters(of: try model(extraLayerFirst: true), seed: 9)
        #expect(plain["proj.weight"] == longer["proj.weight"])
        #expect(plain["proj.bias"] == longer["proj.bias"])
        #expect(initialParameters(of: try model(extraLayerFirst: false), seed: 9) == plain)
        #expect(initialParameters(of: try model(extraLayerFirst: false), seed: 10)["proj.weight"] != plain["proj.weight"])
        #expect(longer["pre.weight"] != nil)
    }

    @Test("every initializer draws what it promises")
    func initializers() throws {
        let graph = try Tracer.trace { t in
            let ps = [
                t.parameter("zeros", [3], .zeros), t.parameter("ones", [3], .ones),
                t.parameter("constant", [3], .constant(2.5)),
                t.parameter("uniform", [1000], .uniform(low: -2, high: -1)),
                t.parameter("normal", [4000], .normal(mean: 3, std: 0.5)),
                t.parameter("kaiming_normal", [4000], .kaimingNormal(fanIn: 8)),
            ]
            return ["y": concat(ps, axis: 0)]
        }
        let values = initialParameters(of: graph, seed: 1)
        #expect(values["zeros"]?.scalars == [0, 0, 0])
        #expect(values["ones"]?.scalars == [1, 1, 1])
        #expect(values["constant"]?.scalars == [2.5, 2.5, 2.5])
        #expect(values["uniform"]?.scalars.allSatisfy { $0 >= -2 && $0 <= -1 } == true)
        func moments(_ xs: [Double]) -> (mean: Double, std: Double) {
            let mean = xs.reduce(0, +) / Double(xs.count)
            return (mean, (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count)).squareRoot())
        }
        let normal = moments(try #require(values["normal"]).scalars)
        #expect(Swift.abs(normal.mean - 3) < 0.05 && Swift.abs(normal.std - 0.5) < 0.03)
        let kaiming = moments(try #require(values["kaiming_normal"]).scalars)
        #expect(Swift.abs(kaiming.mean) < 0.05 && Swift.abs(kaiming.std - 0.5) < 0.03)
        #expect(values.values.allSatisfy { $0.scalars.allSatisfy { Double(Float($0)) == $0 } })
    }

    @Test("initial parameters plus zero feeds run the graph")
    func zeroFeedsRun() throws {
        let graph = try model(extraLayerFirst: false)
        let feeds = initialParameters(of: graph, seed: 3).merging(zeroFeeds(of: graph)) { a, _ in a }
        let y = try #require(try ReferenceInterpreter().run(graph, feeds: feeds)["y"])
        let bias = try #require(feeds["proj.bias"])
        #expect(y.scalars == bias.scalars + bias.scalars)
    }
}
