import GraphRuntime
import TensorGraph
import Testing

/// Each backward op must be the exact transpose of its forward op:
/// ⟨forward(x), dy⟩ = ⟨x, backward(dy)⟩ in float64.
@Suite("Backward ops are exact adjoints")
struct AdjointnessTests {
    func expectEqualInnerProducts(_ a: Double, _ b: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Swift.abs(a - b) <= 1e-12 * Swift.max(1, Swift.abs(a)), "\(a) != \(b)", sourceLocation: sourceLocation)
    }

    func checkConv(x xShape: [Int], w wShape: [Int], stride: [Int], padding: [Int], groups: Int) throws {
        let kernel = Array(wShape.dropFirst(2))
        var yShape: [Int] = []
        let graph = try Tracer.trace { t in
            let x = t.input("x", xShape)
            let w = t.input("w", wShape)
            let y = x.conv(w, stride: stride, padding: padding, groups: groups)
            yShape = y.shape
            let dy = t.input("dy", y.shape)
            let dx = t.record(.convTranspose(stride: stride, padding: padding, groups: groups,
                                             outputSpatial: Array(xShape.dropFirst(2))), [dy, w])
            let dw = t.record(.convWeightGrad(stride: stride, padding: padding, groups: groups, kernel: kernel), [x, dy])
            return ["y": y, "dx": dx, "dw": dw]
        }
        let feeds = ["x": testValues(xShape, seed: 1), "w": testValues(wShape, seed: 2), "dy": testValues(yShape, seed: 3)]
        let out = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
        let (y, dx, dw) = try (#require(out["y"]), #require(out["dx"]), #require(out["dw"]))
        let forward = dot(y, feeds["dy"]!)
        #expect(forward != 0)
        expectEqualInnerProducts(forward, dot(feeds["x"]!, dx))
        expectEqualInnerProducts(forward, dot(feeds["w"]!, dw))
    }

    @Test("2-D conv, stride 2, padding 1, groups 1")
    func conv2d() throws {
        try checkConv(x: [2, 3, 5, 5], w: [4, 3, 3, 3], stride: [2, 2], padding: [1, 1], groups: 1)
    }

    @Test("3-D depthwise conv (groups = channels)")
    func conv3dDepthwise() throws {
        try checkConv(x: [1, 3, 3, 4, 4], w: [3, 1, 2, 3, 3], stride: [1, 2, 1], padding: [1, 1, 1], groups: 3)
    }

    @Test("gather and scatterAdd", arguments: [0, 1])
    func gatherScatter(axis: Int) throws {
        let xShape = [4, 3]
        let indices = ints([2, 3], [2, 0, 0, 1, 2, 1])
        var yShape: [Int] = []
        let graph = try Tracer.trace { t in
            let x = t.input("x", xShape)
            let i = t.input("i", indices.shape, .int32)
            let y = x.gather(i, axis: axis)
            yShape = y.shape
            let dy = t.input("dy", y.shape)
            return ["y": y, "dx": t.record(.scatterAdd(axis: axis, size: xShape[axis]), [dy, i])]
        }
        let feeds = ["x": testValues(xShape, seed: 4), "i": indices, "dy": testValues(yShape, seed: 5)]
        let out = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
        expectEqualInnerProducts(dot(try #require(out["y"]), feeds["dy"]!), dot(feeds["x"]!, try #require(out["dx"])))
    }

    @Test("takeAlongAxis and scatterAlongAxisAdd")
    func takeAlongAxis() throws {
        let indices = ints([3, 5], [0, 3, 3, 1, 2, 2, 2, 0, 1, 3, 1, 1, 1, 0, 0])
        let graph = try Tracer.trace { t in
            let x = t.input("x", [3, 4])
            let i = t.input("i", [3, 5], .int32)
            let dy = t.input("dy", [3, 5])
            return ["y": x.takeAlongAxis(i, axis: 1), "dx": t.record(.scatterAlongAxisAdd(axis: 1, size: 4), [dy, i])]
        }
        let feeds = ["x": testValues([3, 4], seed: 6), "i": indices, "dy": testValues([3, 5], seed: 7)]
        let out = try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)
        expectEqualInnerProducts(dot(try #require(out["y"]), feeds["dy"]!), dot(feeds["x"]!, try #require(out["dx"])))
    }
}
