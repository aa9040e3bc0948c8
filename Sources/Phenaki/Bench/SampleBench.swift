import Dispatch
import GraphRuntime

extension Benchmarks {
    /// `phenaki-sample`: one whole `PhenakiSampler.sample` per timed step (the MaskGit loop of
    /// `phenaki.steps` rounds, then the C-ViViT decode) with random weights and random text embeddings
    /// [batch, max_text_len, dim_context] whose last quarter of rows is zero (padding). The
    /// warm-up sample compiles every plan; timed samples must compile nothing.
    static func sample(config: PhenakiConfig, configName: String, critic: SamplerCritic?, batch: Int, frames: Int?,
                       steps: Int, threads: Int, profile: Bool) throws -> BenchResult {
        let frames = frames ?? PhenakiModels.defaultFrames(for: "maskgit", config: config)
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return Double(now - clock) / 1e9
        }
        let parameters = try PhenakiSampler.randomParameters(config: config, critic: critic, frames: frames,
                                                             batch: batch, seed: 0)
        let initSeconds = lap()
        let sampler = try PhenakiSampler(config: config, parameters: parameters, critic: critic, threads: threads)
        let text = config.maskgit.unconditional ? nil : randomText(config: config, batch: batch)

        func once(seed: UInt64) throws -> (loop: Double, decode: Double) {
            _ = lap()
            let ids = try sampler.sampleTokens(frames: frames, text: text, batch: batch,
                                               options: SamplingOptions(seed: seed))
            let loop = lap()
            let video = try sampler.decode(primeIds: nil, ids: ids, primeFrames: 0)
            let decode = lap()
            guard video.scalars.allSatisfy(\.isFinite) else { throw BenchError(description: "the video is not finite") }
            return (loop, decode)
        }
        let warmUp = try once(seed: 0)
        let plans = sampler.compiledPlanCount
        var loops: [Double] = [], decodes: [Double] = []
        for step in 1...max(steps, 1) {
            let (loop, decode) = try once(seed: UInt64(step))
            loops.append(loop)
            decodes.append(decode)
        }
        guard sampler.compiledPlanCount == plans else {
            throw BenchError(description: "sampling compiled \(sampler.compiledPlanCount - plans) plans inside the loop")
        }
        let work = sampler.workPerSample()
        var result = BenchResult(name: BenchCase.phenakiSample.rawValue, stepSeconds: zip(loops, decodes).map(+),
                                 gflopPerStep: (work.loop + work.decode) / 1e9, sgemmPeakGflops: sgemmPeak(threads: threads))
        if profile { result.profile = try sampleProfile(sampler) }
        let loopPlans = sampler.plans.values.flatMap { [$0.step.plan] + ($0.prefix.map { [$0.plan] } ?? []) }
        result.arenaBytes = loopPlans.map(\.activationBytes).max() ?? 0
        result.lowerBoundBytes = loopPlans.map(\.lowerBoundBytes).max() ?? 0
        result.persistentBytes = loopPlans.reduce(0) { $0 + $1.persistentBytes }
        result.compileSeconds = sampler.compileSeconds
        result.kernelsPerStep = sampler.plans.values.reduce(0) { $0 + $1.step.plan.steps.count }
        result.peakRSSBytes = MicroBenchmarks.peakResidentBytes
        func median(_ xs: [Double]) -> Double {
            BenchResult(name: "", stepSeconds: xs, gflopPerStep: 0, sgemmPeakGflops: 0).median
        }
        result.extra["threads"] = "\(threads)"
        result.extra["batch"] = "\(batch)"
        result.extra["frames"] = "\(frames)"
        result.extra["config"] = configName
        result.extra["critic"] = critic?.rawValue ?? "none"
        result.extra["sampling_steps"] = "\(config.phenaki.steps)"
        result.extra["per_sample_s"] = String(format: "%.4f", result.median / Double(batch))
        result.extra["loop_s"] = String(format: "%.4f", median(loops))
        result.extra["decode_s"] = String(format: "%.4f", median(decodes))
        result.extra["loop_gflop"] = String(format: "%.3f", work.loop / 1e9)
        result.extra["decode_gflop"] = String(format: "%.3f", work.decode / 1e9)
        result.extra["plans_compiled"] = "\(plans)"
        result.extra["hoisted_bytes"] = "\(sampler.hoistedBytes)"
        result.extra["warmup_s"] = String(format: "%.3f", warmUp.loop + warmUp.decode)
        result.extra["init_weights_s"] = String(format: "%.3f", initSeconds)
        return result
    }

    /// Normal text embeddings [batch, max_text_len, dim_context]; the last quarter of each
    /// text's rows is zero, as padded text is.
    static func randomText(config: PhenakiConfig, batch: Int) -> HostTensor {
        let (m, d) = (config.phenaki.maxTextLen, config.maskgit.dimContext)
        var values = RNGKey(seed: stableHash("text")).normal(count: batch * m * d)
        let kept = max(1, m - m / 4)
        for row in 0..<batch {
            for i in ((row * m + kept) * d)..<((row + 1) * m * d) { values[i] = 0 }
        }
        return HostTensor(shape: [batch, m, d], scalars: values.map { Double(Float($0)) })
    }

    /// Per-kernel profiles of the step plans of the loop (each profiled once more).
    static func sampleProfile(_ sampler: PhenakiSampler) throws -> String {
        var out = ""
        func rank(_ kind: PhenakiSampler.PlanKind) -> Int {
            switch kind {
            case .maskgit: 0
            case .head: 1
            case .critic: 2
            }
        }
        for (key, plan) in sampler.plans.sorted(by: { rank($0.key.kind) < rank($1.key.kind) }) {
            switch key.kind {
            case .maskgit: out += "maskgit transformer step plan (once a step)\n"
            case .head(let rows, _):
                let runs = sampler.headRuns(rows: rows, batch: key.shape.batch, tokens: key.shape.tokens)
                out += "maskgit head plan over \(rows) masked positions (\(runs) runs a sample)\n"
            case .critic: out += "critic step plan (once a step but the last)\n"
            }
            out += profileReport(plan: plan.step.plan, seconds: try plan.step.profile())
        }
        return out
    }
}
