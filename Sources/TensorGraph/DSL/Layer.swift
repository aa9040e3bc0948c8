/// A model component that maps one symbolic tensor to another, declaring its parameters as
/// it runs (like a PyTorch `nn.Module` whose `forward` takes one tensor).
///
/// Layers with several inputs simply define other `callAsFunction` overloads; only one-input
/// layers can sit in a `Sequential` or `Residual`.
public protocol Layer {
    func callAsFunction(_ x: Tensor) -> Tensor
}

extension Layer {
    /// This layer under a submodule name, as a PyTorch attribute gives it one:
    /// `Linear(dim, dim).named("to_q")` declares `to_q.weight`.
    public func named(_ name: String) -> Named<Self> { Named(name, self) }
}

/// A layer whose parameters live under `name` in the scope tree.
public struct Named<Wrapped: Layer>: Layer {
    public let name: String
    public let wrapped: Wrapped
    public init(_ name: String, _ wrapped: Wrapped) {
        self.name = name
        self.wrapped = wrapped
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.tracer.scope(name) { wrapped(x) }
    }
}

/// A parameter-free layer from a closure (`Rearrange`, activations, reshapes).
public struct Lambda: Layer {
    let body: (Tensor) -> Tensor
    public init(_ body: @escaping (Tensor) -> Tensor) { self.body = body }
    public func callAsFunction(_ x: Tensor) -> Tensor { body(x) }
}

/// Returns its input (`nn.Identity`).
public struct Identity: Layer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x }
}
