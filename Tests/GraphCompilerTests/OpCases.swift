import GraphRuntime
import TensorGraph

/// One differentiable op under test: how to build it from its inputs, and where its inputs
/// may be sampled (away from kinks, in the op's domain).
struct OpCase: CustomStringConvertible, Sendable {
    enum Domain: Sendable { case signed, positive }
    let kind: OpKind
    let inputs: [TensorType]
    /// Fixed values for int32 / bool inputs, by input position.
    var fixed: [Int: [Double]] = [:]
    var domain: Domain = .signed
    /// The op's gradient is zero by definition (stop_gradient, sign), not its finite difference.
    var expectZeroGradient = false
    var tolerance = 1e-6
    let build: @Sendable ([Tensor]) -> Tensor

    var description: String { kind.rawValue }

    /// Deterministic sample values: |v| in [0.2, 1] (signed) or [0.5, 2] (positive).
    func feeds(seed: UInt64) -> [String: HostTensor] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var feeds: [String: HostTensor] = [:]
        for (i, type) in inputs.enumerated() {
            let values: [Double]
            if let f = fixed[i] {
                values = f
            } else {
                values = (0..<type.count).map { _ in
                    switch domain {
                    case .signed:
                        let magnitude = 0.2 + 0.8 * next()
                        return next() < 0.5 ? -magnitude : magnitude
                    case .positive:
                        return 0.5 + 1.5 * next()
                    }
                }
            }
            feeds["in\(i)"] = HostTensor(shape: type.shape, dtype: type.dtype, scalars: values)
        }
        return feeds
    }
}

private func f(_ shape: [Int]) -> TensorType { TensorType(shape, .float32) }
private func i(_ shape: [Int]) -> TensorType { TensorType(shape, .int32) }

/// Every differentiable op kind with at least one case.
let differentiableCases: [OpCase] = [
    OpCase(kind: .neg, inputs: [f([2, 3])]) { -$0[0] },
    OpCase(kind: .exp, inputs: [f([2, 3])]) { $0[0].exp() },
    OpCase(kind: .log, inputs: [f([2, 3])], domain: .positive) { $0[0].log() },
    OpCase(kind: .sqrt, inputs: [f([2, 3])], domain: .positive) { $0[0].sqrt() },
    OpCase(kind: .rsqrt, inputs: [f([2, 3])], domain: .positive) { $0[0].rsqrt() },
    OpCase(kind: .abs, inputs: [f([2, 3])]) { $0[0].abs() },
    OpCase(kind: .sign, inputs: [f([2, 3])]) { $0[0].sign() },
    OpCase(kind: .tanh, inputs: [f([2, 3])]) { $0[0].tanh() },
    OpCase(kind: .erf, inputs: [f([2, 3])]) { $0[0].erf() },
    OpCase(kind: .sigmoid, inputs: [f([2, 3])]) { $0[0].sigmoid() },
    OpCase(kind: .relu, inputs: [f([2, 3])]) { $0[0].relu() },
    OpCase(kind: .gelu, inputs: [f([2, 3])]) { $0[0].gelu() },
    OpCase(kind: .sin, inputs: [f([2, 3])]) { $0[0].sin() },
    OpCase(kind: .cos, inputs: [f([2, 3])]) { $0[0].cos() },
    OpCase(kind: .leaky_relu, inputs: [f([2, 3])]) { $0[0].leakyRelu(0.2) },
    OpCase(kind: .add, inputs: [f([2, 3]), f([3])]) { $0[0] + $0[1] },
    OpCase(kind: .sub, inputs: [f([2, 1]), f([2, 3])]) { $0[0] - $0[1] },
    OpCase(kind: .mul, inputs: [f([2, 3]), f([3])]) { $0[0] * $0[1] },
    OpCase(kind: .div, inputs: [f([2, 3]), f([1, 3])], domain: .positive) { $0[0] / $0[1] },
    OpCase(kind: .pow, inputs: [f([2, 3]), f([2, 3])], domain: .positive) { $0[0].pow($0[1]) },
    OpCase(kind: .maximum, inputs: [f([2, 3]), f([3])]) { $0[0].maximum($0[1]) },
    OpCase(kind: .minimum, inputs: [f([2, 3]), f([3])]) { $0[0].minimum($0[1]) },
    OpCase(kind: .where, inputs: [TensorType([2, 3], .bool), f([2, 3]), f([3])],
           fixed: [0: [1, 0, 1, 0, 0, 1]]) { select($0[0], $0[1], $0[2]) },
    OpCase(kind: .clamp, inputs: [f([2, 3])]) { $0[0].clamp(min: -0.5, max: 0.5) },
    OpCase(kind: .cast, inputs: [f([2, 3])]) { $0[0].cast(.float32) * $0[0] },
    OpCase(kind: .stop_gradient, inputs: [f([2, 3])], expectZeroGradient: true) { $0[0].stopGradient() },
    OpCase(kind: .sum, inputs: [f([2, 3, 2])]) { $0[0].sum(axes: [1]) },
    OpCase(kind: .mean, inputs: [f([2, 3, 2])]) { $0[0].mean(axes: [0, 2], keepDims: true) },
    OpCase(kind: .max, inputs: [f([2, 3])]) { $0[0].max(axes: [1]) },
    OpCase(kind: .logsumexp, inputs: [f([2, 3])]) { $0[0].logSumExp(axes: [1], keepDims: true) },
    OpCase(kind: .softmax, inputs: [f([2, 4])]) { $0[0].softmax(axis: 1) },
    OpCase(kind: .layer_norm, inputs: [f([2, 4])]) { $0[0].layerNorm() },
    OpCase(kind: .l2_normalize, inputs: [f([2, 4])]) { $0[0].l2Normalize(axis: 0) },
    OpCase(kind: .matmul, inputs: [f([2, 3, 4]), f([4, 2])]) { matmul($0[0], $0[1]) },
    OpCase(kind: .matmul, inputs: [f([2, 4, 3]), f([4, 2])]) { matmul($0[0], $0[1], transposeA: true) },
    OpCase(kind: .matmul, inputs: [f([3, 4]), f([2, 2, 4])]) { matmul($0[0], $0[1], transposeB: true) },
    OpCase(kind: .matmul, inputs: [f([4, 3]), f([2, 4])]) {
        matmul($0[0], $0[1], transposeA: true, transposeB: true)
    },
    OpCase(kind: .reshape, inputs: [f([2, 3])]) { $0[0].reshape([3, 2]) },
    OpCase(kind: .permute, inputs: [f([2, 3, 2])]) { $0[0].permute([2, 0, 1]) },
    OpCase(kind: .slice, inputs: [f([3, 4])]) { $0[0].slice(axis: 1, 1..<3) },
    OpCase(kind: .concat, inputs: [f([2, 1]), f([2, 3])]) { concat([$0[0], $0[1], $0[0]], axis: 1) },
    OpCase(kind: .pad, inputs: [f([2, 3])]) { $0[0].pad(axis: 1, before: 2, after: 1, value: 0.5) },
    OpCase(kind: .expand, inputs: [f([3, 1])]) { $0[0].expand([2, 3, 4]) },
    OpCase(kind: .gather, inputs: [f([4, 3]), i([2, 2])], fixed: [1: [3, 0, 3, 1]]) {
        $0[0].gather($0[1], axis: 0)
    },
    OpCase(kind: .scatter_add, inputs: [f([2, 2, 3]), i([2])], fixed: [1: [2, 2]]) {
        $0[0].tracer.record(.scatterAdd(axis: 1, size: 3), [$0[0], $0[1]])
    },
    OpCase(kind: .take_along_axis, inputs: [f([2, 3]), i([2, 2])], fixed: [1: [2, 2, 0, 1]]) {
        $0[0].takeAlongAxis($0[1], axis: 1)
    },
    OpCase(kind: .scatter_along_axis_add, inputs: [f([2, 2]), i([2, 2])], fixed: [1: [2, 2, 0, 1]]) {
        $0[0].tracer.record(.scatterAlongAxisAdd(axis: 1, size: 3), [$0[0], $0[1]])
    },
    OpCase(kind: .attention, inputs: [f([2, 3, 2]), f([2, 4, 2]), f([2, 4, 3])]) {
        attention($0[0], $0[1], $0[2], scale: 1.5)
    },
    OpCase(kind: .attention, inputs: [f([2, 1, 3, 2]), f([2, 1, 4, 2]), f([2, 1, 4, 3]), f([1, 3, 4]),
                                      TensorType([2, 1, 1, 4], .bool)],
           fixed: [4: [1, 1, 0, 1, 0, 1, 1, 1]]) {
        attention($0[0], $0[1], $0[2], bias: $0[3], mask: $0[4], scale: 0.7)
    },
    // Batch 1 masks every key: a uniform softmax whose scores get no gradient.
    OpCase(kind: .attention, inputs: [f([2, 2, 2]), f([2, 3, 2]), f([2, 3, 2]), TensorType([2, 1, 3], .bool)],
           fixed: [3: [1, 0, 1, 0, 0, 0]]) {
        attention($0[0], $0[1], $0[2], mask: $0[3], scale: 2)
    },
    OpCase(kind: .attention_grad, inputs: [f([2, 3, 2]), f([2, 4, 2]), f([2, 4, 3]), f([3, 4]), f([2, 3, 3]), f([2, 3, 3])]) {
        let inputs = Array($0)
        let tracer = inputs[0].tracer
        return concat(AttentionOperand.allCases.map { wrt in
            tracer.record(.attentionGrad(wrt, scale: 1.5, hasBias: true, hasMask: false), inputs).reshape([-1])
        }, axis: 0)
    },
    OpCase(kind: .conv, inputs: [f([1, 2, 5, 5]), f([3, 2, 3, 3])]) {
        $0[0].conv($0[1], stride: [2, 2], padding: [1, 1])
    },
    OpCase(kind: .conv, inputs: [f([1, 2, 3, 3, 3]), f([2, 1, 3, 2, 2])]) {
        $0[0].conv($0[1], stride: [1, 1, 1], padding: [1, 0, 1], groups: 2)
    },
    OpCase(kind: .conv_transpose, inputs: [f([1, 3, 3, 3]), f([3, 2, 3, 3])]) {
        $0[0].tracer.record(.convTranspose(stride: [2, 2], padding: [1, 1], groups: 1, outputSpatial: [5, 5]),
                            [$0[0], $0[1]])
    },
    OpCase(kind: .conv_weight_grad, inputs: [f([1, 2, 5, 5]), f([1, 3, 3, 3])]) {
        $0[0].tracer.record(.convWeightGrad(stride: [2, 2], padding: [1, 1], groups: 1, kernel: [3, 3]),
                            [$0[0], $0[1]])
    },
]

/// An op of every kind that carries no gradient, with the reason autodiff must report.
let nonDifferentiableSamples: [OpKind: Op] = [
    .parameter: .parameter(name: "w", initializer: .zeros),
    .input: .input(name: "x"),
    .constant: .constant(values: [1]),
    .iota: .iota(axis: 0),
    .rng_key: .rngKey(name: "key"),
    .random_uniform: .randomUniform,
    .random_normal: .randomNormal,
    .fold_in: .foldIn(data: 1),
    .logical_not: .unary(.logicalNot),
    .equal: .binary(.equal), .not_equal: .binary(.notEqual),
    .less: .binary(.less), .less_equal: .binary(.lessEqual),
    .greater: .binary(.greater), .greater_equal: .binary(.greaterEqual),
    .logical_and: .binary(.logicalAnd), .logical_or: .binary(.logicalOr),
    .argmax: .argmax(axis: 0, keepDims: false),
    .one_hot: .oneHot(depth: 2),
    .top_k: .topK(k: 1, axis: 0),
    .argsort: .argsort(axis: 0, descending: false),
]
