import Foundation

/// The SentencePiece Unigram tokenizer of T5, read from Hugging Face's `tokenizer.json`:
/// normalizers (`Precompiled`, `NFKC`, `NFC`, `NFD`, `NFKD`, `Lowercase`, `Strip`, `Replace`,
/// `Sequence`), pre-tokenizers
/// (`WhitespaceSplit`, `Metaspace`, `Sequence`), then per word the Viterbi split that maximises
/// the summed piece scores (a character no piece covers is `<unk>` at the lowest score − 10,
/// and runs of `<unk>` fuse into one), then `</s>`.
///
/// Other normalizers, pre-tokenizers or byte fallback are refused with a typed error naming them.
public struct UnigramTokenizer: Sendable {
    /// Piece id and score by the piece's UTF-8 bytes.
    let pieces: [[UInt8]: (id: Int32, score: Double)]
    let longestPiece: Int
    let normalizers: [Normalizer]
    let preTokenizers: [PreTokenizer]
    public let unknownID: Int32
    public let eosID: Int32
    public let padID: Int32
    let unknownScore: Double

    enum Normalizer: Sendable {
        case nfkc, nfc, nfd, nfkd, lowercase, strip(left: Bool, right: Bool)
        case precompiled(PrecompiledCharsMap)
        case replace(pattern: String, isRegex: Bool, content: String)
    }

    enum PreTokenizer: Sendable {
        case whitespaceSplit
        case metaspace(replacement: Unicode.Scalar, prepend: Bool, split: Bool)
    }

    /// Reads `tokenizer.json`: a `Unigram` model whose vocabulary holds `</s>` and `<pad>`.
    public init(tokenizerJSON path: String) throws {
        let root = try TokenizerJSON.read(path)
        let model = root["model"] as? [String: Any] ?? [:]
        guard model["type"] as? String == "Unigram", let vocab = model["vocab"] as? [[Any]] else {
            throw TextEncoderError.unsupportedTokenizer(path: path, component: "model \(model["type"] ?? "none") (want Unigram)")
        }
        if model["byte_fallback"] as? Bool == true {
            throw TextEncoderError.unsupportedTokenizer(path: path, component: "byte_fallback")
        }
        var table: [[UInt8]: (id: Int32, score: Double)] = [:]
        var longest = 1
        var lowest = Double.infinity
        for (i, entry) in vocab.enumerated() {
            guard entry.count == 2, let piece = entry[0] as? String, let score = (entry[1] as? NSNumber)?.doubleValue else {
                throw TextEncoderError.unreadable(path: path, reason: "vocab entry \(i) is not [piece, score]")
            }
            table[Array(piece.utf8)] = (Int32(i), score)
            longest = max(longest, piece.unicodeScalars.count)
            lowest = min(lowest, score)
        }
        pieces = table
        longestPiece = longest
        unknownScore = lowest - 10
        guard let unk = model["unk_id"] as? Int else {
            throw TextEncoderError.unsupportedTokenizer(path: path, component: "a Unigram model without unk_id")
        }
        unknownID = Int32(unk)
        func id(_ piece: String) throws -> Int32 {
            guard let entry = table[Array(piece.utf8)] else {
                throw TextEncoderError.unreadable(path: path, reason: "the vocabulary has no \(piece) piece")
            }
            return entry.id
        }
        eosID = try id("</s>")
        padID = try id("<pad>")
        normalizers = try Self.normalizers(root["normalizer"], path: path)
        preTokenizers = try Self.preTokenizers(root["pre_tokenizer"], path: path)
    }

    /// Ids of `text` followed by `</s>`; with `maxLength` (which counts `</s>`) the pieces are
    /// cut to `maxLength − 1`.
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int32] {
        var ids: [Int32] = []
        for word in preTokenize(normalize(text)) { ids += viterbi(word) }
        if let maxLength, ids.count > maxLength - 1 { ids.removeLast(ids.count - max(maxLength - 1, 0)) }
        return ids + [eosID]
    }

    func normalize(_ text: String) -> String {
        var s = text
        for n in normalizers {
            switch n {
            case .precompiled(let map): s = map.normalize(s)
            case .nfkc: s = s.precomposedStringWithCompatibilityMapping
            case .nfc: s = s.precomposedStringWithCanonicalMapping
            case .nfd: s = s.decomposedStringWithCanonicalMapping
            case .nfkd: s = s.decomposedStringWithCompatibilityMapping
            case .lowercase: s = String(String.UnicodeScalarView(s.unicodeScalars.flatMap { $0.properties.lowercaseMapping.unicodeScalars }))
            case .strip(let left, let right):
                var scalars = Array(s.unicodeScalars)
                if left { scalars = Array(scalars.drop { $0.properties.isWhitespace }) }
                if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
                s = String(String.UnicodeScalarView(scalars))
            case .replace(let pattern, let isRegex, let content):
                if isRegex, let regex = try? NSRegularExpression(pattern: pattern) {
                    s = regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s),
                                                       withTemplate: NSRegularExpression.escapedTemplate(for: content))
                } else if !isRegex {
                    s = s.replacingOccurrences(of: pattern, with: content, options: .literal)
                }
            }
        }
        return s
    }

    /// Words as Unicode scalars.
    func preTokenize(_ text: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = [Array(text.unicodeScalars)]
        for p in preTokenizers {
            switch p {
            case .whitespaceSplit:
                words = words.flatMap { $0.split { $0.properties.isWhitespace }.map(Array.init) }
            case .metaspace(let replacement, let prepend, let split):
                words = words.flatMap { word -> [[Unicode.Scalar]] in
                    var w = word.map { $0 == " " ? replacement : $0 }
                    if prepend, w.first != replacement { w.insert(replacement, at: 0) }
                    guard split else { return [w] }
                    // Each replacement character starts a new word (merged with what follows).
                    var parts: [[Unicode.Scalar]] = []
                    for s in w {
                        if s == replacement || parts.isEmpty { parts.append([s]) } else { parts[parts.count - 1].append(s) }
                    }
                    return parts
                }
            }
        }
        return words.filter { !$0.isEmpty }
    }

    /// The best-scoring split of `word` into pieces (ties keep the earlier-starting last piece,
    /// as `tokenizers`' lattice does), with unknown runs fused.
    func viterbi(_ word: [Unicode.Scalar]) -> [Int32] {
        let n = word.count
        let utf8 = word.map { Array(String($0).utf8) }
        var best = [Double](repeating: -.infinity, count: n + 1)
        var from = [Int](repeating: -1, count: n + 1)
        var pieceAt = [Int32](repeating: -1, count: n + 1)
        best[0] = 0
        func relax(_ start: Int, _ end: Int, _ id: Int32, _ score: Double) {
            // Starts are visited in increasing order, so strict > keeps the earliest on ties.
            let candidate = best[start] + score
            if from[end] < 0 || candidate > best[end] {
                best[end] = candidate
                from[end] = start
                pieceAt[end] = id
            }
        }
        for start in 0..<n where best[start] > -.infinity {
            var key: [UInt8] = []
            var coveredOne = false
            for end in (start + 1)...min(n, start + longestPiece) {
                key.append(contentsOf: utf8[end - 1])
                guard let piece = pieces[key] else { continue }
                if end == start + 1 { coveredOne = true }
                relax(start, end, piece.id, piece.score)
            }
            if !coveredOne { relax(start, start + 1, unknownID, unknownScore) }
        }
        var ids: [Int32] = []
        var position = n
        while position > 0 {
            ids.append(pieceAt[position])
            position = from[position]
        }
        ids.reverse()
        var fused: [Int32] = []
        for id in ids where !(id == unknownID && fused.last == unknownID) { fused.append(id) }
        return fused
    }

    static func normalizers(_ json: Any?, path: String) throws -> [Normalizer] {
        guard let object = json as? [String: Any], let type = object["type"] as? String else { return [] }
        switch type {
        case "Sequence":
            return try (object["normalizers"] as? [Any] ?? []).flatMap { try normalizers($0, path: path) }
        case "Precompiled":
            guard let charsmap = object["precompiled_charsmap"] as? String else {
                throw TextEncoderError.unreadable(path: path, reason: "a Precompiled normalizer without precompiled_charsmap")
            }
            // An empty map (SentencePiece's "identity" rule) normalises nothing.
            return charsmap.isEmpty ? [] : [.precompiled(try PrecompiledCharsMap(base64: charsmap, path: path))]
        case "NFKC": return [.nfkc]
        case "NFC": return [.nfc]
        case "NFD": return [.nfd]
        case "NFKD": return [.nfkd]
        case "Lowercase": return [.lowercase]
        case "Strip":
            return [.strip(left: object["strip_left"] as? Bool ?? true, right: object["strip_right"] as? Bool ?? true)]
        case "Replace":
            let pattern = object["pattern"] as? [String: Any] ?? [:]
            let content = object["content"] as? String ?? ""
            if let regex = pattern["Regex"] as? String {
                guard (try? NSRegularExpression(pattern: regex)) != nil else {
                    throw TextEncoderError.unsupportedTokenizer(path: path, component: "the Replace regex \(regex)")
                }
                return [.replace(pattern: regex, isRegex: true, content: content)]
            }
            return [.replace(pattern: pattern["String"] as? String ?? "", isRegex: false, content: content)]
        default:
            throw TextEncoderError.unsupportedTokenizer(path: path, component: "normalizer \(type)")
        }
    }

    static func preTokenizers(_ json: Any?, path: String) throws -> [PreTokenizer] {
        guard let object = json as? [String: Any], let type = object["type"] as? String else { return [] }
        switch type {
        case "Sequence":
            return try (object["pretokenizers"] as? [Any] ?? []).flatMap { try preTokenizers($0, path: path) }
        case "WhitespaceSplit": return [.whitespaceSplit]
        case "Metaspace":
            let replacement = (object["replacement"] as? String)?.unicodeScalars.first ?? "▁"
            // tokenizers < 0.14 wrote `add_prefix_space`; later ones `prepend_scheme`.
            let scheme = object["prepend_scheme"] as? String
            if scheme == "first" {
                throw TextEncoderError.unsupportedTokenizer(path: path, component: "Metaspace prepend_scheme \"first\"")
            }
            let prepend = scheme.map { $0 == "always" } ?? (object["add_prefix_space"] as? Bool ?? true)
            return [.metaspace(replacement: replacement, prepend: prepend, split: object["split"] as? Bool ?? true)]
        default:
            throw TextEncoderError.unsupportedTokenizer(path: path, component: "pre_tokenizer \(type)")
        }
    }
}
