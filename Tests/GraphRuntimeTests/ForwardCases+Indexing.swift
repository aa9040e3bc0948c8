import GraphRuntime
import TensorGraph

/// A [3, 2] table: row r is [10r, 10r + 1].
let table = floats([3, 2], [0, 1, 10, 11, 20, 21])

let indexingCases: [OpKind: [ForwardCase]] = [
    .gather: [
        binaryCase("rows of a table by a [2, 2] index", table, ints([2, 2], [2, 0, 1, 1]),
                   floats([2, 2, 2], [20, 21, 0, 1, 10, 11, 10, 11])) { $0.gather($1, axis: 0) },
        binaryCase("columns", table, ints([3], [1, 1, 0]),
                   floats([3, 3], [1, 1, 0, 11, 11, 10, 21, 21, 20])) { $0.gather($1, axis: 1) },
    ],
    .scatter_add: [
        binaryCase("repeated rows add up", floats([2, 2], [1, 2, 3, 4]), ints([2], [1, 1]),
                   floats([3, 2], [0, 0, 4, 6, 0, 0])) { u, i in
            u.tracer.record(.scatterAdd(axis: 0, size: 3), [u, i])
        },
        binaryCase("a [2, 2] index into columns", floats([1, 2, 2], [1, 2, 3, 4]), ints([2, 2], [0, 2, 2, 2]),
                   floats([1, 3], [1, 0, 9])) { u, i in
            u.tracer.record(.scatterAdd(axis: 1, size: 3), [u, i])
        },
    ],
    .take_along_axis: [
        binaryCase("per row", matA, ints([2, 2], [2, 0, 1, 1]), floats([2, 2], [3, 1, 5, 5])) {
            $0.takeAlongAxis($1, axis: 1)
        },
        binaryCase("per column", matA, ints([1, 3], [1, 0, 1]), floats([1, 3], [4, 2, 6])) {
            $0.takeAlongAxis($1, axis: 0)
        },
    ],
    .scatter_along_axis_add: [
        binaryCase("per row, repeats add up", floats([2, 2], [1, 2, 3, 4]), ints([2, 2], [2, 2, 0, 1]),
                   floats([2, 3], [0, 0, 3, 3, 4, 0])) { u, i in
            u.tracer.record(.scatterAlongAxisAdd(axis: 1, size: 3), [u, i])
        },
    ],
    .one_hot: [
        unaryCase("depth 4", ints([3], [2, 0, 3]), floats([3, 4], [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1])) { $0.oneHot(4) },
    ],
]

let sortingCases: [OpKind: [ForwardCase]] = [
    .top_k: [
        unaryCase("largest first, ties by lower index", floats([2, 4], [1, 3, 3, 2, 5, -1, 0, 5]),
                  ints([2, 2], [1, 2, 0, 3])) { $0.topK(2, axis: 1) },
        unaryCase("over the first axis", floats([3, 2], [1, 9, 4, 8, 2, 7]), ints([1, 2], [1, 0])) { $0.topK(1, axis: 0) },
    ],
    .argsort: [
        unaryCase("ascending, stable", floats([2, 4], [3, 1, 3, 0, 2, 2, 1, 2]),
                  ints([2, 4], [3, 1, 0, 2, 2, 0, 1, 3])) { $0.argsort(axis: 1) },
        unaryCase("descending, stable", floats([2, 4], [3, 1, 3, 0, 2, 2, 1, 2]),
                  ints([2, 4], [0, 2, 1, 3, 0, 1, 3, 2])) { $0.argsort(axis: 1, descending: true) },
    ],
]
