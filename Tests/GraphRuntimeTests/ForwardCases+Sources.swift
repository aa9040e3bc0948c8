import GraphRuntime
import TensorGraph

let sourceCases: [OpKind: [ForwardCase]] = [
    .parameter: [
        ForwardCase(name: "a fed parameter passes through",
                    feeds: ["block.w": floats([2, 3], [0.1, -2, 3.5, 1e-3, 7, -0.25])],
                    expected: floats([2, 3], [0.1, -2, 3.5, 1e-3, 7, -0.25])) { t in
            t.scope("block") { t.parameter("w", [2, 3], .zeros) }
        },
    ],
    .input: [
        ForwardCase(name: "an int32 input passes through", feeds: ["x": ints([2, 2], [1, -2, 3, 4])],
                    expected: ints([2, 2], [1, -2, 3, 4])) { t in t.input("x", [2, 2], .int32) },
    ],
    .constant: [
        ForwardCase(name: "one value per element", expected: floats([2, 3], [1, 2, 3, 4, 5, 6])) { t in
            t.constant(values: [1, 2, 3, 4, 5, 6], [2, 3])
        },
        ForwardCase(name: "one value broadcast", expected: ints([2, 2], [7, 7, 7, 7])) { t in
            t.constant(7, [2, 2], .int32)
        },
    ],
    .iota: [
        ForwardCase(name: "index along the last axis", expected: ints([2, 3], [0, 1, 2, 0, 1, 2])) { t in
            t.iota([2, 3], axis: 1)
        },
        ForwardCase(name: "index along the first axis", expected: ints([2, 3], [0, 0, 0, 1, 1, 1])) { t in
            t.iota([2, 3], axis: 0)
        },
    ],
    .rng_key: [
        ForwardCase(name: "a fed key passes through", feeds: ["k": ints([2], [3, -7])],
                    expected: ints([2], [3, -7])) { t in t.rngKey("k") },
    ],
]

// Expected random values come from an independent implementation of the algorithm documented
// on `RNGKey`.
let randomCases: [OpKind: [ForwardCase]] = [
    .random_uniform: [
        ForwardCase(name: "uniform from key (1, 2)", feeds: ["k": ints([2], [1, 2])],
                    expected: floats([2, 3], [0.33532238006591797, 0.5693098306655884, 0.40987396240234375, 0.109946608543396, 0.5714990496635437, 0.45008260011672974])) { t in
            t.randomUniform(t.rngKey("k"), [2, 3])
        },
    ],
    .random_normal: [
        ForwardCase(name: "normal from key (1, 2)", feeds: ["k": ints([2], [1, 2])],
                    expected: floats([2, 2], [-0.8194697496135499, 0.7915776706830326, -1.238382179175501, 0.29776418139639693])) { t in
            t.randomNormal(t.rngKey("k"), [2, 2])
        },
    ],
    .fold_in: [
        ForwardCase(name: "fold 5 into key (1, 2)", feeds: ["k": ints([2], [1, 2])],
                    expected: ints([2], [561086022, 1483697892])) { t in
            t.record(.foldIn(data: 5), [t.rngKey("k")])
        },
        ForwardCase(name: "fold -1 into key (-3, 2147483647)", feeds: ["k": ints([2], [-3, 2_147_483_647])],
                    expected: ints([2], [-1663113099, 880526134])) { t in
            t.record(.foldIn(data: -1), [t.rngKey("k")])
        },
    ],
]
