/// How a parameter's first value is drawn. Matches the initialisers phenaki-pytorch's modules use.
///
/// The runtime draws values from a seed and the parameter's name, so two traces of the same
/// model with the same seed start from the same weights.
public enum Initializer: Hashable, Sendable, Codable, CustomStringConvertible {
    /// All zeros (`nn.init.zeros_`, LayerNorm beta, biases of zero-init layers).
    case zeros
    /// All ones (`nn.init.ones_`, LayerNorm gamma).
    case ones
    /// A constant value.
    case constant(Double)
    /// `nn.init.normal_(mean, std)`; `nn.Embedding` uses `normal(0, 1)`.
    case normal(mean: Double, std: Double)
    /// `nn.init.uniform_(low, high)`.
    case uniform(low: Double, high: Double)
    /// `nn.init.kaiming_uniform_(a: sqrt(5))` as `nn.Linear` / `nn.Conv*d` weights use:
    /// uniform in ±sqrt(6 / ((1 + a²) · fanIn)) = ±1/sqrt(fanIn).
    case kaimingUniform(fanIn: Int)
    /// `nn.init.kaiming_normal_` with gain sqrt(2): normal(0, sqrt(2 / fanIn)).
    case kaimingNormal(fanIn: Int)

    public var description: String {
        switch self {
        case .zeros: return "zeros"
        case .ones: return "ones"
        case .constant(let v): return "constant(\(v))"
        case .normal(let m, let s): return "normal(\(m),\(s))"
        case .uniform(let lo, let hi): return "uniform(\(lo),\(hi))"
        case .kaimingUniform(let f): return "kaiming_uniform(fan_in=\(f))"
        case .kaimingNormal(let f): return "kaiming_normal(fan_in=\(f))"
        }
    }
}
