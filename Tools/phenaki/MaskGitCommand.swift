import ArgumentParser
import Phenaki

/// `phenaki maskgit logits`: MaskGit on weights exported from phenaki-pytorch.
struct MaskGitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maskgit",
        abstract: "Run a MaskGit exported from phenaki-pytorch on .npy codebook ids.",
        subcommands: [MaskGitLogitsCommand.self]
    )
}

/// `phenaki maskgit logits`: ids (+ text) → logits.
struct MaskGitLogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Codebook ids .npy → MaskGit logits .npy, float32 [batch, tokens, num_tokens].",
        discussion: """
            --weights is MaskGit(...).state_dict() in safetensors (the config's maskgit section). \
            \(InteropHelp.idsIn) Each id in 0 ... num_tokens (num_tokens is the mask id); at most max_seq_len \
            tokens. Computes maskgit(ids, context=text_embeds, text_mask=any(text_embeds != 0, dim=-1)). \
            \(InteropHelp.evalMode)
            """
    )

    @OptionGroup var options: InteropOptions
    @OptionGroup var text: TextEmbedOptions

    func run() throws {
        do {
            let model = try MaskGitInterop(config: try options.config(), weightsPath: options.weights,
                                           threads: options.threads)
            let logits = try model.logits(ids: try options.readInput(), text: try text.read(), idsName: options.input,
                                          textName: text.textEmbeds ?? "")
            try options.write(logits)
        } catch {
            throw fail(error)
        }
    }
}
