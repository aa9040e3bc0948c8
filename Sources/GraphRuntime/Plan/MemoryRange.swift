/// The bytes of one arena that a view touches (from its lowest to its highest element).
public struct MemoryRange: Hashable, Sendable {
    public let arena: PlanArena
    public let range: Range<Int>

    public init(_ view: PlanView, _ buffers: [PlanBuffer]) {
        let b = buffers[view.buffer]
        let elements = view.elementRange
        arena = b.arena
        range = (b.offset + 4 * elements.lowerBound)..<(b.offset + 4 * elements.upperBound)
    }

    public func overlaps(_ other: MemoryRange) -> Bool {
        arena == other.arena && range.overlaps(other.range)
    }
}

extension PlanView {
    /// Smallest and one-past-largest element index the view touches (relative to the buffer).
    public var elementRange: Range<Int> {
        if shape.contains(0) { return elementOffset..<elementOffset }
        var lo = elementOffset, hi = elementOffset
        for (d, s) in zip(shape, strides) {
            if s > 0 { hi += (d - 1) * s } else { lo += (d - 1) * s }
        }
        return lo..<(hi + 1)
    }
}
