import Foundation
import GraphRuntime
import TensorGraph

// Worked by hand. Uniform case: q = 0 makes every score 0, so P = [½, ½] and o = mean of v.
// Gradient case (dO = 1): dP = dO·vᵀ = [1, 3], D = dO·o = 2, dS = P∘(dP − D) = [−½, ½],
// dq = dS·k = −½·1 + ½·(−1) = −1, dv = Pᵀ·dO = [½, ½], dbias = dS.
private let q0 = floats([1, 1], [0])
private let k2 = floats([2, 1], [1, -1])
private let v2 = floats([2, 1], [1, 3])
private let o2 = floats([1, 1], [2])
private let dO1 = floats([1, 1], [1])

private func gradCase(_ wrt: AttentionOperand, bias: Bool, _ expected: HostTensor) -> ForwardCase {
    var feeds = ["q": q0, "k": k2, "v": v2, "o": o2, "dO": dO1]
    if bias { feeds["bias"] = floats([1, 2], [0, 0]) }
    return ForwardCase(name: "d\(wrt.rawValue), uniform scores", feeds: feeds, expected: expected) { t in
        var inputs = [t.input("q", [1, 1]), t.input("k", [2, 1]), t.input("v", [2, 1])]
        if bias { inputs.append(t.input("bias", [1, 2])) }
        inputs += [t.input("o", [1, 1]), t.input("dO", [1, 1])]
        return t.record(.attentionGrad(wrt, scale: 1, hasBias: bias, hasMask: false), inputs)
    }
}

let attentionCases: [OpKind: [ForwardCase]] = [
    .attention: [
        ForwardCase(name: "q = 0: o is the mean of v", feeds: ["q": q0, "k": k2, "v": v2], expected: o2) { t in
            attention(t.input("q", [1, 1]), t.input("k", [2, 1]), t.input("v", [2, 1]), scale: 8)
        },
        // Scores 0 + bias [0, ln 3, 100]; the mask drops the third: P = [¼, ¾], o = ¼·4 + ¾·8 = 7.
        ForwardCase(
            name: "bias and mask", feeds: ["q": floats([1, 1], [1]), "k": floats([3, 1], [0, 0, 0]),
                                           "v": floats([3, 1], [4, 8, 1000]),
                                           "bias": floats([1, 3], [0, log(3.0), 100]),
                                           "mask": HostTensor(shape: [1, 3], dtype: .bool, scalars: [1, 1, 0])],
            expected: floats([1, 1], [7])
        ) { t in
            attention(t.input("q", [1, 1]), t.input("k", [3, 1]), t.input("v", [3, 1]),
                      bias: t.input("bias", [1, 3]), mask: t.input("mask", [1, 3], .bool), scale: 1)
        },
    ],
    .attention_grad: [
        gradCase(.query, bias: false, floats([1, 1], [-1])),
        gradCase(.key, bias: false, floats([2, 1], [0, 0])),
        gradCase(.value, bias: false, floats([2, 1], [0.5, 0.5])),
        gradCase(.bias, bias: true, floats([1, 2], [-0.5, 0.5])),
    ],
]
