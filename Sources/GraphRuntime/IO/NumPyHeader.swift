/// The header dict of a `.npy` file, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
///
/// The header is a Python literal; this reads the small part of Python's literal syntax numpy
/// writes (and hand-written headers use): a dict of quoted keys, quoted strings, `True`/`False`,
/// integers, tuples and lists, with free spacing and trailing commas.
struct NumPyHeader: Equatable {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// Why a header was refused; the reader wraps it in `NumPyError`.
    enum Failure: Error, Equatable {
        case syntax(String)
        case structuredDType
    }

    /// Parses and checks the header text.
    static func parse(_ text: String) -> Result<NumPyHeader, Failure> {
        var parser = PythonLiteralParser(Array(text.unicodeScalars))
        return Result { () throws(Failure) -> NumPyHeader in
            let value = try parser.parseAll()
            guard case .dict(let members) = value else { throw .syntax("the header is not a dict") }
            let keys = members.map(\.key)
            for required in ["descr", "fortran_order", "shape"] where !keys.contains(required) {
                throw .syntax("the dict has no '\(required)' key")
            }
            if let extra = keys.first(where: { !["descr", "fortran_order", "shape"].contains($0) }) {
                throw .syntax("the dict has an unexpected key '\(extra)'")
            }
            if Set(keys).count != keys.count { throw .syntax("the dict repeats a key") }
            let lookup = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let descr: String
            switch lookup["descr"]! {
            case .string(let text): descr = text
            case .list, .tuple, .dict: throw .structuredDType
            default: throw .syntax("'descr' must be a string such as '<f4'")
            }
            guard case .bool(let fortranOrder) = lookup["fortran_order"]! else {
                throw .syntax("'fortran_order' must be True or False")
            }
            var shape: [Int] = []
            switch lookup["shape"]! {
            case .tuple(let items), .list(let items):
                for item in items {
                    guard case .int(let extent) = item, extent >= 0 else {
                        throw .syntax("'shape' must hold non-negative integers")
                    }
                    shape.append(extent)
                }
            default: throw .syntax("'shape' must be a tuple such as (2, 3)")
            }
            return NumPyHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
        }
    }

    /// The header text numpy writes: keys sorted, `repr` values, a trailing `, ` before `}`,
    /// then spare spaces so the first extent can grow in place (numpy's 21-digit allowance).
    var text: String {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var text = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        if let growing = fortranOrder ? shape.last : shape.first {
            text += String(repeating: " ", count: max(0, 21 - String(growing).count))
        }
        return text
    }
}

/// A value of Python's literal syntax, as far as `.npy` headers use it.
private enum PythonLiteral: Equatable {
    case string(String)
    case bool(Bool)
    case none
    case int(Int)
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dict([(key: String, value: PythonLiteral)])

    static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.none, .none): return true
        case (.int(let x), .int(let y)): return x == y
        case (.tuple(let x), .tuple(let y)), (.list(let x), .list(let y)): return x == y
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}

/// A recursive-descent parser for `PythonLiteral`, bounded in depth.
private struct PythonLiteralParser {
    let text: [Unicode.Scalar]
    var position = 0
    let maxDepth = 16

    init(_ text: [Unicode.Scalar]) { self.text = text }

    mutating func parseAll() throws(NumPyHeader.Failure) -> PythonLiteral {
        skipSpace()
        let value = try parseValue(depth: 0)
        skipSpace()
        guard position == text.count else { throw .syntax("unexpected text after the dict at character \(position)") }
        return value
    }

    private mutating func skipSpace() {
        while position < text.count, [" ", "\t", "\n", "\r"].contains(text[position]) { position += 1 }
    }

    private func peek() -> Unicode.Scalar? { position < text.count ? text[position] : nil }

    private mutating func parseValue(depth: Int) throws(NumPyHeader.Failure) -> PythonLiteral {
        guard depth < maxDepth else { throw .syntax("values nested too deeply") }
        guard let first = peek() else { throw .syntax("the header ends where a value should start") }
        switch first {
        case "{":
            position += 1
            var members: [(key: String, value: PythonLiteral)] = []
            for item in try items(closing: "}", depth: depth, pairs: true).values {
                guard case .tuple(let pair) = item, case .string(let key) = pair[0] else {
                    throw .syntax("dict keys must be quoted strings")
                }
                members.append((key, pair[1]))
            }
            return .dict(members)
        case "(":
            position += 1
            let (values, commas) = try items(closing: ")", depth: depth, pairs: false)
            // `(3)` is the integer 3 in Python; a one-element tuple needs its comma.
            if values.count == 1, commas == 0 { return values[0] }
            return .tuple(values)
        case "[":
            position += 1
            return .list(try items(closing: "]", depth: depth, pairs: false).values)
        case "'", "\"":
            return .string(try parseString())
        case "-", "0"..."9":
            return .int(try parseInt())
        default:
            var word = ""
            while let c = peek(), c.properties.isAlphabetic || c == "_" {
                word.unicodeScalars.append(c)
                position += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default: throw .syntax("unexpected '\(word.isEmpty ? String(first) : word)' at character \(position)")
            }
        }
    }

    /// Comma-separated items up to `closing`, a trailing comma allowed; with `pairs`, each item
    /// is `key: value`, returned as a two-element tuple. Also counts the commas read.
    private mutating func items(
        closing: Unicode.Scalar, depth: Int, pairs: Bool
    ) throws(NumPyHeader.Failure) -> (values: [PythonLiteral], commas: Int) {
        var values: [PythonLiteral] = []
        var commas = 0
        while true {
            skipSpace()
            if peek() == closing {
                position += 1
                return (values, commas)
            }
            var value = try parseValue(depth: depth + 1)
            skipSpace()
            if pairs {
                guard peek() == ":" else { throw .syntax("expected ':' after a dict key at character \(position)") }
                position += 1
                skipSpace()
                value = .tuple([value, try parseValue(depth: depth + 1)])
                skipSpace()
            }
            values.append(value)
            if peek() == "," {
                position += 1
                commas += 1
            } else if peek() != closing {
                throw .syntax("expected ',' or '\(closing)' at character \(position)")
            }
        }
    }

    private mutating func parseString() throws(NumPyHeader.Failure) -> String {
        let quote = text[position]
        position += 1
        var out = ""
        while let c = peek() {
            position += 1
            if c == quote { return out }
            if c == "\\" {
                guard let escaped = peek() else { break }
                position += 1
                out.unicodeScalars.append(escaped)
            } else {
                out.unicodeScalars.append(c)
            }
        }
        throw .syntax("a string is not closed")
    }

    private mutating func parseInt() throws(NumPyHeader.Failure) -> Int {
        var digits = ""
        if peek() == "-" {
            digits = "-"
            position += 1
        }
        while let c = peek(), ("0"..."9").contains(c) {
            digits.unicodeScalars.append(c)
            position += 1
        }
        if peek() == "L" { position += 1 }  // Python 2 wrote long integers as 3L
        guard let value = Int(digits) else { throw .syntax("'\(digits)' is not an integer that fits 64 bits") }
        return value
    }
}
