/// One numbered position of a `Sequential`: a layer, or an empty slot kept for numbering
/// (PyTorch's `nn.ModuleList([..., None, ...])` keeps such a slot and its index).
public struct LayerSlot {
    public let layer: (any Layer)?
    public init(_ layer: (any Layer)?) { self.layer = layer }
}

/// Builds the layer list of `Sequential { }` and `Residual { }`.
///
/// No layer is ever dropped: `if` without `else` contributes its layers or nothing, as a
/// Python `if cond: layers.append(...)` does; `for` contributes every iteration's layers;
/// an optional layer that is `nil` keeps its numbered slot, as `None` in a `ModuleList` does,
/// so later layers keep their PyTorch indices.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression<L: Layer>(_ layer: L) -> [LayerSlot] { [LayerSlot(layer)] }
    public static func buildExpression<L: Layer>(_ layer: L?) -> [LayerSlot] { [LayerSlot(layer)] }
    public static func buildExpression(_ slots: [LayerSlot]) -> [LayerSlot] { slots }
    public static func buildBlock(_ parts: [LayerSlot]...) -> [LayerSlot] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [LayerSlot]?) -> [LayerSlot] { part ?? [] }
    public static func buildEither(first part: [LayerSlot]) -> [LayerSlot] { part }
    public static func buildEither(second part: [LayerSlot]) -> [LayerSlot] { part }
    public static func buildArray(_ parts: [[LayerSlot]]) -> [LayerSlot] { parts.flatMap { $0 } }
    public static func buildLimitedAvailability(_ part: [LayerSlot]) -> [LayerSlot] { part }
}

/// Layers applied in order, named `0`, `1`, ... in the scope tree (`nn.Sequential`).
public struct Sequential: Layer {
    public let slots: [LayerSlot]
    public init(@LayerBuilder _ build: () -> [LayerSlot]) { slots = build() }
    public init(slots: [LayerSlot]) { self.slots = slots }

    /// The layers that are present, with their slot index.
    public var layers: [(index: Int, layer: any Layer)] {
        slots.enumerated().compactMap { i, slot in slot.layer.map { (i, $0) } }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (index, layer) in layers {
            h = x.tracer.scope(String(index)) { layer(h) }
        }
        return h
    }
}

/// `x + body(x)`, the body's layers numbered like a `Sequential` in the current scope.
public struct Residual: Layer {
    public let body: Sequential
    public init(@LayerBuilder _ build: () -> [LayerSlot]) { body = Sequential(slots: build()) }
    public func callAsFunction(_ x: Tensor) -> Tensor { body(x) + x }
}
