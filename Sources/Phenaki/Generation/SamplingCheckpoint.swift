import GraphRuntime

/// A checkpoint loaded for sampling: its config and the Phenaki `state_dict` the sampler reads
/// (`cvivit.*`, `maskgit.*` and, with a critic, `critic.*`).
public struct SamplingCheckpoint {
    /// The checkpoint directory.
    public let directory: String
    /// The config the checkpoint was saved with (its config.json).
    public let config: PhenakiConfig
    /// The critic sampling uses (nil: confidence from MaskGit's probabilities).
    public let critic: SamplerCritic?
    /// Weights by phenaki-pytorch `Phenaki` state_dict name.
    public let parameters: [String: HostTensor]

    /// Reads `directory`: its config.json first (it says which components to expect), then the
    /// weights of C-ViViT, MaskGit and, when `critic` selects one, the critic, checked against
    /// the graphs of that config.
    ///
    /// - Throws: `CheckpointError` (not a checkpoint, a component missing, damaged files),
    ///   `ConfigError`, `WeightError`, `GenerationError.criticUnavailable`.
    public static func load(directory: String, critic selection: CriticSelection = .implied) throws -> SamplingCheckpoint {
        // format.json first, so a wrong path says "not a checkpoint" rather than "no config.json".
        _ = try Checkpoint.formatVersion(of: directory)
        let config = try PhenakiConfig.load(path: directory + "/" + Checkpoint.configFile)
        let critic = try selection.resolve(for: config, checkpoint: directory)
        let components: [CheckpointComponent] = critic == nil ? [.cvivit, .maskgit] : [.cvivit, .maskgit, .critic]
        let checkpoint = try Checkpoint.load(directory: directory, config: config, components: components)
        var parameters: [String: HostTensor] = [:]
        for component in components {
            // Checkpoint files drop the module prefix that Phenaki's state_dict (and the sampler) uses.
            for (name, tensor) in checkpoint.weights[component] ?? [:] {
                parameters[component.rawValue + "." + name] = tensor
            }
        }
        return SamplingCheckpoint(directory: directory, config: config, critic: critic, parameters: parameters)
    }

    /// A sampler of these weights; `steps` (when given) replaces the config's `phenaki.steps`.
    /// - Throws: `GenerationError.invalidSteps`, `ConfigError`.
    public func sampler(steps: Int? = nil, threads: Int? = nil) throws -> PhenakiSampler {
        var config = config
        if let steps {
            guard steps >= 1 else { throw GenerationError.invalidSteps(steps) }
            config.phenaki.steps = steps
        }
        return try PhenakiSampler(config: config, parameters: parameters, critic: critic, threads: threads)
    }
}
