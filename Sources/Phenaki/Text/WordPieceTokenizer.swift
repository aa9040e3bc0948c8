import Foundation

/// BERT's tokenizer: `BertBasicTokenizer` words, each split greedily into the longest
/// vocabulary pieces (`##` marks a piece that continues a word; a word with no split, or
/// longer than `maxInputCharsPerWord` scalars, becomes `[UNK]`), wrapped in `[CLS] … [SEP]`.
///
/// Reads Hugging Face's `tokenizer.json` (model `WordPiece`, normalizer `BertNormalizer`) or a
/// `vocab.txt` (one token per line, id = line number).
public struct WordPieceTokenizer: Sendable {
    /// Token ids by the UTF-8 bytes of the token (bytes, not `String`: see `BertBasicTokenizer`).
    let vocabulary: [[UInt8]: Int32]
    public let basic: BertBasicTokenizer
    public let continuingPrefix: String
    public let maxInputCharsPerWord: Int
    public let unknownID: Int32
    public let clsID: Int32
    public let sepID: Int32
    public let padID: Int32

    /// A tokenizer over `vocabulary` (token → id).
    public init(vocabulary: [String: Int], basic: BertBasicTokenizer = BertBasicTokenizer(),
                continuingPrefix: String = "##", maxInputCharsPerWord: Int = 100, unknownToken: String = "[UNK]",
                source: String = "the vocabulary") throws {
        var bytes: [[UInt8]: Int32] = [:]
        for (token, id) in vocabulary { bytes[Array(token.utf8)] = Int32(id) }
        func id(_ token: String) throws -> Int32 {
            guard let id = bytes[Array(token.utf8)] else {
                throw TextEncoderError.unreadable(path: source, reason: "the vocabulary has no \(token) token")
            }
            return id
        }
        self.vocabulary = bytes
        self.basic = basic
        self.continuingPrefix = continuingPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        unknownID = try id(unknownToken)
        clsID = try id("[CLS]")
        sepID = try id("[SEP]")
        padID = try id("[PAD]")
    }

    /// Reads `tokenizer.json` (preferred) or `vocab.txt` from `directory`.
    public init(directory: String) throws {
        let json = directory + "/tokenizer.json"
        if FileManager.default.fileExists(atPath: json) {
            try self.init(tokenizerJSON: json)
        } else {
            try self.init(vocabTXT: directory + "/vocab.txt")
        }
    }

    /// A `vocab.txt` with BERT's uncased defaults.
    public init(vocabTXT path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TextEncoderError.unreadable(path: path, reason: "not a UTF-8 text file")
        }
        var vocabulary: [String: Int] = [:]
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if !token.isEmpty, vocabulary[token] == nil { vocabulary[token] = i }
        }
        try self.init(vocabulary: vocabulary, source: path)
    }

    /// Hugging Face's `tokenizer.json` with a `WordPiece` model and a `BertNormalizer`.
    public init(tokenizerJSON path: String) throws {
        let root = try TokenizerJSON.read(path)
        let model = root["model"] as? [String: Any] ?? [:]
        guard model["type"] as? String == "WordPiece", let vocab = model["vocab"] as? [String: Int] else {
            throw TextEncoderError.unsupportedTokenizer(path: path, component: "model \(model["type"] ?? "none") (want WordPiece)")
        }
        var basic = BertBasicTokenizer()
        if let normalizer = root["normalizer"] as? [String: Any] {
            guard normalizer["type"] as? String == "BertNormalizer" else {
                throw TextEncoderError.unsupportedTokenizer(path: path, component: "normalizer \(normalizer["type"] ?? "?")")
            }
            basic.cleanText = normalizer["clean_text"] as? Bool ?? true
            basic.handleChineseChars = normalizer["handle_chinese_chars"] as? Bool ?? true
            basic.stripAccents = normalizer["strip_accents"] as? Bool
            basic.lowercase = normalizer["lowercase"] as? Bool ?? true
        }
        try self.init(vocabulary: vocab, basic: basic,
                      continuingPrefix: model["continuing_subword_prefix"] as? String ?? "##",
                      maxInputCharsPerWord: model["max_input_chars_per_word"] as? Int ?? 100,
                      unknownToken: model["unk_token"] as? String ?? "[UNK]", source: path)
    }

    /// Ids of `text`: `[CLS]`, the pieces, `[SEP]`; with `maxLength` (which counts both
    /// specials) the pieces are cut to `maxLength − 2`.
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int32] {
        var ids: [Int32] = [clsID]
        let limit = maxLength.map { max($0 - 2, 0) } ?? Int.max
        for word in basic.words(text) {
            for id in pieces(word) {
                if ids.count - 1 >= limit { break }
                ids.append(id)
            }
            if ids.count - 1 >= limit { break }
        }
        ids.append(sepID)
        return ids
    }

    /// Greedy longest-match-first split of one word.
    func pieces(_ word: [Unicode.Scalar]) -> [Int32] {
        if word.count > maxInputCharsPerWord { return [unknownID] }
        let prefix = Array(continuingPrefix.utf8)
        let utf8 = word.map { Array(String($0).utf8) }
        var result: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while end > start {
                var key = start > 0 ? prefix : []
                for i in start..<end { key.append(contentsOf: utf8[i]) }
                if let id = vocabulary[key] { found = id; break }
                end -= 1
            }
            guard let id = found else { return [unknownID] }
            result.append(id)
            start = end
        }
        return result
    }
}
