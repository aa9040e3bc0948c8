import Foundation
import Phenaki
import Testing

/// Token ids against Hugging Face `tokenizers` (the fixtures' ids), exactly.
@Suite struct TextTokenizerTests {
    /// The real all-MiniLM-L6-v2 tokenizer.json (vocabulary cut to what the cases reach, ids
    /// unchanged): accents, CJK, Hangul, control and zero-width characters, Unicode punctuation,
    /// a 101-character word, empty input, and truncation that keeps [CLS] … [SEP].
    @Test func wordPieceMatchesHuggingFace() throws {
        let fixture = try TextFixture("minilm")
        let tokenizer = try WordPieceTokenizer(tokenizerJSON: fixture.directory + "/tokenizer.json")
        let cases = fixture.tokenizerCases
        #expect(cases.count >= 15)
        for c in cases {
            #expect(tokenizer.encode(c.text) == c.ids, "\(c.name): \(c.text.debugDescription)")
            if let truncated = c.truncated {
                #expect(tokenizer.encode(c.text, maxLength: fixture.maxTextLen) == truncated, "\(c.name) truncated")
            }
        }
        for (name, c) in fixture.embeddingCases where name != "batch" {
            let text = try #require(c["text"] as? String)
            #expect(tokenizer.encode(text, maxLength: fixture.maxTextLen) == TextFixture.ids(c["ids"]), "\(name)")
        }
    }

    /// The full tokenizer.json and vocab.txt of the installed model agree with the fixture's ids.
    @Test(.enabled(if: MiniLMAvailability.shouldRun, MiniLMAvailability.skipReason))
    func fullVocabularyFilesAgree() throws {
        let fixture = try TextFixture("minilm")
        let dir = MiniLMAvailability.directory
        let fromJSON = try WordPieceTokenizer(tokenizerJSON: dir + "/tokenizer.json")
        let fromTXT = try WordPieceTokenizer(vocabTXT: dir + "/vocab.txt")
        for c in fixture.tokenizerCases {
            #expect(fromJSON.encode(c.text) == c.ids, "\(c.name) (tokenizer.json)")
            #expect(fromTXT.encode(c.text) == c.ids, "\(c.name) (vocab.txt)")
        }
    }

    /// A Unigram tokenizer.json (NFKC + Replace, WhitespaceSplit + Metaspace): Viterbi splits,
    /// unknown characters fused into <unk>, </s> appended, truncation keeping </s>.
    @Test func unigramMatchesHuggingFace() throws {
        let fixture = try TextFixture("t5")
        let tokenizer = try UnigramTokenizer(tokenizerJSON: fixture.directory + "/tokenizer.json")
        let cases = fixture.tokenizerCases
        #expect(cases.count >= 7)
        for c in cases {
            #expect(tokenizer.encode(c.text) == c.ids, "\(c.name): \(c.text.debugDescription)")
            if let truncated = c.truncated {
                #expect(tokenizer.encode(c.text, maxLength: fixture.maxTextLen) == truncated, "\(c.name) truncated")
            }
        }
    }

    /// A tokenizer.json as published T5 tokenizers are made (transformers' converter from a
    /// SentencePiece model): a darts-clone `Precompiled` charsmap (fullwidth letters, a
    /// ligature, a combining accent, an ideographic space, ①, ™ rewritten), right `Strip`,
    /// `Replace(" {2,}", "▁")` and `Metaspace` without WhitespaceSplit; ids equal both the fast
    /// and the slow (sentencepiece) T5 tokenizer's.
    @Test func sentencePieceT5TokenizerMatches() throws {
        let fixture = try TextFixture("t5_spm", outputs: false)
        let tokenizer = try UnigramTokenizer(tokenizerJSON: fixture.directory + "/tokenizer.json")
        let cases = fixture.tokenizerCases
        #expect(cases.count >= 6)
        for c in cases {
            #expect(tokenizer.encode(c.text) == c.ids, "\(c.name): \(c.text.debugDescription)")
        }
    }

    /// A tokenizer.json whose pieces the package cannot reproduce is refused by name.
    @Test func unsupportedNormalizerIsATypedError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("text-tok-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let json = #"{"normalizer": {"type": "Prepend", "prepend": "x"}, "model": {"type": "Unigram", "unk_id": 2, "vocab": [["<pad>", 0], ["</s>", 0], ["<unk>", 0]]}}"#
        try json.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
        #expect(throws: TextEncoderError.unsupportedTokenizer(path: dir + "/tokenizer.json", component: "normalizer Prepend")) {
            try UnigramTokenizer(tokenizerJSON: dir + "/tokenizer.json")
        }
    }
}
