import Foundation
import GraphRuntime
import Phenaki
import Testing

/// A folder of Tests/Fixtures/text written by Tools/reference/make_text_fixtures.py from
/// Hugging Face transformers 4.46.3 / tokenizers 0.20.3: `cases.json` (texts and their ids)
/// and `outputs.safetensors` (`embeddings:<case>`, float32 [b, tokens, dim]).
struct TextFixture {
    let directory: String
    let cases: [String: Any]
    let outputs: [String: HostTensor]

    init(_ name: String, outputs readOutputs: Bool = true) throws {
        directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/text/\(name)").standardizedFileURL.path
        let json = try Data(contentsOf: URL(fileURLWithPath: directory + "/cases.json"))
        cases = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
        outputs = readOutputs ? try SafeTensorsFile.read(path: directory + "/outputs.safetensors").tensors : [:]
    }

    var maxTextLen: Int { cases["max_text_len"] as? Int ?? 0 }
    /// name → (text, ids, ids after truncation at `maxTextLen` when recorded).
    var tokenizerCases: [(name: String, text: String, ids: [Int32], truncated: [Int32]?)] {
        let all = cases["tokenizer_cases"] as? [String: [String: Any]] ?? [:]
        return all.keys.sorted().map { name in
            let c = all[name]!
            return (name, c["text"] as? String ?? "", Self.ids(c["ids"]), c["ids_truncated"].map(Self.ids))
        }
    }
    var embeddingCases: [String: [String: Any]] { cases["embedding_cases"] as? [String: [String: Any]] ?? [:] }

    static func ids(_ value: Any?) -> [Int32] { (value as? [Int] ?? []).map(Int32.init) }
}

/// Whether the MiniLM model is in its folder; with PHENAKI_REQUIRE_TEXT_MODEL=1 the tests that
/// need it run (and fail on a missing model) instead of being skipped.
enum MiniLMAvailability {
    static let required = ProcessInfo.processInfo.environment["PHENAKI_REQUIRE_TEXT_MODEL"] == "1"
    static let directory = TextModelDirectory.miniLM()
    static let present = FileManager.default.fileExists(atPath: directory + "/model.safetensors")
    static let shouldRun = present || required
    static let skipReason = Comment(rawValue: "all-MiniLM-L6-v2 is not in \(directory): run Tools/setup-text-encoder.sh "
        + "(PHENAKI_REQUIRE_TEXT_MODEL=1 turns this skip into a failure)")
}
