import Foundation
import TensorGraph

/// Hyperparameters of Adam with decoupled weight decay (`torch.optim.AdamW`; with
/// `weightDecay == 0` it is plain `torch.optim.Adam`).
public struct AdamConfiguration: Hashable, Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// Decoupled decay: each step first scales parameters by `1 - learningRate · weightDecay`.
    public var weightDecay: Double

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }
}

/// Adam's explicit state: the moments of every parameter and the number of steps taken.
public struct AdamState: Equatable, Sendable {
    /// Steps taken so far (the bias corrections use it).
    public var step: Int
    /// Running mean of gradients, per parameter name.
    public var firstMoments: [String: HostTensor]
    /// Running mean of squared gradients, per parameter name.
    public var secondMoments: [String: HostTensor]

    /// Zero moments shaped like `parameters`, at step 0.
    public init(parameters: [String: HostTensor]) {
        step = 0
        firstMoments = parameters.mapValues { .zeros($0.shape) }
        secondMoments = firstMoments
    }
}

/// A host-side Adam / AdamW optimizer over named float32 tensors, computed in `Double` and
/// stored rounded through `Float` as PyTorch's float32 optimizer stores them.
public struct Adam: Sendable {
    public var configuration: AdamConfiguration

    public init(_ configuration: AdamConfiguration = AdamConfiguration()) {
        self.configuration = configuration
    }

    /// One step: updates every parameter that has a gradient (parameters without one are left
    /// alone, like PyTorch parameters whose `grad` is `None`).
    public func update(
        _ parameters: inout [String: HostTensor], gradients: [String: HostTensor], state: inout AdamState
    ) throws(RuntimeError) {
        let c = configuration
        for (name, gradient) in gradients {
            guard let parameter = parameters[name] else { continue }
            guard gradient.type == parameter.type else {
                throw .gradientTypeMismatch(name: name, parameter: parameter.type, gradient: gradient.type)
            }
        }
        state.step += 1
        let t = Double(state.step)
        let correction1 = 1 - Foundation.pow(c.beta1, t)
        let correction2 = 1 - Foundation.pow(c.beta2, t)
        for name in parameters.keys.sorted() {
            guard let gradient = gradients[name], var p = parameters[name] else { continue }
            var m = state.firstMoments[name] ?? .zeros(p.shape)
            var v = state.secondMoments[name] ?? .zeros(p.shape)
            for i in p.scalars.indices {
                let g = gradient.scalars[i]
                var value = p.scalars[i] * (1 - c.learningRate * c.weightDecay)
                m.scalars[i] = f32(c.beta1 * m.scalars[i] + (1 - c.beta1) * g)
                v.scalars[i] = f32(c.beta2 * v.scalars[i] + (1 - c.beta2) * g * g)
                let mHat = m.scalars[i] / correction1
                let vHat = v.scalars[i] / correction2
                value -= c.learningRate * mHat / (vHat.squareRoot() + c.epsilon)
                p.scalars[i] = f32(value)
            }
            parameters[name] = p
            state.firstMoments[name] = m
            state.secondMoments[name] = v
        }
    }

    private func f32(_ v: Double) -> Double { Double(Float(v)) }
}
