import TensorGraph

/// Bounds on the integers a decoded dump may hold, so that a corrupt file is rejected with a
/// `DumpError` instead of overflowing `Int` arithmetic in shape inference.
///
/// No real graph comes near them: an extent, axis or other integer attribute fits in int32,
/// and the product of any list of extents (an element count) stays below 2^53.
enum DumpLimits {
    /// Largest magnitude of one integer.
    static let maxInteger = Int(Int32.max)
    /// Largest product of the magnitudes of an integer list.
    static let maxProduct = 1 << 53

    /// A description of the first integer of `node` out of bounds, or nil.
    static func violation(in node: Node) -> String? {
        if let problem = violation(inList: node.type.shape) { return "shape: \(problem)" }
        if let problem = violation(inValue: node.op) { return "attrs: \(problem)" }
        return nil
    }

    /// Walks the op's associated values (ints, int lists, nested enums) by reflection, so new
    /// ops are covered without a list to keep in step.
    static func violation(inValue value: Any) -> String? {
        if let int = value as? Int {
            return int.magnitude > UInt(maxInteger) ? "\(int) is out of range" : nil
        }
        if let list = value as? [Int] { return violation(inList: list) }
        for child in Mirror(reflecting: value).children {
            if let problem = violation(inValue: child.value) { return problem }
        }
        return nil
    }

    static func violation(inList list: [Int]) -> String? {
        var product = 1
        for value in list {
            guard value.magnitude <= UInt(maxInteger) else { return "\(value) is out of range" }
            let (next, overflow) = product.multipliedReportingOverflow(by: max(Int(value.magnitude), 1))
            guard !overflow, next <= maxProduct else { return "\(list) has too many elements" }
            product = next
        }
        return nil
    }
}
