/// A value that can sit under one key of a config section, with words for the error message
/// when the JSON holds something else.
public protocol ConfigValue: Codable {
    /// What the key must hold, completing "cvivit.dim must be ...".
    static var expectation: String { get }
}

extension Int: ConfigValue { public static var expectation: String { "an integer" } }
extension Double: ConfigValue { public static var expectation: String { "a number" } }
extension Bool: ConfigValue { public static var expectation: String { "true or false" } }
extension String: ConfigValue { public static var expectation: String { "a string" } }

/// Any key at all, so that keys a section does not know can be listed.
struct AnyConfigKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// One JSON object of a config (`cvivit`, `maskgit`, ...), read key by key.
///
/// It refuses keys outside `Keys` and turns the decoder's generic errors into `ConfigError`s
/// that name the section and the key.
struct ConfigSection<Keys: CodingKey & CaseIterable & RawRepresentable> where Keys.RawValue == String {
    /// The dotted path of this section ("" at the top level).
    let section: String
    private let container: KeyedDecodingContainer<Keys>

    init(_ decoder: Decoder) throws {
        section = decoder.codingPath.map(\.stringValue).joined(separator: ".")
        let valid = Keys.allCases.map(\.rawValue)
        let any: KeyedDecodingContainer<AnyConfigKey>
        do {
            any = try decoder.container(keyedBy: AnyConfigKey.self)
        } catch {
            throw ConfigSection.objectExpected(at: decoder.codingPath)
        }
        let unknown = any.allKeys.map(\.stringValue).filter { !valid.contains($0) }.sorted()
        if !unknown.isEmpty { throw ConfigError.unknownKeys(section: section, keys: unknown, valid: valid) }
        container = try decoder.container(keyedBy: Keys.self)
    }

    private static func objectExpected(at path: [CodingKey]) -> ConfigError {
        guard let last = path.last else {
            return .invalidJSON(source: "the config", reason: "the top level must be a JSON object")
        }
        return .wrongType(section: path.dropLast().map(\.stringValue).joined(separator: "."),
                          key: last.stringValue, expected: "a JSON object")
    }

    /// Whether `key` is present (a JSON `null` counts as absent).
    func contains(_ key: Keys) -> Bool {
        container.contains(key) && ((try? container.decodeNil(forKey: key)) == false)
    }

    /// The value under `key`, or nil when it is absent or null.
    func optional<T: ConfigValue>(_ key: Keys, as type: T.Type = T.self) throws -> T? {
        guard contains(key) else { return nil }
        do {
            return try container.decode(T.self, forKey: key)
        } catch let error as ConfigError {
            throw error
        } catch {
            // Foundation reports some mismatches (1.5 for an integer) with its own error types.
            throw ConfigError.wrongType(section: section, key: key.rawValue, expected: T.expectation)
        }
    }

    /// The value under `key`; a missing key is an error.
    func required<T: ConfigValue>(_ key: Keys, as type: T.Type = T.self) throws -> T {
        guard let value: T = try optional(key) else {
            throw ConfigError.missingKey(section: section, key: key.rawValue)
        }
        return value
    }

    /// The value under `key`, or `fallback` (phenaki-pytorch's default) when absent.
    func value<T: ConfigValue>(_ key: Keys, default fallback: @autoclosure () throws -> T) throws -> T {
        try optional(key) ?? fallback()
    }

    /// A string-valued choice (`text_encoder`, `critic_noise_anneal_schedule`).
    func choice<T: RawRepresentable & CaseIterable>(_ key: Keys, default fallback: T) throws -> T
    where T.RawValue == String {
        guard let name: String = try optional(key) else { return fallback }
        guard let value = T(rawValue: name) else {
            let valid = T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw ConfigError.invalidValue(section: section, key: key.rawValue,
                                           message: "is '\(name)'; valid values are: \(valid)")
        }
        return value
    }

    /// An integer or a list of integers (phenaki-pytorch's `cast_tuple`), as a list.
    func intList(_ key: Keys, default fallback: [Int]) throws -> [Int] {
        guard contains(key) else { return fallback }
        if let one = try? container.decode(Int.self, forKey: key) { return [one] }
        guard let list = try? container.decode([Int].self, forKey: key) else {
            throw ConfigError.wrongType(section: section, key: key.rawValue, expected: "an integer or a list of integers")
        }
        return list
    }
}

/// Throws `invalidValue` for the first of `values` below `minimum`.
func requireAtLeast<K: RawRepresentable>(_ minimum: Int, in section: String, _ values: [(K, Int)]) throws
where K.RawValue == String {
    for (key, value) in values where value < minimum {
        throw ConfigError.invalidValue(section: section, key: key.rawValue, message: "is \(value); it must be at least \(minimum)")
    }
}

/// Throws `invalidValue` for the first of `values` (dropout rates) outside [0, 1).
func requireProbabilities<K: RawRepresentable>(in section: String, _ values: [(K, Double)]) throws
where K.RawValue == String {
    for (key, value) in values where !(value >= 0 && value < 1) {
        throw ConfigError.invalidValue(section: section, key: key.rawValue, message: "is \(value); it must be in [0, 1)")
    }
}
