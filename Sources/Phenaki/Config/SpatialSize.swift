/// A height and a width in pixels, as phenaki-pytorch's `pair()` reads them: JSON `256` means
/// 256 × 256 and `[256, 128]` means height 256, width 128.
public struct SpatialSize: Hashable, Sendable, ConfigValue, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// A square.
    public init(_ side: Int) { self.init(height: side, width: side) }

    public init(integerLiteral side: Int) { self.init(side) }

    public static var expectation: String { "an integer or [height, width]" }

    public var description: String { "\(height) × \(width)" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let side = try? container.decode(Int.self) {
            self.init(side)
            return
        }
        let pair = try container.decode([Int].self)
        guard pair.count == 2 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected [height, width]")
        }
        self.init(height: pair[0], width: pair[1])
    }

    /// A square writes as one integer, anything else as `[height, width]`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if height == width { try container.encode(height) } else { try container.encode([height, width]) }
    }
}
