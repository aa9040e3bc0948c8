import Foundation

/// Reads a Hugging Face `tokenizer.json` as a JSON object.
enum TokenizerJSON {
    static func read(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextEncoderError.unreadable(path: path, reason: "no such file")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TextEncoderError.unreadable(path: path, reason: "not a JSON object")
        }
        return root
    }
}
