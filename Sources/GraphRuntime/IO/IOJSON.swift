/// A JSON value as the tensor formats need it: objects keep their key order, numbers keep
/// their literal text so integers of any size are read exactly.
enum IOJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, e.g. `12`, `-3.5e2`.
    case number(String)
    case string(String)
    case array([IOJSON])
    /// Members in file order; the parser refuses duplicate keys.
    case object([(key: String, value: IOJSON)])

    static func == (a: IOJSON, b: IOJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The value if this is a number holding a non-negative integer that fits `Int`.
    var nonNegativeInt: Int? {
        guard case .number(let text) = self, let value = Int(text), value >= 0 else { return nil }
        return value
    }

    /// A short name of the value's kind, for messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number(let text): return "the number \(text)"
        case .string(let text): return "the string \"\(text)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Why a JSON text was refused: what was wrong and at which byte.
struct IOJSONSyntaxError: Error, Equatable {
    var offset: Int
    var reason: String
}

extension IOJSON {
    /// Parses one JSON value (RFC 8259) from UTF-8 `bytes`; only whitespace may follow it.
    ///
    /// Nesting deeper than `maxDepth` is refused so that a hostile header cannot exhaust the stack.
    static func parse(_ bytes: [UInt8], maxDepth: Int = 64) -> Result<IOJSON, IOJSONSyntaxError> {
        var parser = IOJSONParser(bytes: bytes, maxDepth: maxDepth)
        return Result { () throws(IOJSONSyntaxError) -> IOJSON in
            parser.skipWhitespace()
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.position == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
            return value
        }
    }

    /// Compact JSON text (no spaces), with strings escaped as serde_json escapes them.
    var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): IOJSON.writeString(text, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                IOJSON.writeString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// Escapes `"`, `\` and control characters; everything else, non-ASCII included, is copied.
    private static func writeString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// A recursive-descent JSON parser over bytes.
private struct IOJSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var position = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func failure(_ reason: String) -> IOJSONSyntaxError { IOJSONSyntaxError(offset: position, reason: reason) }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func value(depth: Int) throws(IOJSONSyntaxError) -> IOJSON {
        guard depth < maxDepth else { throw failure("nested deeper than \(maxDepth) levels") }
        guard position < bytes.count else { throw failure("the text ends where a value should start") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character '\(Character(Unicode.Scalar(bytes[position])))'")
        }
    }

    private mutating func literal(_ word: String) throws(IOJSONSyntaxError) {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count,
              Array(bytes[position..<position + expected.count]) == expected
        else { throw failure("expected '\(word)'") }
        position += expected.count
    }

    private mutating func object(depth: Int) throws(IOJSONSyntaxError) -> IOJSON {
        position += 1
        var members: [(key: String, value: IOJSON)] = []
        var seen = Set<String>()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw failure("expected a quoted key")
            }
            let keyStart = position
            let key = try string()
            guard seen.insert(key).inserted else {
                throw IOJSONSyntaxError(offset: keyStart, reason: "the key \"\(key)\" appears twice in one object")
            }
            skipWhitespace()
            try expect(":", "expected ':' after a key")
            skipWhitespace()
            members.append((key, try value(depth: depth + 1)))
            skipWhitespace()
            if try endOrComma("}") { return .object(members) }
        }
    }

    private mutating func array(depth: Int) throws(IOJSONSyntaxError) -> IOJSON {
        position += 1
        var items: [IOJSON] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            if try endOrComma("]") { return .array(items) }
        }
    }

    /// Consumes `,` (returns false) or `close` (returns true).
    private mutating func endOrComma(_ close: Unicode.Scalar) throws(IOJSONSyntaxError) -> Bool {
        guard position < bytes.count else { throw failure("the text ends inside an object or array") }
        let byte = bytes[position]
        position += 1
        if byte == UInt8(ascii: close) { return true }
        if byte == UInt8(ascii: ",") { return false }
        position -= 1
        throw failure("expected ',' or '\(close)'")
    }

    private mutating func expect(_ character: Unicode.Scalar, _ reason: String) throws(IOJSONSyntaxError) {
        guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { throw failure(reason) }
        position += 1
    }

    private mutating func number() throws(IOJSONSyntaxError) -> String {
        let start = position
        func digits(_ p: inout Int, _ bytes: [UInt8]) -> Int {
            let s = p
            while p < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[p]) { p += 1 }
            return p - s
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let intStart = position
        let intDigits = digits(&position, bytes)
        guard intDigits > 0 else { throw failure("a number needs digits") }
        guard intDigits == 1 || bytes[intStart] != UInt8(ascii: "0") else { throw failure("a number has a leading zero") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&position, bytes) > 0 else { throw failure("a number needs digits after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits(&position, bytes) > 0 else { throw failure("a number needs digits in its exponent") }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func string() throws(IOJSONSyntaxError) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var run = position  // start of the current run of plain bytes
        func flush(_ end: Int, _ bytes: [UInt8], _ scalars: inout String.UnicodeScalarView) {
            scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars)
        }
        while true {
            guard position < bytes.count else { throw failure("the text ends inside a string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                flush(position, bytes, &scalars)
                position += 1
                return String(scalars)
            }
            guard byte >= 0x20 else { throw failure("a control character inside a string must be escaped") }
            guard byte == UInt8(ascii: "\\") else {
                position += 1
                continue
            }
            flush(position, bytes, &scalars)
            position += 1
            guard position < bytes.count else { throw failure("the text ends inside an escape") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"): scalars.append(try unicodeEscape())
            default: throw failure("unknown escape '\\\(Character(Unicode.Scalar(escape)))'")
            }
            run = position
        }
    }

    /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair.
    private mutating func unicodeEscape() throws(IOJSONSyntaxError) -> Unicode.Scalar {
        let high = try hex4()
        if (0xD800..<0xDC00).contains(high) {
            guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                  bytes[position + 1] == UInt8(ascii: "u")
            else { throw failure("a high surrogate must be followed by a low one") }
            position += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw failure("a high surrogate must be followed by a low one") }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
        }
        guard let scalar = Unicode.Scalar(high) else { throw failure("a lone low surrogate") }
        return scalar
    }

    private mutating func hex4() throws(IOJSONSyntaxError) -> UInt32 {
        guard bytes.count - position >= 4,
              bytes[position..<position + 4].allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
              let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
        else { throw failure("\\u needs four hex digits") }
        position += 4
        return value
    }
}
