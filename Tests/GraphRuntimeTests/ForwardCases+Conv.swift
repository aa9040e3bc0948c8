import GraphRuntime
import TensorGraph

/// Small integers, so float32 and float64 agree exactly.
func integers(_ shape: [Int], from start: Int) -> HostTensor {
    let count = shape.reduce(1, *)
    return floats(shape, (0..<count).map { Double((start + 3 * $0) % 7 - 3) })
}

let convX = integers([1, 2, 3, 3], from: 0)
let convW = integers([2, 2, 2, 2], from: 1)
let convDy = integers([1, 2, 2, 2], from: 2)

let convCases: [OpKind: [ForwardCase]] = [
    .conv: [
        binaryCase("2-D, one channel", floats([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]), floats([1, 1, 2, 2], [1, 2, 3, 4]),
                   floats([1, 1, 2, 2], [37, 47, 67, 77])) { $0.conv($1, stride: [1, 1], padding: [0, 0]) },
        binaryCase("2-D, stride 2, padding 1", convX, convW, floats([1, 2, 2, 2], [-6, -6, 1, 17, -6, 13, 2, -6])) {
            $0.conv($1, stride: [2, 2], padding: [1, 1])
        },
        binaryCase("1-D, two groups, padding 1", integers([1, 2, 4], from: 3), integers([2, 1, 3], from: 4),
                   floats([1, 2, 4], [0, -9, 6, -7, 4, -13, 6, -9])) { $0.conv($1, stride: [1], padding: [1], groups: 2) },
        binaryCase("3-D depthwise", integers([1, 2, 2, 3, 3], from: 5), integers([2, 1, 1, 2, 2], from: 6),
                   floats([1, 2, 2, 2, 2], [2, -13, -15, 5, 14, -15, 4, 3, -15, 9, 8, 4, -16, 8, 7, 3])) { $0.conv($1, stride: [1, 1, 1], padding: [0, 0, 0], groups: 2) },
    ],
    .conv_transpose: [
        binaryCase("2-D, stride 2, padding 1", convDy, convW, floats([1, 2, 3, 3], [-9, -6, 0, -11, -3, 4, 9, -3, -3, -1, 4, -4, 8, 4, -3, 7, 4, -3])) { dy, w in
            dy.tracer.record(.convTranspose(stride: [2, 2], padding: [1, 1], groups: 1, outputSpatial: [3, 3]), [dy, w])
        },
    ],
    .conv_weight_grad: [
        binaryCase("2-D, stride 2, padding 1", convX, convDy, floats([2, 2, 2, 2], [2, 0, -3, 7, 1, 1, 1, 0, -2, -1, 3, 12, -1, -3, -3, -8])) { x, dy in
            x.tracer.record(.convWeightGrad(stride: [2, 2], padding: [1, 1], groups: 1, kernel: [2, 2]), [x, dy])
        },
    ],
]
