import Foundation
import FuzzSupport
import Phenaki
import Testing

/// Seeded fuzzing of the WordPiece and Unigram tokenizers (see `Fuzzer`): random Unicode
/// text always encodes to ids of the vocabulary framed by the special tokens and within
/// `maxLength`; a damaged tokenizer.json loads or throws, never crashes.
@Suite("Text: fuzzing the tokenizers")
struct FuzzTokenizerTests {
    /// Scalars from every class the normalisers and splitters treat specially.
    static let pools: [ClosedRange<UInt32>] = [
        0x20...0x7e,        // ASCII
        0x00...0x1f,        // control characters
        0x300...0x36f,      // combining marks
        0xc0...0x17f,       // accented Latin
        0x3000...0x303f,    // CJK punctuation, the ideographic space
        0x4e00...0x4fff,    // CJK ideographs (split one per word by BERT)
        0xff01...0xff5e,    // fullwidth forms (NFKC rewrites them)
        0x1f300...0x1f64f,  // emoji
        0x200b...0x200f,    // zero-width and direction marks
        0x2160...0x2188,    // Roman numerals (NFKC expands one scalar to several)
        0xfdd0...0xfdef,    // noncharacters
        0xfffd...0xfffd,    // the replacement character
        0x2581...0x2581,    // the Metaspace marker itself
    ]

    /// Text of up to `maxScalars` scalars; sometimes one long run of a single letter, the worst
    /// case of greedy longest-match and Viterbi.
    static func randomText(_ fuzzer: inout Fuzzer, maxScalars: Int = 300) -> String {
        if fuzzer.below(10) == 0 {
            return String(repeating: "ab", count: 1 + fuzzer.below(2000))
        }
        var scalars = String.UnicodeScalarView()
        for _ in 0..<fuzzer.below(maxScalars + 1) {
            let pool = pools[fuzzer.below(pools.count)]
            let value = pool.lowerBound + UInt32(fuzzer.below(Int(pool.upperBound - pool.lowerBound) + 1))
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    /// The largest id of a tokenizer.json's vocabulary (a WordPiece map or a Unigram list).
    static func maxID(_ path: String) throws -> Int32 {
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let vocab = (root?["model"] as? [String: Any])?["vocab"]
        if let map = vocab as? [String: Int] { return Int32(map.values.max() ?? 0) }
        return Int32(((vocab as? [Any])?.count ?? 1) - 1)
    }

    @Test func wordPieceEncodesAnyText() throws {
        let path = try TextFixture("minilm", outputs: false).directory + "/tokenizer.json"
        let tokenizer = try WordPieceTokenizer(tokenizerJSON: path)
        let top = try Self.maxID(path)
        var fuzzer = Fuzzer()
        let deadline = Date().addingTimeInterval(Fuzzer.seconds)
        var tried = 0
        while Date() < deadline || tried < 10 {
            let text = Self.randomText(&fuzzer)
            let maxLength = fuzzer.below(3) == 0 ? nil : fuzzer.below(40)
            let ids = tokenizer.encode(text, maxLength: maxLength)
            #expect(ids.first == tokenizer.clsID && ids.last == tokenizer.sepID, "\(text.debugDescription)")
            #expect(ids.allSatisfy { (0...top).contains($0) }, "\(text.debugDescription)")
            if let maxLength { #expect(ids.count <= max(maxLength, 2), "\(text.debugDescription) at \(maxLength)") }
            tried += 1
        }
        print("WordPiece fuzz: \(tried) texts")
    }

    @Test(arguments: ["t5", "t5_spm"])
    func unigramEncodesAnyText(_ name: String) throws {
        let path = try TextFixture(name, outputs: false).directory + "/tokenizer.json"
        let tokenizer = try UnigramTokenizer(tokenizerJSON: path)
        let top = try Self.maxID(path)
        var fuzzer = Fuzzer()
        let deadline = Date().addingTimeInterval(Fuzzer.seconds)
        var tried = 0
        while Date() < deadline || tried < 10 {
            let text = Self.randomText(&fuzzer)
            let maxLength = fuzzer.below(3) == 0 ? nil : fuzzer.below(40)
            let ids = tokenizer.encode(text, maxLength: maxLength)
            #expect(ids.last == tokenizer.eosID, "\(text.debugDescription)")
            #expect(ids.allSatisfy { (0...top).contains($0) }, "\(text.debugDescription)")
            if let maxLength { #expect(ids.count <= max(maxLength, 1), "\(text.debugDescription) at \(maxLength)") }
            tried += 1
        }
        print("Unigram (\(name)) fuzz: \(tried) texts")
    }

    /// Damaged tokenizer.json files: each loads (and then encodes) or throws.
    @Test func damagedTokenizerFilesLoadOrThrow() throws {
        let directory = NSTemporaryDirectory() + "phenaki-fuzz-tok-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sources = try ["minilm", "t5", "t5_spm"].map { try TextFixture($0, outputs: false).directory + "/tokenizer.json" }
        let seeds = try sources.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
        let path = directory + "/tokenizer.json"
        var loaded = 0
        var texts = Fuzzer(seed: Fuzzer.seed ^ 0x5eed)
        let tried = Fuzzer.run("tokenizer-json", seeds: seeds) { bytes in
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let text = Self.randomText(&texts, maxScalars: 40)
            // Which model the file names decides the loader; try both, as the CLI does.
            if let wordPiece = try? WordPieceTokenizer(tokenizerJSON: path) {
                #expect(wordPiece.encode(text, maxLength: 16).count <= 16)
                loaded += 1
            }
            if let unigram = try? UnigramTokenizer(tokenizerJSON: path) {
                #expect(unigram.encode(text, maxLength: 16).count <= 16)
                loaded += 1
            }
        }
        print("tokenizer.json fuzz: \(tried) files, \(loaded) loaded")
        #expect(loaded >= seeds.count)
    }
}
