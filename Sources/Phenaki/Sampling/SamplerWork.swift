import GraphCompiler
import GraphRuntime
import TensorGraph

/// What a sampler's compiled plans cost, and random weights for benchmarks.
extension PhenakiSampler {
    /// Bytes of loop-invariant values (text keys/values, masks, position biases) that the
    /// compiled plans compute once per sample instead of once per step.
    public var hoistedBytes: Int { plans.values.reduce(0) { $0 + $1.split.hoistedBytes } }

    /// Floating-point operations of one `sample` with the plans compiled so far, assumed to be
    /// those of one shape: the MaskGit loop (each plan's hoisted prefix once, MaskGit's step
    /// plan `steps` times, the critic's `steps − 1` times) and the decoder.
    func workPerSample() -> (loop: Double, decode: Double) {
        let steps = config.phenaki.steps
        var loop = 0.0
        for (key, plan) in plans {
            loop += (plan.prefix?.plan.flops ?? 0) + plan.step.plan.flops * Double(key.critic ? steps - 1 : steps)
        }
        return (loop, codec.decoderPlans.reduce(0) { $0 + $1.flops })
    }

    /// Randomly initialised weights (`initialParameters`, `seed`) of every graph that sampling
    /// `frames` frames at `batch` uses with `critic`: a Phenaki state_dict (`maskgit.*`,
    /// `critic.*`, `cvivit.*`) holding exactly what those graphs read.
    public static func randomParameters(config: PhenakiConfig, critic: SamplerCritic?, frames: Int, batch: Int,
                                        seed: UInt64) throws -> [String: HostTensor] {
        let probe = try PhenakiSampler(config: config, parameters: [:], critic: critic)
        let textLength = config.maskgit.unconditional ? nil : config.phenaki.maxTextLen
        let shape = try probe.tokenShape(frames: frames, primeFrames: 0, primeIds: nil, batch: batch,
                                         textLength: textLength, options: SamplingOptions(), draws: .rngKey)
        var graphs = [try SamplerGraphs.maskgit(config, shape),
                      try probe.codec.decoderGraph(ids: [batch, shape.tokens], dropFrames: 0)]
        if let critic { graphs.append(try SamplerGraphs.critic(config, critic, shape)) }
        var values: [String: HostTensor] = [:]
        // MaskGit's weights appear in the self critic's graph too: draw each name once.
        for graph in graphs {
            for node in graph.nodes {
                guard case .parameter(let name, let initializer) = node.op, values[name] == nil else { continue }
                values[name] = initialValue(of: node.type, initializer: initializer, name: name, seed: seed)
            }
        }
        return values
    }
}
