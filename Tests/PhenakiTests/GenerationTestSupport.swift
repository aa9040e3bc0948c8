import Foundation
import GraphRuntime
import Phenaki

/// Checkpoints and embedding files for the generation tests, in a temporary directory removed
/// with the value.
final class GenerationScratch {
    let scratch: CheckpointScratch
    var path: String { scratch.path }

    init() throws {
        scratch = try CheckpointScratch()
    }

    /// The initial checkpoint of `config` with `seed`, written at `name`; returns its path.
    func checkpoint(_ config: PhenakiConfig = .tiny, seed: UInt64 = 1, name: String = "ckpt") throws -> String {
        let directory = path + "/" + name
        try CheckpointWriter().write(try Checkpoint.initial(config: config, seed: seed), to: directory)
        return directory
    }

    /// Deterministic embeddings f32 [rows, tokens, dim] (a fixed sine pattern) written as .npy.
    func embeddings(rows: Int, tokens: Int = 3, dim: Int = 32, name: String = "text.npy") throws -> (path: String, tensor: HostTensor) {
        let count = rows * tokens * dim
        let values = (0..<count).map { Double(Float(sin(Double($0) * 0.37 + 0.5))) }
        let tensor = HostTensor(shape: [rows, tokens, dim], dtype: .float32, scalars: values)
        let file = path + "/" + name
        try NumPyArray.write(tensor, path: file)
        return (file, tensor)
    }

    /// Whether `relative` exists in the scratch directory.
    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + relative) }
}

/// The tiny config with a TokenCritic section.
var tinyWithTokenCritic: PhenakiConfig {
    var config = PhenakiConfig.tiny
    config.critic = CriticConfig(dim: 32, numTokens: 256, maxSeqLen: 16, depth: 1, hasCrossAttn: true,
                                 dimContext: 32, dimHead: 8, heads: 2)
    return config
}

/// The tiny config with phenaki.self_token_critic.
var tinyWithSelfCritic: PhenakiConfig {
    var config = PhenakiConfig.tiny
    config.phenaki.selfTokenCritic = true
    return config
}

/// Row `row` of [rows, tokens, dim] as [1, tokens, dim].
func embeddingRow(_ tensor: HostTensor, _ row: Int) -> HostTensor {
    let size = tensor.shape[1] * tensor.shape[2]
    return HostTensor(shape: [1, tensor.shape[1], tensor.shape[2]], dtype: .float32,
                      scalars: Array(tensor.scalars[(row * size)..<((row + 1) * size)]))
}
