import Foundation

/// SentencePiece's precompiled normalisation map (`Precompiled` in a T5 `tokenizer.json`):
/// a darts-clone double-array trie over UTF-8 keys whose values index NUL-terminated
/// replacement strings.
///
/// Applied as Hugging Face `tokenizers` applies it: each extended grapheme cluster shorter
/// than 6 bytes is looked up whole; otherwise (or when it has no entry) each of its
/// characters is looked up alone and kept when absent. A lookup takes the first (shortest)
/// key that prefixes the bytes.
struct PrecompiledCharsMap: Sendable {
    let units: [UInt32]
    let replacements: [UInt8]

    /// Decodes the base64 `precompiled_charsmap`: a little-endian u32 trie byte size, the trie
    /// units, then the replacement strings.
    init(base64: String, path: String) throws {
        guard let data = Data(base64Encoded: base64), data.count >= 4 else {
            throw TextEncoderError.unreadable(path: path, reason: "precompiled_charsmap is not base64 of a charsmap")
        }
        let bytes = [UInt8](data)
        let trieBytes = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        guard trieBytes % 4 == 0, trieBytes >= 4, 4 + trieBytes <= bytes.count else {
            throw TextEncoderError.unreadable(path: path, reason: "precompiled_charsmap's trie size \(trieBytes) does not fit its \(bytes.count) bytes")
        }
        var units = [UInt32](repeating: 0, count: trieBytes / 4)
        for i in units.indices {
            let o = 4 + 4 * i
            units[i] = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        self.units = units
        replacements = Array(bytes[(4 + trieBytes)...])
    }

    /// The replacement of the shortest key that prefixes `key`, if any.
    func lookup(_ key: some Sequence<UInt8>) -> ArraySlice<UInt8>? {
        // darts-clone unit layout: bit 8 has-leaf, low byte (and bit 31) label, offset in bits 10...
        func offset(_ unit: UInt32) -> Int { Int(unit >> 10) << Int((unit & (1 << 9)) >> 6) }
        var position = offset(units[0])
        for byte in key {
            if byte == 0 { return nil }
            position ^= Int(byte)
            guard position < units.count else { return nil }
            let unit = units[position]
            if unit & ((1 << 31) | 0xFF) != UInt32(byte) { return nil }
            position ^= offset(unit)
            guard position < units.count else { return nil }
            if (unit >> 8) & 1 == 1 {
                let start = Int(units[position] & ((1 << 31) - 1))
                guard start <= replacements.count else { return nil }
                let end = replacements[start...].firstIndex(of: 0) ?? replacements.count
                return replacements[start..<end]
            }
        }
        return nil
    }

    /// `text` with every mapped grapheme or character replaced.
    func normalize(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for grapheme in text {
            let bytes = Array(String(grapheme).utf8)
            if bytes.count < 6, let replacement = lookup(bytes) {
                out += replacement
                continue
            }
            for scalar in grapheme.unicodeScalars {
                let scalarBytes = Array(String(scalar).utf8)
                out += lookup(scalarBytes) ?? scalarBytes[...]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
