import CKernels
import GraphRuntime
import TensorGraph
import Testing

@Suite("Convolution steps against the reference interpreter")
struct KernelConvTests {
    struct Case: Sendable, CustomStringConvertible {
        var x: [Int], w: [Int], stride: [Int], padding: [Int], groups: Int
        var description: String { "x \(x) w \(w) stride \(stride) pad \(padding) groups \(groups)" }
        var y: [Int] {
            [x[0], w[0]] + (0..<stride.count).map { i in (x[2 + i] + 2 * padding[i] - w[2 + i]) / stride[i] + 1 }
        }
        var iattr: [Int] {
            let d = stride.count
            return [d, groups] + stride + [Int](repeating: 1, count: 3 - d) + padding + [Int](repeating: 0, count: 3 - d)
        }
    }

    static let cases = [
        Case(x: [2, 3, 7, 6], w: [4, 3, 3, 3], stride: [2, 2], padding: [1, 1], groups: 1),
        Case(x: [1, 4, 3, 5, 5], w: [4, 1, 3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1], groups: 4),
        Case(x: [2, 4, 9], w: [6, 2, 3], stride: [2], padding: [1], groups: 2),
        Case(x: [1, 2, 4, 6, 5], w: [3, 2, 2, 3, 1], stride: [1, 2, 1], padding: [0, 1, 0], groups: 1),
    ]

    @Test("conv, conv transpose and conv weight grad", arguments: cases)
    func conv(c: Case) throws {
        let x = testValues(c.x, seed: 81), w = testValues(c.w, seed: 82), dy = testValues(c.y, seed: 83)
        let y = try referenceOutput([("x", x), ("w", w)]) { t, v in
            t.record(.conv(stride: c.stride, padding: c.padding, groups: c.groups), [v[0], v[1]])
        }
        #expect(y.shape == c.y)
        let dx = try referenceOutput([("dy", dy), ("w", w)]) { t, v in
            t.record(.convTranspose(stride: c.stride, padding: c.padding, groups: c.groups, outputSpatial: Array(c.x.dropFirst(2))), [v[0], v[1]])
        }
        let dw = try referenceOutput([("x", x), ("dy", dy)]) { t, v in
            t.record(.convWeightGrad(stride: c.stride, padding: c.padding, groups: c.groups, kernel: Array(c.w.dropFirst(2))), [v[0], v[1]])
        }
        let arena = KernelArena()
        let (px, pw, pdy) = (arena.store(x), arena.store(w), arena.store(dy))
        let (py, pdx, pdw) = (arena.output(y.count), arena.output(x.count), arena.output(w.count))
        let steps = [
            makeStep(PK_STEP_CONV, inputs: [arena.view(px, c.x), arena.view(pw, c.w)], outputs: [arena.view(py, c.y)], iattr: c.iattr),
            makeStep(PK_STEP_CONV_TRANSPOSE, inputs: [arena.view(pdy, c.y), arena.view(pw, c.w)], outputs: [arena.view(pdx, c.x)], iattr: c.iattr),
            makeStep(PK_STEP_CONV_WEIGHT_GRAD, inputs: [arena.view(px, c.x), arena.view(pdy, c.y)], outputs: [arena.view(pdw, c.w)], iattr: c.iattr),
        ]
        let results = arena.runAll(steps) { [arena.read(py, c.y), arena.read(pdx, c.x), arena.read(pdw, c.w)] }
        expectKernel(results.map { $0[0] }, y, "conv")
        expectKernel(results.map { $0[1] }, dx, "conv transpose")
        expectKernel(results.map { $0[2] }, dw, "weight grad")
        #expect(pk_last_error() == Int32(PK_ERR_NONE))
    }
}
