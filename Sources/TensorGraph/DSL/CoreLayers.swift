/// `nn.Linear`: `x · weightᵀ + bias`, weight [out, in], PyTorch's default initialisation.
public struct Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let bias: Bool
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.bias = bias
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let t = x.tracer
        let w = t.parameter("weight", [outFeatures, inFeatures], .kaimingUniform(fanIn: inFeatures))
        // Flatten leading axes only; a wrong feature count is reported by the matmul.
        let lead = Array(x.shape.dropLast())
        let rows = x.rank == 2 ? x : x.reshape([-1, x.shape.last ?? 1])
        var y = matmul(rows, w, transposeB: true)
        if bias {
            let b = t.parameter("bias", [outFeatures], .kaimingUniform(fanIn: inFeatures))
            y = y + b
        }
        return x.rank == 2 ? y : y.reshape(lead + [outFeatures])
    }
}

/// `nn.LayerNorm(dim)` over the last axis, with learned `weight` and optional `bias`.
public struct LayerNorm: Layer {
    public let dim: Int
    public let bias: Bool
    public let epsilon: Double
    public init(_ dim: Int, bias: Bool = true, epsilon: Double = 1e-5) {
        self.dim = dim
        self.bias = bias
        self.epsilon = epsilon
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let t = x.tracer
        var y = x.layerNorm(epsilon: epsilon) * t.parameter("weight", [dim], .ones)
        if bias { y = y + t.parameter("bias", [dim], .zeros) }
        return y
    }
}

/// `nn.Embedding(count, dim)`: rows of a normal(0, 1) table picked by int32 ids.
public struct Embedding: Layer {
    public let count: Int
    public let dim: Int
    public init(_ count: Int, _ dim: Int) {
        self.count = count
        self.dim = dim
    }
    public func callAsFunction(_ ids: Tensor) -> Tensor {
        ids.tracer.parameter("weight", [count, dim], .normal(mean: 0, std: 1)).gather(ids, axis: 0)
    }
}

/// `nn.Conv2d(in, out, kernel, stride, padding)` on [N, C, H, W].
public struct Conv2d: Layer {
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, bias: Bool
    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.bias = bias
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let t = x.tracer
        let fanIn = inChannels * kernel * kernel
        let w = t.parameter("weight", [outChannels, inChannels, kernel, kernel], .kaimingUniform(fanIn: fanIn))
        var y = x.conv(w, stride: [stride, stride], padding: [padding, padding])
        if bias { y = y + t.parameter("bias", [outChannels], .kaimingUniform(fanIn: fanIn)).reshape([outChannels, 1, 1]) }
        return y
    }
}

/// Depthwise `nn.Conv3d(dim, dim, kernel, groups: dim)` on [N, C, T, H, W] (PEG's conv).
public struct DepthwiseConv3d: Layer {
    public let channels: Int, kernel: [Int], padding: [Int], bias: Bool
    public init(_ channels: Int, kernel: [Int], padding: [Int] = [0, 0, 0], bias: Bool = true) {
        self.channels = channels
        self.kernel = kernel
        self.padding = padding
        self.bias = bias
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let t = x.tracer
        let fanIn = kernel.reduce(1, *)
        let w = t.parameter("weight", [channels, 1] + kernel, .kaimingUniform(fanIn: fanIn))
        var y = x.conv(w, stride: [1, 1, 1], padding: padding, groups: channels)
        if bias { y = y + t.parameter("bias", [channels], .kaimingUniform(fanIn: fanIn)).reshape([channels, 1, 1, 1]) }
        return y
    }
}

/// Exact GELU (`nn.GELU()`).
public struct GELU: Layer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.gelu() }
}

/// `nn.ReLU()`.
public struct ReLU: Layer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

/// `nn.LeakyReLU(alpha)`.
public struct LeakyReLU: Layer {
    public let alpha: Double
    public init(_ alpha: Double = 0.01) { self.alpha = alpha }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.leakyRelu(alpha) }
}
