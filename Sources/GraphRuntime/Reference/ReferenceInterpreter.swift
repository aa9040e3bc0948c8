import TensorGraph

/// The arithmetic the reference interpreter models.
public enum Precision: Sendable, Hashable {
    /// Every float32 value (feeds and results) is rounded through `Float`, as the compiled
    /// runtime stores it; kernels still compute each result in `Double` before rounding.
    case float32
    /// Nothing is rounded: float32 values are carried as `Double` (for adjointness checks and
    /// finite differences).
    case float64
}

/// Runs a graph node by node with deliberately simple kernels: the oracle every optimised
/// path is tested against.
///
/// Feeds are keyed by parameter name (the `state_dict` key), input name and RNG-key name.
/// Feeds the graph does not read are ignored, so one parameter dictionary serves every graph
/// of a model.
public struct ReferenceInterpreter: Sendable {
    /// Whether float32 values are rounded through `Float`.
    public var precision: Precision

    /// An interpreter with the given arithmetic.
    public init(precision: Precision = .float32) {
        self.precision = precision
    }

    /// Values of every node, in graph order.
    public func evaluate(_ graph: Graph, feeds: [String: HostTensor]) throws(RuntimeError) -> [HostTensor] {
        var values: [HostTensor] = []
        values.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            let inputs = node.inputs.map { values[$0.index] }
            let value = try evaluate(node, inputs: inputs, feeds: feeds)
            precondition(value.shape == node.type.shape && value.dtype == node.type.dtype,
                         "reference kernel of \(node.op.kind.rawValue) at \(node.scope) produced "
                            + "\(value.type), its shape rule says \(node.type)")
            values.append(rounded(value))
        }
        return values
    }

    /// Values of the graph's named outputs.
    public func run(_ graph: Graph, feeds: [String: HostTensor]) throws(RuntimeError) -> [String: HostTensor] {
        let values = try evaluate(graph, feeds: feeds)
        var outputs: [String: HostTensor] = [:]
        for output in graph.outputs { outputs[output.name] = values[output.node.index] }
        return outputs
    }

    /// Stores a value as the runtime would: float32 rounded through `Float` in float32 mode.
    func rounded(_ value: HostTensor) -> HostTensor {
        guard value.dtype == .float32, precision == .float32 else { return value }
        var value = value
        for i in value.scalars.indices { value.scalars[i] = Double(Float(value.scalars[i])) }
        return value
    }

    // One case per op and no `default:`: a new op does not compile until it has a kernel here.
    private func evaluate(
        _ node: Node, inputs x: [HostTensor], feeds: [String: HostTensor]
    ) throws(RuntimeError) -> HostTensor {
        typealias K = ReferenceKernels
        let out = node.type
        let scope = node.scope
        switch node.op {
        case .parameter(let name, _), .input(let name), .rngKey(let name):
            return try K.feed(name, type: out, feeds: feeds)
        case .constant(let values):
            return HostTensor(shape: out.shape, dtype: out.dtype,
                              scalars: values.count == 1 ? [Double](repeating: values[0], count: out.count) : values)
        case .iota(let axis):
            return K.iota(out, axis: axis)
        case .randomUniform:
            return HostTensor(shape: out.shape, scalars: K.key(x[0]).uniform(count: out.count))
        case .randomNormal:
            return HostTensor(shape: out.shape, scalars: K.key(x[0]).normal(count: out.count))
        case .foldIn(let data):
            return K.key(x[0]).foldIn(data).tensor
        case .unary(let op):
            return K.unary(op, x[0])
        case .binary(let op):
            return try K.binary(op, x[0], x[1], out: out, scope: scope)
        case .select:
            return K.select(x[0], x[1], x[2], out: out)
        case .clamp(let lo, let hi):
            return K.map(x[0]) { $0.isNaN ? $0 : Swift.min(Swift.max($0, lo), hi) }
        case .cast(let dtype):
            return K.cast(x[0], to: dtype)
        case .stopGradient:
            return x[0]
        case .reduce(let op, let axes, _):
            return K.reduce(op, x[0], axes: axes, out: out)
        case .argmax(let axis, _):
            return K.argmax(x[0], axis: axis, out: out)
        case .softmax(let axis):
            return K.softmax(x[0], axis: axis)
        case .layerNorm(let epsilon):
            return K.layerNorm(x[0], epsilon: epsilon)
        case .l2Normalize(let axis, let epsilon):
            return K.l2Normalize(x[0], axis: axis, epsilon: epsilon)
        case .matmul(let transposeA, let transposeB):
            return K.matmul(x[0], x[1], transposeA: transposeA, transposeB: transposeB, out: out)
        case .reshape(let shape):
            return HostTensor(shape: shape, dtype: x[0].dtype, scalars: x[0].scalars)
        case .permute(let perm):
            return K.permute(x[0], perm: perm)
        case .slice(let starts, let ends):
            return K.slice(x[0], starts: starts, ends: ends)
        case .concat(let axis):
            return K.concat(x, axis: axis, out: out)
        case .pad(let before, _, let value):
            return K.pad(x[0], before: before, value: value, out: out)
        case .expand(let shape):
            return K.gathered(x[0], offsets: broadcastOffsets(from: x[0].shape, to: shape), shape: shape)
        case .gather(let axis):
            return try K.gather(x[0], indices: x[1], axis: axis, out: out, scope: scope)
        case .scatterAdd(let axis, let size):
            return try K.scatterAdd(x[0], indices: x[1], axis: axis, size: size, out: out, scope: scope)
        case .takeAlongAxis(let axis):
            return try K.takeAlongAxis(x[0], indices: x[1], axis: axis, scope: scope)
        case .scatterAlongAxisAdd(let axis, _):
            return try K.scatterAlongAxisAdd(x[0], indices: x[1], axis: axis, out: out, scope: scope)
        case .oneHot(let depth):
            return try K.oneHot(x[0], depth: depth, scope: scope)
        case .topK(let k, let axis):
            return K.topK(x[0], k: k, axis: axis, out: out)
        case .argsort(let axis, let descending):
            return K.argsort(x[0], axis: axis, descending: descending)
        case .attention(let scale, let hasBias, let hasMask):
            return K.attention(x, hasBias: hasBias, hasMask: hasMask, scale: scale, out: out)
        case .attentionGrad(let wrt, let scale, let hasBias, let hasMask):
            return K.attentionGrad(x, wrt: wrt, hasBias: hasBias, hasMask: hasMask, scale: scale, out: out)
        case .conv(let stride, let padding, let groups):
            return K.conv(x[0], x[1], geometry: ConvGeometry(x: x[0].shape, w: x[1].shape, y: out.shape,
                                                             stride: stride, padding: padding, groups: groups))
        case .convTranspose(let stride, let padding, let groups, _):
            return K.convTranspose(x[0], x[1], geometry: ConvGeometry(x: out.shape, w: x[1].shape, y: x[0].shape,
                                                                      stride: stride, padding: padding, groups: groups))
        case .convWeightGrad(let stride, let padding, let groups, _):
            return K.convWeightGrad(x[0], x[1], geometry: ConvGeometry(x: x[0].shape, w: out.shape, y: x[1].shape,
                                                                       stride: stride, padding: padding, groups: groups))
        }
    }
}

/// The reference kernels, one static function per op family (split by file).
enum ReferenceKernels {
    /// A feed checked against the node that reads it.
    static func feed(_ name: String, type: TensorType, feeds: [String: HostTensor]) throws(RuntimeError) -> HostTensor {
        guard let value = feeds[name] else { throw .missingFeed(name: name, expected: type) }
        guard value.type == type else { throw .feedTypeMismatch(name: name, expected: type, got: value.type) }
        for (i, v) in value.scalars.enumerated() {
            switch type.dtype {
            case .float32:
                continue
            case .int32:
                if v != v.rounded(.towardZero) || v < Double(Int32.min) || v > Double(Int32.max) {
                    throw .invalidFeedValue(name: name, dtype: .int32, index: i, value: v)
                }
            case .bool:
                if v != 0 && v != 1 { throw .invalidFeedValue(name: name, dtype: .bool, index: i, value: v) }
            }
        }
        return value
    }

    /// Every element holds its index along `axis`.
    static func iota(_ type: TensorType, axis: Int) -> HostTensor {
        var strides = [Int](repeating: 0, count: type.rank)
        strides[axis] = 1
        return HostTensor(shape: type.shape, dtype: .int32,
                          scalars: stridedOffsets(shape: type.shape, strides: strides).map(Double.init))
    }

    /// The RNG key an int32[2] value holds.
    static func key(_ value: HostTensor) -> RNGKey {
        RNGKey(Int32(value.scalars[0]), Int32(value.scalars[1]))
    }

    /// Elements of `x` at `offsets`, as a tensor of `shape`.
    static func gathered(_ x: HostTensor, offsets: [Int], shape: [Int]) -> HostTensor {
        HostTensor(shape: shape, dtype: x.dtype, scalars: offsets.map { x.scalars[$0] })
    }
}
