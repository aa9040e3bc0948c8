import CKernels
import GraphRuntime
import TensorGraph
import Testing

@Suite("Random steps are bit-exact with RNGKey")
struct KernelRandomTests {
    func draw(_ kind: Int, key: RNGKey, shape: [Int], strides: [Int]? = nil) -> [HostTensor] {
        let arena = KernelArena()
        let pk = arena.store(key.tensor)
        let count = shape.reduce(1, *)
        let py = arena.output(count)
        let step = makeStep(kind, inputs: [arena.view(pk, [2], .int32)], outputs: [arena.view(py, shape, strides: strides)])
        return arena.runAll([step]) { arena.read(py, [count]) }
    }

    @Test("uniform", arguments: [RNGKey(7, 11), RNGKey(-1, Int32.min), RNGKey(seed: 42)])
    func uniform(key: RNGKey) {
        let expected = key.uniform(count: 1_001).map { Double(Float($0)) }
        for got in draw(PK_STEP_RANDOM_UNIFORM, key: key, shape: [7, 143]) { #expect(got.scalars == expected) }
    }

    @Test("normal", arguments: [RNGKey(7, 11), RNGKey(-1, Int32.min), RNGKey(seed: 42)])
    func normal(key: RNGKey) {
        let expected = key.normal(count: 1_001).map { Double(Float($0)) }
        for got in draw(PK_STEP_RANDOM_NORMAL, key: key, shape: [1_001]) { #expect(got.scalars == expected) }
    }

    @Test("element i is row-major element i of the output, whatever its strides")
    func transposedOutput() {
        let key = RNGKey(3, 4)
        let expected = key.uniform(count: 12).map { Double(Float($0)) }
        // Output [3, 4] written through a transposed view: memory holds y^T.
        for got in draw(PK_STEP_RANDOM_UNIFORM, key: key, shape: [3, 4], strides: [1, 3]) {
            let back = (0..<12).map { got.scalars[($0 % 4) * 3 + $0 / 4] }
            #expect(back == expected)
        }
    }

    @Test("fold-in", arguments: [0, 1, -5, 123_456_789])
    func foldIn(data: Int) {
        let key = RNGKey(-9, 77)
        let arena = KernelArena()
        let (pk, py) = (arena.store(key.tensor), arena.output(2))
        let step = makeStep(PK_STEP_FOLD_IN, inputs: [arena.view(pk, [2], .int32)], outputs: [arena.view(py, [2], .int32)], iattr: [data])
        for got in arena.runAll([step], { arena.read(py, [2], .int32) }) { #expect(got == key.foldIn(data).tensor) }
    }
}
