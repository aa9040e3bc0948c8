/// The direction an item moves in a Fashion-MNIST clip, as its caption says it.
public enum ClipDirection: Int, CaseIterable, Sendable, Codable {
    case left, right, up, down

    /// The caption's word.
    public var word: String { ["left", "right", "up", "down"][rawValue] }
}

/// What a Fashion-MNIST clip caption says: the item's class and its direction, in the grammar
/// `FashionMNISTClips` writes ("a sneaker moving left", "an ankle boot moving up").
public struct ClipCaption: Hashable, Sendable {
    /// The class label, 0..<10 in Fashion-MNIST's order.
    public var itemClass: Int
    /// Where the item moves.
    public var direction: ClipDirection

    /// Fashion-MNIST's class names in label order.
    public static var classNames: [String] { FashionMNISTData.classNames }

    public init(itemClass: Int, direction: ClipDirection) {
        self.itemClass = itemClass
        self.direction = direction
    }

    /// Parses `text`; nil when it is not "<a|an> <class name> moving <direction>" (case ignored).
    public init?(parsing text: String) {
        let words = text.lowercased().split(separator: " ").map(String.init)
        guard words.count >= 4, words[0] == "a" || words[0] == "an", words[words.count - 2] == "moving",
              let direction = ClipDirection.allCases.first(where: { $0.word == words.last }) else { return nil }
        let noun = words[1..<(words.count - 2)].joined(separator: " ")
        guard let itemClass = Self.classNames.firstIndex(where: { $0.lowercased() == noun }) else { return nil }
        self.init(itemClass: itemClass, direction: direction)
    }

    /// The caption, exactly as the dataset writes it.
    public var text: String {
        let name = Self.classNames[itemClass].lowercased()
        let article = "aeiou".contains(name.first!) ? "an" : "a"
        return "\(article) \(name) moving \(direction.word)"
    }

    /// All 40 captions (10 classes × 4 directions), class-major.
    public static var all: [ClipCaption] {
        (0..<classNames.count).flatMap { c in ClipDirection.allCases.map { ClipCaption(itemClass: c, direction: $0) } }
    }

    /// `count` of `all` drawn without repetition by `seed` (all of them when `count` is nil or
    /// at least 40), in `all`'s order.
    public static func prompts(count: Int?, seed: UInt64) -> [ClipCaption] {
        let all = all
        guard let count, count < all.count else { return all }
        let picked = DataRandom.permutation(count: all.count, seed: seed, epoch: 0).prefix(max(0, count)).sorted()
        return picked.map { all[$0] }
    }
}
