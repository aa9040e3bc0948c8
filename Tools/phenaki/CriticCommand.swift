import ArgumentParser
import Phenaki

/// `phenaki critic logits`: the token critic on weights exported from phenaki-pytorch.
struct CriticCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "critic",
        abstract: "Run a TokenCritic exported from phenaki-pytorch on .npy codebook ids.",
        subcommands: [CriticLogitsCommand.self]
    )
}

/// `phenaki critic logits`: ids (+ text) → one score a token.
struct CriticLogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Codebook ids .npy → TokenCritic logits .npy, float32 [batch, tokens].",
        discussion: """
            --weights is TokenCritic(...).state_dict() in safetensors, sized by the config's critic section \
            (without one: a critic shaped like MaskGit). \(InteropHelp.idsIn) Each id in 0 ... num_tokens; at \
            most max_seq_len tokens. Computes critic(ids, context=text_embeds, text_mask=any(text_embeds != 0, \
            dim=-1), cond_drop_prob=0). \(InteropHelp.evalMode)
            """
    )

    @OptionGroup var options: InteropOptions
    @OptionGroup var text: TextEmbedOptions

    func run() throws {
        do {
            let model = try CriticInterop(config: try options.config(), weightsPath: options.weights,
                                          threads: options.threads)
            let logits = try model.logits(ids: try options.readInput(), text: try text.read(), idsName: options.input,
                                          textName: text.textEmbeds ?? "")
            try options.write(logits)
        } catch {
            throw fail(error)
        }
    }
}
