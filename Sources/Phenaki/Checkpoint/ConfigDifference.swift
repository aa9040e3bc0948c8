import Foundation

/// One key on which two configs disagree, e.g. `cvivit.dim: checkpoint 32, given 64`.
public struct ConfigDifference: Equatable, Sendable, CustomStringConvertible {
    /// The dotted key (`section.key`).
    public var key: String
    /// The value in the checkpoint's config as JSON text, or nil where it has no such key.
    public var checkpoint: String?
    /// The value in the config the caller passed, or nil where it has no such key.
    public var given: String?

    public init(key: String, checkpoint: String?, given: String?) {
        self.key = key
        self.checkpoint = checkpoint
        self.given = given
    }

    public var description: String {
        "\(key): checkpoint \(checkpoint ?? "absent"), given \(given ?? "absent")"
    }

    /// Every key whose value differs between `checkpoint` and `given`, sorted by key.
    ///
    /// Both configs are compared as their normalised JSON (every default written out), so a
    /// key left to its default in one file and written in the other is not a difference.
    public static func between(_ checkpoint: PhenakiConfig, _ given: PhenakiConfig) -> [ConfigDifference] {
        let a = flatten(checkpoint), b = flatten(given)
        return Set(a.keys).union(b.keys).sorted().compactMap { key in
            a[key] == b[key] ? nil : ConfigDifference(key: key, checkpoint: a[key], given: b[key])
        }
    }

    /// Leaf values by dotted key, each as compact JSON text (arrays stay whole).
    private static func flatten(_ config: PhenakiConfig) -> [String: String] {
        // `jsonString` writes plain structs of numbers, strings and booleans, which always parse.
        let object = try! JSONSerialization.jsonObject(with: Data(config.jsonString().utf8))
        var leaves: [String: String] = [:]
        func visit(_ value: Any, _ key: String) {
            if let dictionary = value as? [String: Any] {
                for (name, child) in dictionary { visit(child, key.isEmpty ? name : key + "." + name) }
            } else {
                leaves[key] = text(value)
            }
        }
        visit(object, "")
        return leaves
    }

    private static func text(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
