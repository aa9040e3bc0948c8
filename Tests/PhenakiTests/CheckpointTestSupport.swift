import Foundation
import GraphRuntime
import Phenaki
import TensorGraph

/// A fresh temporary directory for one checkpoint test, removed with the value.
final class CheckpointScratch {
    let path = NSTemporaryDirectory() + "phenaki-checkpoint-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The names in `relative` (the scratch directory itself when empty), sorted.
    func list(_ relative: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: relative.isEmpty ? path : path + "/" + relative)) ?? []).sorted()
    }
}

/// The tiny config's initial checkpoint with every part filled: EMA weights, Adam moments for
/// each C-ViViT and MaskGit weight, and state with full-width 64-bit seeds and trainer fields
/// of every JSON kind. Values are float32-exact, as a file holds them.
func filledCheckpoint(step: Int = 123, config: PhenakiConfig = .tiny) throws -> Checkpoint {
    var checkpoint = try Checkpoint.initial(config: config, seed: 7)
    for component in [CheckpointComponent.cvivit, .maskgit] {
        let weights = checkpoint.weights[component]!
        checkpoint.ema[component] = weights.mapValues { t in
            HostTensor(shape: t.shape, scalars: t.scalars.map { Double(Float($0 * 0.5 + 0.25)) })
        }
        var moments: [String: HostTensor] = [:]
        for (name, t) in weights {
            moments["adam.m:" + name] = HostTensor(shape: t.shape, scalars: t.scalars.map { Double(Float($0 * 1e-3)) })
            moments["adam.v:" + name] = HostTensor(shape: t.shape, scalars: t.scalars.map { Double(Float($0 * $0)) })
        }
        checkpoint.optimizer[component] = moments
    }
    checkpoint.state = CheckpointState(
        step: step, seed: 0xFEDC_BA98_7654_3210, rngCounters: ["sampler": 17, "dropout": UInt64.max - 1],
        data: DataOrderState(epoch: 2, cursor: 41, permutationSeed: 0x8000_0000_0000_0001),
        trainer: ["lr": .number(1.25e-4), "phase": .string("warmup"), "ema_on": .bool(true), "note": .null,
                  "losses": .array([.number(0.5), .number(0.25)]), "schedule": .object(["warmup_steps": .number(100)])])
    return checkpoint
}
