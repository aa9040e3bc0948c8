import GraphRuntime
import TensorGraph
import Testing

@Suite("Counter-based RNG")
struct RNGTests {
    func draw(_ key: HostTensor, _ shape: [Int], normal: Bool = false) throws -> HostTensor {
        let graph = try Tracer.trace { t in
            let k = t.rngKey("key")
            return ["y": normal ? t.randomNormal(k, shape) : t.randomUniform(k, shape)]
        }
        return try #require(try ReferenceInterpreter().run(graph, feeds: ["key": key])["y"])
    }

    @Test("the same key gives the same values, another key other values")
    func determinism() throws {
        let a = try draw(RNGKey(7, 11).tensor, [4, 5])
        #expect(try draw(RNGKey(7, 11).tensor, [4, 5]) == a)
        let b = try draw(RNGKey(7, 12).tensor, [4, 5])
        #expect(zip(a.scalars, b.scalars).filter { $0 == $1 }.count <= 1)
        #expect(try draw(RNGKey(11, 7).tensor, [4, 5]) != a)
    }

    @Test("element i does not depend on the tensor's shape")
    func elementsAreCounterBased() throws {
        let small = try draw(RNGKey(1, 2).tensor, [3])
        let large = try draw(RNGKey(1, 2).tensor, [2, 4])
        #expect(Array(large.scalars.prefix(3)) == small.scalars)
    }

    @Test("uniform values lie in [0, 1) with mean near 0.5")
    func uniformStatistics() {
        let values = RNGKey(seed: 42).uniform(count: 10_000)
        #expect(values.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = values.reduce(0, +) / Double(values.count)
        #expect(Swift.abs(mean - 0.5) < 0.01)
        #expect(Set(values).count > 9_900)
    }

    @Test("normal values have mean near 0 and standard deviation near 1")
    func normalStatistics() {
        let values = RNGKey(seed: 43).normal(count: 10_000)
        #expect(values.allSatisfy { $0.isFinite })
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        #expect(Swift.abs(mean) < 0.05)
        #expect(Swift.abs(variance.squareRoot() - 1) < 0.05)
    }

    @Test("foldIn gives new keys that differ per data and are int32 pairs")
    func foldIn() throws {
        let key = RNGKey(1, 2)
        let folded = (0..<100).map { key.foldIn($0) }
        #expect(!folded.contains(key))
        #expect(Set(folded).count == 100)
        #expect(key.foldIn(3) == key.foldIn(3))
        let graph = try Tracer.trace { t in ["y": t.record(.foldIn(data: 3), [t.rngKey("key")])] }
        let out = try ReferenceInterpreter().run(graph, feeds: ["key": key.tensor])
        #expect(out["y"] == key.foldIn(3).tensor)
        #expect(RNGKey(key.tensor) == key)
        #expect(RNGKey(floats([2], [1, 2])) == nil)
    }

    @Test("a normal tensor drawn through the graph matches the key's stream")
    func graphMatchesKey() throws {
        let key = RNGKey(seed: 5)
        let graphValues = try draw(key.tensor, [6], normal: true)
        expectClose(graphValues, floats([6], key.normal(count: 6)))
    }
}
