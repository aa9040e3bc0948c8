import GraphRuntime
import PhenakiGraphs
import TensorGraph

/// The graphs that declare every parameter of each checkpoint component: they fix the names
/// and shapes a checkpoint must hold and the initialisers `phenaki init` draws from.
public enum CheckpointGraphs {
    /// The scope of the shared MaskGit inside the self critic's graph.
    static let selfCriticMaskGitScope = "maskgit"

    /// The graph whose parameters are `component`'s weights under `config`:
    ///
    /// - `cvivit`: the training-mode `cvivit` graph (it holds the quantizer's buffers, e.g. the
    ///   EMA codebook state of `VectorQuantize`, which eval-mode graphs do not declare).
    /// - `maskgit`: the `maskgit` graph.
    /// - `critic`: the `critic` graph for a `critic` section; with `self_token_critic` the
    ///   `SelfCritic` at the top scope, whose parameters are `maskgit.*` (MaskGit's) and the head
    ///   `to_pred.0.*` (the checkpoint's critic file holds the head only).
    /// - `discriminator`: the GAN discriminator's loss graph (`CViViTGAN.discriminatorGraph`);
    ///   the config must set `use_vgg_and_gan`.
    ///
    /// - Throws: `ConfigError` (the config is validated), graph errors.
    public static func graph(of component: CheckpointComponent, config: PhenakiConfig) throws -> Graph {
        switch component {
        case .cvivit: return try PhenakiModels.graph(named: "cvivit", config: config)
        case .maskgit: return try PhenakiModels.graph(named: "maskgit", config: config)
        case .critic:
            if config.critic != nil || !config.phenaki.selfTokenCritic {
                return try PhenakiModels.graph(named: "critic", config: config)
            }
            return try selfCritic(config)
        case .discriminator: return try CViViTGAN.discriminatorGraph(config, batch: 1)
        }
    }

    /// Whether `component`'s file holds only part of its graph's parameters: the self critic's
    /// head, whose transformer comes from `maskgit.safetensors`.
    static func sharesMaskGit(_ component: CheckpointComponent, config: PhenakiConfig) -> Bool {
        component == .critic && config.critic == nil && config.phenaki.selfTokenCritic
    }

    /// The self critic on one video of the most frames the config allows.
    static func selfCritic(_ config: PhenakiConfig) throws -> Graph {
        try config.validate()
        let model = SelfCritic(maskgit: PhenakiLossModel.maskgit(config))
        let shape = config.cvivit.videoPatchShape(frames: config.maxFrames)
        let n = shape.reduce(1, *)
        let (unconditional, textLen, dimContext) = (config.maskgit.unconditional, config.phenaki.maxTextLen,
                                                    config.maskgit.dimContext)
        return try Tracer.trace { t in
            let ids = t.input("ids", [1, n], .int32)
            let text = unconditional ? nil : t.input("text", [1, textLen, dimContext])
            let textMask = unconditional ? nil : t.input("text_mask", [1, textLen], .bool)
            return ["logits": model(ids, videoPatchShape: shape, text: text, textMask: textMask,
                                    maskgitScope: [selfCriticMaskGitScope])]
        }
    }

    /// The tensors of `component`'s file as `graph` sees them: for the self critic, the head
    /// plus those of MaskGit's weights (under `maskgit.`) that the critic uses; MaskGit's own
    /// file is checked in full against MaskGit's graph.
    static func graphView(of component: CheckpointComponent, config: PhenakiConfig, graph: Graph,
                          tensors: [String: HostTensor], maskgit: [String: HostTensor]) -> [String: HostTensor] {
        guard sharesMaskGit(component, config: config) else { return tensors }
        var merged = tensors
        for p in graph.parameters where p.name.hasPrefix(selfCriticMaskGitScope + ".") {
            let name = String(p.name.dropFirst(selfCriticMaskGitScope.count + 1))
            if let tensor = maskgit[name] { merged[p.name] = tensor }
        }
        return merged
    }

    /// Randomly initialised weights of `component`, drawn from its graph's initialisers with
    /// `seed` (`initialParameters`), keyed by the names its file holds.
    public static func initialWeights(of component: CheckpointComponent, config: PhenakiConfig,
                                      seed: UInt64) throws -> [String: HostTensor] {
        let values = initialParameters(of: try graph(of: component, config: config), seed: seed)
        guard sharesMaskGit(component, config: config) else { return values }
        return values.filter { !$0.key.hasPrefix(selfCriticMaskGitScope + ".") }
    }
}
