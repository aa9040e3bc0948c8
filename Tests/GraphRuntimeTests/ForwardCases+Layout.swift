import GraphRuntime
import TensorGraph

/// 0, 1, ..., 11 as [2, 3, 2].
let cube = floats([2, 3, 2], (0..<12).map(Double.init))

let layoutCases: [OpKind: [ForwardCase]] = [
    .reshape: [unaryCase("[2, 3] to [3, 2]", matA, floats([3, 2], [1, 2, 3, 4, 5, 6])) { $0.reshape([3, 2]) }],
    .permute: [
        unaryCase("output axis i is input axis perm[i]", cube, floats([2, 2, 3], [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11])) { $0.permute([2, 0, 1]) },
    ],
    .slice: [
        unaryCase("columns 1..<3", matA, floats([2, 2], [2, 3, 5, 6])) { $0.slice(axis: 1, 1..<3) },
        unaryCase("a middle block", cube, floats([1, 2, 1], [9, 11])) { t in
            t.tracer.record(.slice(starts: [1, 1, 1], ends: [2, 3, 2]), [t])
        },
    ],
    .concat: [
        binaryCase("along the last axis", floats([2, 1], [9, 8]), floats([2, 2], [1, 2, 3, 4]),
                   floats([2, 3], [9, 1, 2, 8, 3, 4])) { concat([$0, $1], axis: 1) },
        binaryCase("along the first axis", floats([1, 2], [9, 8]), floats([2, 2], [1, 2, 3, 4]),
                   floats([3, 2], [9, 8, 1, 2, 3, 4])) { concat([$0, $1], axis: 0) },
    ],
    .pad: [
        unaryCase("before rows, after columns, with 9", floats([2, 2], [1, 2, 3, 4]),
                  floats([3, 3], [9, 9, 9, 1, 2, 9, 3, 4, 9])) { t in
            t.tracer.record(.pad(before: [1, 0], after: [0, 1], value: 9), [t])
        },
    ],
    .expand: [
        unaryCase("a row to [2, 3]", floats([3], [1, 2, 3]), floats([2, 3], [1, 2, 3, 1, 2, 3])) { $0.expand([2, 3]) },
        unaryCase("a column to [2, 2, 3]", floats([2, 1], [1, 2]), floats([2, 2, 3], [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])) {
            $0.expand([2, 2, 3])
        },
    ],
]
