import ArgumentParser
import GraphRuntime
import Phenaki

/// `(--variant NAME | --config FILE) --weights FILE --input FILE --output FILE [--threads N]`:
/// what every interop command (`cvivit encode|decode|reconstruct`, `maskgit logits`,
/// `critic logits`) reads and writes.
struct InteropOptions: ParsableArguments {
    @OptionGroup var configOptions: ConfigOptions

    @Option(help: ArgumentHelp("A safetensors file holding the phenaki-pytorch module's state_dict "
                               + "(F32, F16 or BF16), saved with the config given.", valueName: "file"))
    var weights: String

    @Option(help: ArgumentHelp("The input .npy file (little-endian, C order).", valueName: "file"))
    var input: String

    @Option(help: ArgumentHelp("Where to write the result .npy; written atomically (a temporary file renamed "
                               + "over it), so a failure leaves no partial file.", valueName: "file"))
    var output: String

    @Option(help: "Threads (default: one per core).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// The validated config.
    func config() throws -> PhenakiConfig { try configOptions.load() }

    /// The input tensor.
    func readInput() throws -> HostTensor { try InteropFiles.read(input, option: "--input") }

    /// Writes `tensor` to `--output`.
    func write(_ tensor: HostTensor) throws { try InteropFiles.write(tensor, to: output) }
}

/// `--text-embeds FILE` of `maskgit logits` and `critic logits`.
struct TextEmbedOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Text embeddings .npy, float32 [batch, tokens, dim_context] (e.g. T5's); a token "
                               + "whose embedding row is all zero is masked, as in phenaki-pytorch. Without it "
                               + "the cross attention is skipped.", valueName: "file"))
    var textEmbeds: String?

    /// The embeddings, if given.
    func read() throws -> HostTensor? { try textEmbeds.map { try InteropFiles.read($0, option: "--text-embeds") } }
}

/// Help text shared by the interop commands.
enum InteropHelp {
    static let evalMode = "The model runs as phenaki-pytorch's after .eval(): no dropout, and the lookup-free "
        + "quantizer without straight-through estimator or auxiliary losses."
    static let idsIn = "Ids: int32 or int64 .npy [batch, frames', height', width'] (height' × width' the patch grid) "
        + "or [batch, frames' · height' · width']."
}
