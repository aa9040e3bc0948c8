import Foundation
import GraphRuntime

/// Where a pretrained text encoder lives on disk. Nothing is downloaded at run time:
/// `Tools/setup-text-encoder.sh` fills the default folder once.
public enum TextModelDirectory {
    /// Overrides the default MiniLM folder (the setup script honours it too).
    public static let environmentVariable = "PHENAKI_TEXT_MODEL_DIR"
    /// The command that puts all-MiniLM-L6-v2 in place.
    public static let setupCommand = "Tools/setup-text-encoder.sh"

    /// `explicit` (a `--text-model-dir` argument), else `$PHENAKI_TEXT_MODEL_DIR`, else
    /// `${XDG_CACHE_HOME:-~/.cache}/phenaki/all-MiniLM-L6-v2`.
    public static func miniLM(explicit: String? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let dir = environment[environmentVariable], !dir.isEmpty { return dir }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
        return cache + "/phenaki/all-MiniLM-L6-v2"
    }

    /// Throws `modelMissing` naming the first of `files` that `directory` lacks.
    static func require(_ files: [String], in directory: String, setup: String) throws {
        for file in files where !FileManager.default.fileExists(atPath: directory + "/" + file) {
            throw TextEncoderError.modelMissing(directory: directory, file: file, setup: setup)
        }
    }

    /// The `config.json` of a Hugging Face model folder.
    static func config(_ directory: String) throws -> [String: Any] {
        let path = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: path),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TextEncoderError.unreadable(path: path, reason: "not a JSON object")
        }
        return object
    }

    /// Every tensor of `directory/model.safetensors`.
    static func weights(_ directory: String) throws -> [String: HostTensor] {
        let path = directory + "/model.safetensors"
        do { return try SafeTensorsFile.read(path: path).tensors } catch {
            throw TextEncoderError.unreadable(path: path, reason: "\(error)")
        }
    }
}
