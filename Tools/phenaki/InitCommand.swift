import ArgumentParser
import Foundation
import Phenaki

/// `phenaki init (--variant NAME | --config FILE) --out DIR [--seed N] [--force]`: a new
/// checkpoint of randomly initialised weights, the starting point of training.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a checkpoint directory of randomly initialised C-ViViT, MaskGit and critic weights.",
        discussion: """
            The directory holds format.json, config.json, state.json (step 0, the seed) and one \
            safetensors file per component with phenaki-pytorch state_dict names: cvivit, maskgit, and \
            critic when the config has a critic section or sets self_token_critic (then only its \
            to_pred head: the transformer is MaskGit's). Values are drawn from the graphs' initialisers; \
            the same config and seed give the same bytes. The directory appears complete or not at all.
            """
    )

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: ArgumentHelp("The checkpoint directory to create (new or empty).", valueName: "dir"))
    var out: String

    @Option(help: "The seed of the initial weights.")
    var seed: UInt64 = 0

    @Flag(help: "Replace --out when it is not empty (the old contents stay until the new checkpoint is complete).")
    var force = false

    func run() throws {
        do {
            let config = try configOptions.load()
            let checkpoint = try Checkpoint.initial(config: config, seed: seed)
            let path = URL(fileURLWithPath: out).standardizedFileURL.path
            try CheckpointWriter().write(checkpoint, to: path, replace: force)
            for component in CheckpointComponent.allCases {
                guard let weights = checkpoint.weights[component] else { continue }
                let count = weights.values.reduce(0) { $0 + $1.count }
                print("\(component.fileName.padding(toLength: 20, withPad: " ", startingAt: 0)) \(weights.count) tensors, \(count) parameters")
            }
            print(path)
        } catch {
            throw fail(error)
        }
    }
}
