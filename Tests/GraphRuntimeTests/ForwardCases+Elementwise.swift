import GraphRuntime
import TensorGraph

/// Mixed signs, a zero and values past 1.
let mixed = floats([2, 3], [-1.5, -0.5, 0, 0.5, 1, 2])
/// Positive values for log, sqrt and rsqrt.
let positive = floats([2, 3], [0.25, 0.5, 1, 2, 4, 9])

let unaryCases: [OpKind: [ForwardCase]] = [
    .neg: [
        unaryCase("float", mixed, floats([2, 3], [1.5, 0.5, 0, -0.5, -1, -2])) { -$0 },
        unaryCase("int32", ints([3], [1, -2, 0]), ints([3], [-1, 2, 0])) { -$0 },
    ],
    .abs: [
        unaryCase("float", mixed, floats([2, 3], [1.5, 0.5, 0, 0.5, 1, 2])) { $0.abs() },
        unaryCase("int32", ints([3], [1, -2, 0]), ints([3], [1, 2, 0])) { $0.abs() },
    ],
    .sign: [
        unaryCase("float, sign(0) = 0", mixed, floats([2, 3], [-1, -1, 0, 1, 1, 1])) { $0.sign() },
        unaryCase("int32", ints([3], [5, -2, 0]), ints([3], [1, -1, 0])) { $0.sign() },
    ],
    .exp: [unaryCase("float", mixed, floats([2, 3], [0.22313016014842982, 0.6065306597126334, 1, 1.6487212707001282, 2.718281828459045, 7.38905609893065])) { $0.exp() }],
    .log: [unaryCase("float", positive, floats([2, 3], [-1.3862943611198906, -0.6931471805599453, 0, 0.6931471805599453, 1.3862943611198906, 2.1972245773362196])) { $0.log() }],
    .sqrt: [unaryCase("float", positive, floats([2, 3], [0.5, 0.7071067811865476, 1, 1.4142135623730951, 2, 3])) { $0.sqrt() }],
    .rsqrt: [unaryCase("float", positive, floats([2, 3], [2, 1.4142135623730951, 1, 0.7071067811865476, 0.5, 0.3333333333333333])) { $0.rsqrt() }],
    .tanh: [unaryCase("float", mixed, floats([2, 3], [-0.9051482536448665, -0.46211715726000974, 0, 0.46211715726000974, 0.7615941559557649, 0.9640275800758169])) { $0.tanh() }],
    .erf: [unaryCase("float", mixed, floats([2, 3], [-0.9661051464753108, -0.5204998778130465, 0, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527])) { $0.erf() }],
    .sigmoid: [unaryCase("float", mixed, floats([2, 3], [0.18242552380635635, 0.3775406687981454, 0.5, 0.6224593312018546, 0.7310585786300049, 0.8807970779778823])) { $0.sigmoid() }],
    .relu: [unaryCase("float", mixed, floats([2, 3], [0, 0, 0, 0.5, 1, 2])) { $0.relu() }],
    .gelu: [unaryCase("exact erf form", mixed, floats([2, 3], [-0.10021080190328713, -0.15426876936299344, 0, 0.34573123063700656, 0.8413447460685429, 1.9544997361036416])) { $0.gelu() }],
    .sin: [unaryCase("float", mixed, floats([2, 3], [-0.9974949866040544, -0.479425538604203, 0, 0.479425538604203, 0.8414709848078965, 0.9092974268256817])) { $0.sin() }],
    .cos: [unaryCase("float", mixed, floats([2, 3], [0.0707372016677029, 0.8775825618903728, 1, 0.8775825618903728, 0.5403023058681398, -0.4161468365471424])) { $0.cos() }],
    .leaky_relu: [unaryCase("alpha 0.1", mixed, floats([2, 3], [-0.15, -0.05, 0, 0.5, 1, 2])) { $0.leakyRelu(0.1) }],
    .logical_not: [unaryCase("bool", bools([4], [1, 0, 1, 0]), bools([4], [0, 1, 0, 1])) { $0.logicalNot() }],
]

/// `a` [2, 3] and `b` [3], broadcast over the rows of `a`.
let lhs = floats([2, 3], [1, -2, 3, 4, 5, -6])
let rhs = floats([3], [2, -4, 0.5])

let binaryCases: [OpKind: [ForwardCase]] = [
    .add: [binaryCase("broadcast row", lhs, rhs, floats([2, 3], [3, -6, 3.5, 6, 1, -5.5])) { $0 + $1 }],
    .sub: [binaryCase("broadcast row", lhs, rhs, floats([2, 3], [-1, 2, 2.5, 2, 9, -6.5])) { $0 - $1 }],
    .mul: [
        binaryCase("broadcast row", lhs, rhs, floats([2, 3], [2, 8, 1.5, 8, -20, -3])) { $0 * $1 },
        binaryCase("int32 column times row", ints([2, 1], [3, -2]), ints([3], [1, 2, 3]),
                   ints([2, 3], [3, 6, 9, -2, -4, -6])) { $0 * $1 },
    ],
    .div: [
        binaryCase("broadcast row", lhs, rhs, floats([2, 3], [0.5, 0.5, 6, 2, -1.25, -12])) { $0 / $1 },
        binaryCase("int32 truncates toward zero", ints([4], [7, -7, 7, -7]), ints([4], [2, 2, -2, -2]),
                   ints([4], [3, -3, -3, 3])) { $0 / $1 },
    ],
    .pow: [
        binaryCase("broadcast exponents", floats([2, 3], [1, 2, 3, 4, 0.5, 9]), floats([3], [2, 0.5, -1]),
                   floats([2, 3], [1, 1.4142135623730951, 0.3333333333333333, 16, 0.7071067811865476, 0.1111111111111111])) { $0.pow($1) },
    ],
    .maximum: [binaryCase("broadcast row", lhs, rhs, floats([2, 3], [2, -2, 3, 4, 5, 0.5])) { $0.maximum($1) }],
    .minimum: [binaryCase("broadcast row", lhs, rhs, floats([2, 3], [1, -4, 0.5, 2, -4, -6])) { $0.minimum($1) }],
]

/// `a` [2, 3] against `b` [3] for the comparisons.
let compareA = floats([2, 3], [1, 2, 3, 3, 2, 1])
let compareB = floats([3], [2, 2, 2])

let comparisonCases: [OpKind: [ForwardCase]] = [
    .equal: [binaryCase("broadcast", compareA, compareB, bools([2, 3], [0, 1, 0, 0, 1, 0])) { $0 .== $1 }],
    .not_equal: [binaryCase("broadcast", compareA, compareB, bools([2, 3], [1, 0, 1, 1, 0, 1])) { $0 .!= $1 }],
    .less: [binaryCase("broadcast", compareA, compareB, bools([2, 3], [1, 0, 0, 0, 0, 1])) { $0 .< $1 }],
    .less_equal: [binaryCase("broadcast", compareA, compareB, bools([2, 3], [1, 1, 0, 0, 1, 1])) { $0 .<= $1 }],
    .greater: [binaryCase("broadcast", compareA, compareB, bools([2, 3], [0, 0, 1, 1, 0, 0])) { $0 .> $1 }],
    .greater_equal: [binaryCase("broadcast", compareA, compareB, bools([2, 3], [0, 1, 1, 1, 1, 0])) { $0 .>= $1 }],
    .logical_and: [
        binaryCase("broadcast", bools([2, 2], [1, 1, 0, 0]), bools([2], [1, 0]), bools([2, 2], [1, 0, 0, 0])) { $0 .& $1 },
    ],
    .logical_or: [
        binaryCase("broadcast", bools([2, 2], [1, 1, 0, 0]), bools([2], [1, 0]), bools([2, 2], [1, 1, 1, 0])) { $0 .| $1 },
    ],
]

let selectCastCases: [OpKind: [ForwardCase]] = [
    .where: [
        ForwardCase(name: "column condition, scalar else",
                    feeds: ["c": bools([2, 1], [1, 0]), "x": lhs],
                    expected: floats([2, 3], [1, -2, 3, -1, -1, -1])) { t in
            select(t.input("c", [2, 1], .bool), t.input("x", [2, 3]), -1)
        },
    ],
    .clamp: [unaryCase("into [-1, 1]", mixed, floats([2, 3], [-1, -0.5, 0, 0.5, 1, 1])) { $0.clamp(min: -1, max: 1) }],
    .cast: [
        unaryCase("float to int32 truncates", floats([6], [-1.7, -0.5, 0, 0.5, 1.9, 2.5]),
                  ints([6], [-1, 0, 0, 0, 1, 2])) { $0.cast(.int32) },
        unaryCase("float to bool", floats([4], [0, -0.5, 2, 0]), bools([4], [0, 1, 1, 0])) { $0.cast(.bool) },
        unaryCase("bool to float", bools([3], [1, 0, 1]), floats([3], [1, 0, 1])) { $0.cast(.float32) },
        unaryCase("int32 to float", ints([3], [-3, 0, 5]), floats([3], [-3, 0, 5])) { $0.cast(.float32) },
    ],
    .stop_gradient: [unaryCase("identity", mixed, mixed) { $0.stopGradient() }],
]
