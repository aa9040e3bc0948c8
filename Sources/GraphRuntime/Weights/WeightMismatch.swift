import TensorGraph

/// One way a weights file fails to fit a model's graph.
///
/// Loading collects every mismatch before it fails, so one message lists all of them: a file
/// saved from another configuration usually differs in many tensors at once, and seeing them
/// together tells which setting (dim, heads, depth, ...) differs.
public enum WeightMismatch: Equatable, Sendable, CustomStringConvertible {
    /// The graph declares the parameter; the file has no tensor of that name.
    case missing(name: String, expected: [Int])
    /// The file's tensor has another shape than the graph's parameter.
    case shape(name: String, file: [Int], expected: [Int])
    /// The file's tensor is an integer or bool tensor; the graph's parameter is float.
    case dtype(name: String, file: DType, expected: DType)
    /// The file has a tensor the graph does not declare and the policy does not tolerate.
    case unexpected(name: String, shape: [Int])
    /// The bias (`.beta`) of phenaki-pytorch's bias-less LayerNorm, a zeros buffer there, is
    /// not zero: the graph has no LayerNorm bias, so ignoring it would change results.
    case nonZeroBeta(name: String, index: Int, value: Double)
    /// A buffer the graph holds as constants (LFQ's bit weights `vq.mask`) has other values.
    case unexpectedBuffer(name: String, values: [Double], expected: [Double])
    /// `VectorQuantize`'s `_codebook.initted` is 0: the codebook was never initialised.
    case uninitializedCodebook(name: String)

    /// The tensor name the mismatch is about.
    public var name: String {
        switch self {
        case .missing(let name, _), .shape(let name, _, _), .dtype(let name, _, _),
             .unexpected(let name, _), .nonZeroBeta(let name, _, _), .unexpectedBuffer(let name, _, _),
             .uninitializedCodebook(let name):
            return name
        }
    }

    public var description: String {
        switch self {
        case .missing(let name, let expected):
            return "missing parameter '\(name)' of shape \(expected): the file has no tensor of that name"
        case .shape(let name, let file, let expected):
            return "shape mismatch for '\(name)': the file has \(file), the model expects \(expected)"
        case .dtype(let name, let file, let expected):
            return "dtype mismatch for '\(name)': the file holds \(file.rawValue), the model expects "
                + "\(expected.rawValue); save the parameter as a float tensor (F32, F16 or BF16)"
        case .unexpected(let name, let shape):
            return "unexpected tensor '\(name)' of shape \(shape): the model has no parameter of that name"
        case .nonZeroBeta(let name, let index, let value):
            return "'\(name)' is \(value) at element \(index), but it is the bias of a bias-less LayerNorm "
                + "(a zeros buffer in phenaki-pytorch) and the model has no such bias; loading it would "
                + "change results"
        case .unexpectedBuffer(let name, let values, let expected):
            return "'\(name)' holds \(values.map { Int($0) }), but the model uses the constants "
                + "\(expected.map { Int($0) }); a file with other values quantizes differently"
        case .uninitializedCodebook(let name):
            return "'\(name)' is 0: the VectorQuantize codebook was saved before its (k-means) "
                + "initialisation, so its 'embed' holds no codebook; save the model after a training step"
        }
    }
}
