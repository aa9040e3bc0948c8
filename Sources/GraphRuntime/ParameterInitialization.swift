import TensorGraph

/// A stable 64-bit hash of a string (FNV-1a over its UTF-8 bytes), the same on every machine
/// and in every process (unlike `Hasher`).
public func stableHash(_ string: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in string.utf8 {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    return hash
}

/// The RNG key a parameter called `name` draws its first value from.
///
/// It depends on the seed and the name only, not on the parameter's position, so a model
/// that gains or loses layers keeps the initial values of the parameters it still has.
public func parameterKey(name: String, seed: UInt64) -> RNGKey {
    RNGKey(seed: seed).foldIn(Int(Int64(bitPattern: stableHash(name))))
}

/// The first value of one parameter, drawn from `initializer` (float32, rounded through `Float`).
public func initialValue(of type: TensorType, initializer: Initializer, name: String, seed: UInt64) -> HostTensor {
    let key = parameterKey(name: name, seed: seed)
    let count = type.count
    let scalars: [Double]
    switch initializer {
    case .zeros:
        scalars = [Double](repeating: 0, count: count)
    case .ones:
        scalars = [Double](repeating: 1, count: count)
    case .constant(let value):
        scalars = [Double](repeating: value, count: count)
    case .normal(let mean, let std):
        scalars = key.normal(count: count).map { mean + std * $0 }
    case .uniform(let low, let high):
        scalars = key.uniform(count: count).map { low + (high - low) * $0 }
    case .kaimingUniform(let fanIn):
        let bound = 1 / Double(max(fanIn, 1)).squareRoot()
        scalars = key.uniform(count: count).map { -bound + 2 * bound * $0 }
    case .kaimingNormal(let fanIn):
        let std = (2 / Double(max(fanIn, 1))).squareRoot()
        scalars = key.normal(count: count).map { std * $0 }
    }
    return HostTensor(shape: type.shape, dtype: type.dtype, scalars: scalars.map { Double(Float($0)) })
}

/// Initial values of every parameter of `graph`, keyed by `state_dict` name.
///
/// The same name, type and seed give the same values in any model.
public func initialParameters(of graph: Graph, seed: UInt64) -> [String: HostTensor] {
    var values: [String: HostTensor] = [:]
    for node in graph.nodes {
        if case .parameter(let name, let initializer) = node.op {
            values[name] = initialValue(of: node.type, initializer: initializer, name: name, seed: seed)
        }
    }
    return values
}

/// Zeros for every input and RNG key of `graph` (RNG keys become the key (0, 0)), so a graph
/// can be run before real data is at hand; merge with `initialParameters` for a full feed.
public func zeroFeeds(of graph: Graph) -> [String: HostTensor] {
    var values: [String: HostTensor] = [:]
    for node in graph.nodes {
        switch node.op {
        case .input(let name), .rngKey(let name): values[name] = .zeros(node.type.shape, dtype: node.type.dtype)
        default: break
        }
    }
    return values
}
