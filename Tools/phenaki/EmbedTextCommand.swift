import ArgumentParser
import Foundation
import GraphRuntime
import Phenaki

/// `phenaki embed-text`: prompts → per-token text embeddings in a `.npy` file, for the
/// `precomputed` text encoder or for inspection. Runs offline on a local model folder.
struct EmbedTextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-text",
        abstract: "Embed prompts with the MiniLM or T5 text encoder and write [b, tokens, dim] float32 .npy.",
        discussion: """
        minilm reads all-MiniLM-L6-v2 from --text-model-dir, else $\(TextModelDirectory.environmentVariable), else \
        ${XDG_CACHE_HOME:-~/.cache}/phenaki/all-MiniLM-L6-v2 (fill it once with \(TextModelDirectory.setupCommand)). \
        t5 needs --text-model-dir: a folder with model.safetensors, config.json and a Unigram tokenizer.json. \
        Several texts are padded to the longest; padding rows are zero (and so masked when read back).
        """
    )

    @Option(help: "Text encoder: minilm or t5.")
    var encoder: String = TextEncoderKind.minilm.rawValue

    @Option(name: .customLong("text"), help: "A prompt (repeat for a batch).")
    var texts: [String] = []

    @Option(help: ArgumentHelp("Where to write the embeddings.", valueName: "file.npy"))
    var output: String

    @Option(help: ArgumentHelp("The model folder.", valueName: "dir"))
    var textModelDir: String?

    @Option(help: "Longest tokenisation, special tokens included (phenaki's max_text_len).")
    var maxTextLen = 128

    @Option(help: "Threads (default: one per core).")
    var threads: Int?

    func validate() throws {
        guard let kind = TextEncoderKind(rawValue: encoder), kind != .precomputed else {
            throw ValidationError("--encoder must be minilm or t5, got '\(encoder)'")
        }
        if kind == .t5, textModelDir == nil {
            throw ValidationError("--encoder t5 needs --text-model-dir: a folder with model.safetensors, config.json and tokenizer.json")
        }
        guard !texts.isEmpty else { throw ValidationError("give at least one --text") }
        guard maxTextLen >= 2 else { throw ValidationError("--max-text-len must be at least 2, got \(maxTextLen)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        do {
            let model: any TextEncoder = encoder == TextEncoderKind.t5.rawValue
                ? try T5TextEncoder(directory: textModelDir!, maxTextLen: maxTextLen, threads: threads)
                : try MiniLMTextEncoder(directory: textModelDir, maxTextLen: maxTextLen, threads: threads)
            let start = Date()
            let result = try model.encode(texts)
            try NumPyArray.write(result.embeddings, path: output)
            print("wrote \(output): \(result.embeddings.shape) (\(encoder), "
                + String(format: "%.3f s", Date().timeIntervalSince(start)) + ")")
        } catch {
            throw fail(error)
        }
    }
}
