import ArgumentParser
import Foundation
import Phenaki

/// `phenaki config ...`: print and check model configs.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print and validate model configs (JSON with sections cvivit, maskgit, critic, phenaki).",
        subcommands: [ConfigShowCommand.self, ConfigValidateCommand.self]
    )
}

/// `--variant NAME | --config FILE`: which model config a command uses. Every command that
/// takes `--variant` takes `--config` too, through this group.
struct ConfigOptions: ParsableArguments {
    @Option(help: "A named config (\(PhenakiConfig.variantNames.joined(separator: ", "))).")
    var variant: String?

    @Option(help: ArgumentHelp("A JSON config file (see `phenaki config show --variant tiny`).", valueName: "file"))
    var config: String?

    func validate() throws {
        switch (variant, config) {
        case (nil, nil): throw ValidationError("give --variant NAME or --config FILE")
        case (.some, .some): throw ValidationError("give either --variant or --config, not both")
        case (let name?, nil):
            if !PhenakiConfig.variantNames.contains(name) {
                throw ValidationError("\(ConfigError.unknownVariant(name: name, valid: PhenakiConfig.variantNames))")
            }
        default: break
        }
    }

    /// What names the config in output: the variant name or the file path.
    var source: String { variant ?? config ?? "" }

    /// The config, validated (with `frames`, when given).
    func load(frames: Int? = nil) throws -> PhenakiConfig {
        let loaded = try variant.map { try PhenakiConfig.variant(named: $0) } ?? PhenakiConfig.load(path: config ?? "")
        try loaded.validate(frames: frames)
        return loaded
    }
}

/// `phenaki config show (--variant NAME | --config FILE)`: the config as normalised JSON.
struct ConfigShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Validate a config and print it as JSON, every default written out, keys sorted."
    )

    @OptionGroup var configOptions: ConfigOptions

    func run() throws {
        do {
            print(try configOptions.load().jsonString(), terminator: "")
        } catch {
            throw fail(error)
        }
    }
}

/// `phenaki config validate (--variant NAME | --config FILE) [--frames N]`: the derived sizes.
struct ConfigValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check that a config's sections agree and print its token counts."
    )

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Also check a video of this many frames: frames - 1 a multiple of the temporal patch size, tokens within max_seq_len.")
    var frames: Int?

    func run() throws {
        do {
            let config = try configOptions.load(frames: frames)
            print(Self.summary(config, source: configOptions.source, frames: frames), terminator: "")
        } catch {
            throw fail(error)
        }
    }

    /// One `name  value` line per derived number.
    static func summary(_ config: PhenakiConfig, source: String, frames: Int?) -> String {
        let cvivit = config.cvivit
        let grid = cvivit.patchGrid
        var maxSeqLens = "maskgit.max_seq_len \(config.maskgit.maxSeqLen)"
        if let critic = config.critic { maxSeqLens += ", critic.max_seq_len \(critic.maxSeqLen)" }
        var lines = [
            ("config", source),
            ("image", "\(cvivit.imageSize), patch \(cvivit.patchSize), temporal patch \(cvivit.temporalPatchSize)"),
            ("tokens per frame", "\(config.tokensPerFrame) (\(grid.height) × \(grid.width) patches)"),
            ("codebook", "\(cvivit.codebookSize) (\(quantizerName(cvivit)))"),
            ("text", "\(config.phenaki.textEncoder.rawValue), \(config.phenaki.textEmbedDim) wide"),
            ("max frames", "\(config.maxFrames) (\(maxSeqLens))"),
        ]
        if let frames {
            lines.append(("frames", "\(frames)"))
            lines.append(("token frames", "\(cvivit.tokenFrames(frames: frames))"))
            lines.append(("sequence length", "\(config.sequenceLength(frames: frames))"))
        }
        return lines.map { $0.0.padding(toLength: 18, withPad: " ", startingAt: 0) + " " + $0.1 + "\n" }.joined() + "ok\n"
    }
}

/// The quantizer a C-ViViT config selects, as `config validate` names it.
func quantizerName(_ cvivit: CViViTConfig) -> String {
    if let levels = cvivit.fsqLevels {
        return "finite scalar quantization, levels \(levels.map(String.init).joined(separator: "·"))"
    }
    return cvivit.lookupFreeQuantization ? "lookup-free quantization" : "vector quantization"
}
