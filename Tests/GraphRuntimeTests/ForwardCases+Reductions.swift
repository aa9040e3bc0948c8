import GraphRuntime
import TensorGraph

/// Rows with their maxima in different places.
let rows = floats([2, 3], [1, 5, 3, -4, 2, 6])

let reductionCases: [OpKind: [ForwardCase]] = [
    .sum: [
        unaryCase("over the last axis", rows, floats([2], [9, 4])) { $0.sum(axes: [1]) },
        unaryCase("over all axes, kept", rows, floats([1, 1], [13])) { $0.sum(keepDims: true) },
        unaryCase("int32 over the first axis", ints([2, 3], [1, 2, 3, 4, 5, 6]), ints([3], [5, 7, 9])) {
            $0.sum(axes: [0])
        },
    ],
    .mean: [unaryCase("over the first axis", rows, floats([3], [-1.5, 3.5, 4.5])) { $0.mean(axes: [0]) }],
    .max: [
        unaryCase("over the last axis, kept", rows, floats([2, 1], [5, 6])) { $0.max(axes: [1], keepDims: true) },
    ],
    .logsumexp: [
        unaryCase("over the last axis", rows, floats([2], [5.1429316284999, 6.018194510281095])) { $0.logSumExp(axes: [1]) },
        unaryCase("large values do not overflow", floats([2], [1000, 1000]), floats([], [1000.6931471805599])) {
            $0.logSumExp()
        },
    ],
    .argmax: [
        unaryCase("first of tied maxima", floats([2, 3], [1, 5, 5, -4, 2, 6]), ints([2], [1, 2])) {
            $0.argmax(axis: 1)
        },
        unaryCase("over the first axis, kept", rows, ints([1, 3], [0, 0, 1])) { $0.argmax(axis: 0, keepDims: true) },
    ],
]

let rowCases: [OpKind: [ForwardCase]] = [
    .softmax: [
        unaryCase("over the last axis", rows, floats([2, 3], [0.015876239976466762, 0.8668133321973347, 0.11731042782619835, 4.458136950639617e-05, 0.017985408112219214, 0.9819700105182744])) { $0.softmax(axis: 1) },
        unaryCase("over the first axis", rows, floats([2, 3], [0.9933071490757153, 0.9525741268224334, 0.04742587317756679, 0.006692850924284856, 0.04742587317756679, 0.9525741268224334])) { $0.softmax(axis: 0) },
        unaryCase("large values are shifted", floats([2], [1000, 1001]), floats([2], [0.2689414213699951, 0.7310585786300049])) {
            $0.softmax(axis: 0)
        },
    ],
    .layer_norm: [
        unaryCase("biased variance, epsilon 1e-5", floats([2, 3], [1, 2, 3, 4, 5, 7]), floats([2, 3], [-1.2247356859083902, 0, 1.2247356859083902, -1.0690415314502972, -0.26726038286257414, 1.3363019143128723])) {
            $0.layerNorm(epsilon: 1e-5)
        },
    ],
    .l2_normalize: [
        unaryCase("a zero row stays zero", floats([2, 3], [3, 4, 0, 0, 0, 0]), floats([2, 3], [0.6, 0.8, 0, 0, 0, 0])) {
            $0.l2Normalize(axis: 1)
        },
        unaryCase("over the first axis, epsilon above the norm", floats([2, 2], [3, 0.1, 4, 0]),
                  floats([2, 2], [0.6, 0.1, 0.8, 0])) {
            $0.l2Normalize(axis: 0, epsilon: 1)
        },
    ],
]

/// A [2, 3] and B [3, 2]: A·B = [[4, 1], [10, 1]].
let matA = floats([2, 3], [1, 2, 3, 4, 5, 6])
let matB = floats([3, 2], [1, 0, 0, -1, 1, 1])
let matAB = floats([2, 2], [4, 1, 10, 1])

let matmulCases: [OpKind: [ForwardCase]] = [
    .matmul: [
        binaryCase("plain", matA, matB, matAB) { matmul($0, $1) },
        binaryCase("transposed A", floats([3, 2], [1, 4, 2, 5, 3, 6]), matB, matAB) { matmul($0, $1, transposeA: true) },
        binaryCase("transposed B", matA, floats([2, 3], [1, 0, 1, 0, -1, 1]), matAB) { matmul($0, $1, transposeB: true) },
        binaryCase("both transposed", floats([3, 2], [1, 4, 2, 5, 3, 6]), floats([2, 3], [1, 0, 1, 0, -1, 1]), matAB) {
            matmul($0, $1, transposeA: true, transposeB: true)
        },
        binaryCase("batch axes [2, 1] against [3]", floats([2, 1, 1, 3], [1, 2, 3, -1, 0, 1]),
                   floats([3, 3, 1], [1, 1, 1, 0, 1, 0, 2, 0, -1]),
                   floats([2, 3, 1, 1], [6, 2, -1, 0, 0, -3])) { matmul($0, $1) },
    ],
]
