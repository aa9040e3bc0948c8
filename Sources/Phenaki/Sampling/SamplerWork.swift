import GraphCompiler
import GraphRuntime
import TensorGraph

/// What a sampler's compiled plans cost, and random weights for benchmarks.
extension PhenakiSampler {
    /// Bytes of loop-invariant values (text keys/values, masks, position biases) that the
    /// compiled plans compute once per sample instead of once per step.
    public var hoistedBytes: Int { plans.values.reduce(0) { $0 + $1.split.hoistedBytes } }

    /// Floating-point operations of one `sample` with the plans compiled so far, assumed to be
    /// those of one shape: the MaskGit loop (each plan's hoisted prefix once, MaskGit's
    /// transformer `steps` times, its head as many times as the masked positions of each step
    /// need, the critic's `steps − 1` times) and the decoder.
    func workPerSample() -> (loop: Double, decode: Double) {
        let steps = config.phenaki.steps
        var loop = 0.0
        for (key, plan) in plans {
            let runs: Int
            switch key.kind {
            case .maskgit: runs = steps
            case .critic: runs = steps - 1
            case .head(let rows, _): runs = headRuns(rows: rows, batch: key.shape.batch, tokens: key.shape.tokens)
            }
            loop += (plan.prefix?.plan.flops ?? 0) + plan.step.plan.flops * Double(runs)
        }
        return (loop, codec.decoderPlans.reduce(0) { $0 + $1.flops })
    }

    /// Runs of the head plan of `rows` rows over one sample: each step covers its masked
    /// positions (all at step 0, then the schedule's count in each of the `batch` videos) with
    /// the plan `headRows(for:of:)` picks, as many runs as they need.
    func headRuns(rows: Int, batch: Int, tokens: Int) -> Int {
        let steps = config.phenaki.steps
        let plans = headRows(batch: batch, tokens: tokens)
        return (0..<steps).reduce(0) { sum, step in
            let k = step == 0 ? tokens : SamplingSchedule.maskCount(step: step, steps: steps, tokens: tokens)
            guard Self.headRows(for: batch * k, of: plans) == rows else { return sum }
            return sum + (batch * k + rows - 1) / rows
        }
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
        var graphs = [try SamplerGraphs.maskgit(config, shape), try SamplerGraphs.head(config, shape, rows: 1),
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
