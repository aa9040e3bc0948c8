import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import TensorGraph

/// The cases of `phenaki bench`.
public enum BenchCase: String, CaseIterable, Sendable {
    case sgemm
    case transformerBlockTrain = "transformer-block-train"
    /// Copy bandwidth beside the row-program kernels' effective bandwidth.
    case memory
    /// The C-ViViT training step (`PhenakiModels` `cvivit-train`) of a config.
    case cvivitTrain = "cvivit-train"
    /// C-ViViT video → codebook ids.
    case cvivitEncode = "cvivit-encode"
    /// C-ViViT codebook ids → video.
    case cvivitDecode = "cvivit-decode"
    /// The MaskGit training step.
    case maskgitTrain = "maskgit-train"
    /// One whole `PhenakiSampler.sample` (MaskGit loop and C-ViViT decode) with random weights.
    case phenakiSample = "phenaki-sample"

    /// The cases built from a `PhenakiConfig` (they take `--variant`/`--config` and `--frames`).
    public var isPhenaki: Bool {
        [.cvivitTrain, .cvivitEncode, .cvivitDecode, .maskgitTrain, .phenakiSample].contains(self)
    }

    /// Other names a case answers to: `sample`, the name `phenaki-sample` had before.
    public static let aliases: [String: BenchCase] = ["sample": .phenakiSample]

    /// The case called `name` or one of its `aliases`.
    public init?(name: String) {
        guard let found = BenchCase(rawValue: name) ?? Self.aliases[name] else { return nil }
        self = found
    }
}

/// Errors of `phenaki bench`.
public struct BenchError: Error, CustomStringConvertible {
    public let description: String
}

/// Runs benchmark programs and measures the sgemm peak in the same process.
public enum Benchmarks {
    /// Median GFLOP/s of a 2048³ sgemm the executor's way (the peak a plan can reach).
    public static func sgemmPeak(threads: Int) -> Double {
        let n = 2048
        let seconds = MicroBenchmarks.sgemm(m: n, n: n, k: n, iterations: 5, threads: threads, mode: .executor)
        return seconds > 0 ? 2 * Double(n * n * n) / seconds / 1e9 : 0
    }

    /// `memoryBudget`: the most activation-arena bytes a compiled plan may take (rematerialising
    /// to fit; see `CompileOptions.memoryBudget`).
    /// `config` and `frames` size the Phenaki cases (default config: the `tiny` variant; default
    /// frames: `PhenakiModels.defaultFrames`); the other cases ignore them. `critic` (maskgit-train
    /// only) times the full Phenaki training loss instead (`PhenakiLossModel`: cosine-schedule
    /// masking, masked cross-entropy and, unless `.none`, the critic), its draws from an RNG key.
    /// For `phenaki-sample`, `critic` picks the sampler's critic (nil or `.none`: confidence sampling, the
    /// setting of phenaki-pytorch's reference timing) and `batch` the number of videos.
    public static func run(_ which: BenchCase, batch: Int?, steps: Int, threads: Int, profile: Bool = false,
                           memoryBudget: Int? = nil, config: PhenakiConfig? = nil, frames: Int? = nil,
                           configName: String? = nil, critic: PhenakiLossModel.CriticChoice? = nil) throws -> BenchResult {
        if which == .phenakiSample {
            let samplerCritic: SamplerCritic?
            switch critic {
            case nil, .none?: samplerCritic = nil
            case .token?: samplerCritic = .token
            case .selfCritic?: samplerCritic = .selfCritic
            }
            return try sample(config: config ?? PhenakiConfig.tiny, configName: configName ?? "tiny",
                              critic: samplerCritic, batch: batch ?? 1, frames: frames, steps: steps,
                              threads: threads, profile: profile)
        }
        if let critic {
            guard which == .maskgitTrain else {
                throw BenchError(description: "--critic applies to maskgit-train and phenaki-sample, not '\(which.rawValue)'")
            }
            return try phenakiLossTrain(config: config ?? PhenakiConfig.tiny, configName: configName ?? "tiny",
                                        critic: critic, batch: batch ?? 1, frames: frames, steps: steps,
                                        threads: threads, profile: profile, memoryBudget: memoryBudget)
        }
        if which.isPhenaki {
            let config = config ?? PhenakiConfig.tiny
            let graph = try PhenakiModels.graph(named: which.rawValue, config: config, batch: batch ?? 1, frames: frames,
                                                training: TrainingOptions(weightDecay: 0.01))
            let idRange = which == .maskgitTrain ? config.maskgit.numTokens : config.cvivit.codebookSize
            var result = try planBench(name: which.rawValue, graph: graph, idRange: idRange, steps: steps,
                                       threads: threads, profile: profile, memoryBudget: memoryBudget)
            result.extra["batch"] = "\(batch ?? 1)"
            result.extra["frames"] = "\(frames ?? PhenakiModels.defaultFrames(for: which.rawValue, config: config))"
            result.extra["config"] = configName ?? "tiny"
            return result
        }
        switch which {
        case .cvivitTrain, .cvivitEncode, .cvivitDecode, .maskgitTrain, .phenakiSample: fatalError("handled above")
        case .sgemm: return sgemm(threads: threads, steps: steps)
        case .transformerBlockTrain:
            return try transformerBlockTrain(batch: batch ?? 4, steps: steps, threads: threads, profile: profile,
                                             memoryBudget: memoryBudget)
        case .memory: return memory(threads: threads, steps: steps)
        }
    }

    /// Time per kernel kind and the slowest steps of one profiled run.
    static func profileReport(plan: Plan, seconds: [Double]) -> String {
        var byKind: [PlanStepKind: (Double, Double)] = [:]
        for (step, t) in zip(plan.steps, seconds) {
            let old = byKind[step.kind] ?? (0, 0)
            byKind[step.kind] = (old.0 + t, old.1 + step.flops)
        }
        let total = seconds.reduce(0, +)
        var out = String(format: "profile: %.4f s over %d steps (each step its own parallel region)\n", total, seconds.count)
        for (kind, (t, f)) in byKind.sorted(by: { $0.value.0 > $1.value.0 }) {
            out += String(format: "  %-16@ %8.4f s %5.1f%%  %7.1f GFLOP/s\n", "\(kind)" as NSString, t, 100 * t / total,
                          t > 0 ? f / t / 1e9 : 0)
        }
        out += "slowest steps:\n"
        for i in seconds.indices.sorted(by: { seconds[$0] > seconds[$1] }).prefix(12) {
            let step = plan.steps[i]
            out += String(format: "  %4d %8.4f s %7.1f GFLOP/s  ", i, seconds[i], step.flops / seconds[i] / 1e9)
                + "\(step.kind) \(step.outputs.first?.shape ?? []) @\(step.label)\n"
        }
        return out
    }

    /// sgemm at 1024³ and 2048³, the executor's partitioning vs OpenBLAS's own threads.
    static func sgemm(threads: Int, steps: Int) -> BenchResult {
        let n = 2048
        var times: [Double] = []
        for _ in 0..<max(steps, 1) {
            times.append(MicroBenchmarks.sgemm(m: n, n: n, k: n, iterations: 1, threads: threads, mode: .executor))
        }
        let flop = 2 * Double(n * n * n)
        var result = BenchResult(name: "sgemm", stepSeconds: times, gflopPerStep: flop / 1e9, sgemmPeakGflops: 0)
        result.sgemmPeakGflops = result.gflops
        let blas = MicroBenchmarks.sgemm(m: n, n: n, k: n, iterations: max(steps, 1), threads: threads, mode: .openBLAS)
        let small = MicroBenchmarks.sgemm(m: 1024, n: 1024, k: 1024, iterations: max(steps, 3), threads: threads,
                                          mode: .executor)
        result.extra["openblas_threads_gflops"] = String(format: "%.1f", blas > 0 ? flop / blas / 1e9 : 0)
        result.extra["sgemm_1024_gflops"] = String(format: "%.1f", small > 0 ? 2 * pow(1024, 3) / small / 1e9 : 0)
        result.extra["blas_core"] = MicroBenchmarks.blasCore
        result.extra["threads"] = "\(threads)"
        result.peakRSSBytes = MicroBenchmarks.peakResidentBytes
        return result
    }

    /// Plain copy bandwidth (256 MB) and the effective bandwidth of two row programs, measured
    /// in turn in every round so that they see the same machine load: a softmax over 4096×577
    /// rows (2·4·rows·cols bytes move; 19 MB, so it may be served from a 32 MB L3) and the
    /// element-wise `gelu(x) · y` over 64 Mi floats (3·4·n bytes, from DRAM). A step is one
    /// softmax; `gflop_per_step` is 0 (bandwidth-bound by design).
    static func memory(threads: Int, steps: Int) -> BenchResult {
        let copyBytes = 256 << 20
        let (rows, cols) = (4096, 577)
        let geluCount = copyBytes / 4
        var copy: [Double] = [], softmax: [Double] = [], gelu: [Double] = []
        for _ in 0..<max(steps, 1) {
            copy.append(MicroBenchmarks.copy(bytes: copyBytes, iterations: 3, threads: threads))
            softmax.append(MicroBenchmarks.softmax(rows: rows, cols: cols, iterations: 5, threads: threads))
            gelu.append(MicroBenchmarks.geluMul(count: geluCount, iterations: 3, threads: threads))
        }
        func gbps(_ bytes: Double, _ seconds: [Double]) -> Double {
            let s = seconds.sorted()
            let t = s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
            return t > 0 ? bytes / t / 1e9 : 0
        }
        let copyGBps = gbps(2 * Double(copyBytes), copy)
        let softmaxGBps = gbps(2 * 4 * Double(rows * cols), softmax)
        let geluGBps = gbps(3 * 4 * Double(geluCount), gelu)
        var result = BenchResult(name: BenchCase.memory.rawValue, stepSeconds: softmax, gflopPerStep: 0,
                                 sgemmPeakGflops: 0)
        result.peakRSSBytes = MicroBenchmarks.peakResidentBytes
        result.extra["threads"] = "\(threads)"
        result.extra["copy_gbps"] = String(format: "%.2f", copyGBps)
        result.extra["softmax_gbps"] = String(format: "%.2f", softmaxGBps)
        result.extra["softmax_vs_copy"] = String(format: "%.3f", copyGBps > 0 ? softmaxGBps / copyGBps : 0)
        result.extra["gelu_mul_gbps"] = String(format: "%.2f", geluGBps)
        result.extra["gelu_mul_vs_copy"] = String(format: "%.3f", copyGBps > 0 ? geluGBps / copyGBps : 0)
        return result
    }

    /// One phenaki transformer block (d 512, 8 heads × 64, 576 tokens): forward, backward and
    /// AdamW in one compiled plan.
    static func transformerBlockTrain(batch: Int, steps: Int, threads: Int, profile: Bool,
                                      memoryBudget: Int? = nil) throws -> BenchResult {
        var profileText = ""
        let forward = try ModelZoo.graph(named: "transformer-block", batch: batch)
        let start = Date()
        let plan = try compile(trainingGraph(forward, loss: "loss", options: TrainingOptions(weightDecay: 0.01)),
                               options: CompileOptions(memoryBudget: memoryBudget))
        let compileSeconds = Date().timeIntervalSince(start)
        let session = try TrainingSession(plan: plan, threads: threads, seed: 0)
        try session.setScalar(TrainingState.learningRate, 1e-4)
        var feeds: [String: HostTensor] = [:]
        let state = Set(session.statePairs.map(\.feed))
        for binding in plan.feeds where binding.role == .input && !state.contains(binding.name) && binding.type.rank > 0 {
            let key = RNGKey(seed: UInt64(stableHash(binding.name)))
            feeds[binding.name] = HostTensor(shape: binding.type.shape, dtype: .float32,
                                             scalars: key.normal(count: binding.type.count))
        }
        try session.step(feeds)  // warm-up
        let times = try timeSteps(steps) { _ in try session.step([:]) }
        guard let loss = session.scalar("loss"), loss.isFinite else { throw BenchError(description: "the loss is not finite") }
        if profile { profileText = try profileReport(plan: plan, seconds: session.executor.profile()) }
        var result = planResult(name: BenchCase.transformerBlockTrain.rawValue, plan: plan, times: times,
                                compileSeconds: compileSeconds, threads: threads, memoryBudget: memoryBudget)
        result.extra["batch"] = "\(batch)"
        result.profile = profileText
        return result
    }

    /// The Phenaki training step (`PhenakiLossModel.trainingStep`) with `critic`: random ids in
    /// 0..<num_tokens, normal text embeddings, a new RNG key every step.
    static func phenakiLossTrain(config: PhenakiConfig, configName: String, critic: PhenakiLossModel.CriticChoice,
                                 batch: Int, frames: Int?, steps: Int, threads: Int, profile: Bool,
                                 memoryBudget: Int?) throws -> BenchResult {
        let graph = try PhenakiLossModel.trainingStep(config: config, critic: critic, batch: batch, frames: frames,
                                                      options: TrainingOptions(weightDecay: 0.01))
        let start = Date()
        let plan = try compile(graph, options: CompileOptions(memoryBudget: memoryBudget))
        let compileSeconds = Date().timeIntervalSince(start)
        let session = try TrainingSession(plan: plan, threads: threads, seed: 0)
        try session.setScalar(TrainingState.learningRate, 1e-4)
        let numTokens = config.maskgit.numTokens
        var feeds: [String: HostTensor] = [:]
        for binding in plan.feeds where binding.role == .input && ["ids", "text"].contains(binding.name) {
            let key = RNGKey(seed: UInt64(stableHash(binding.name)))
            let count = binding.type.count
            let scalars = binding.type.dtype == .int32
                ? key.uniform(count: count).map { Double(min(Int($0 * Double(numTokens)), numTokens - 1)) }
                : key.normal(count: count)
            feeds[binding.name] = HostTensor(shape: binding.type.shape, dtype: binding.type.dtype, scalars: scalars)
        }
        // A fresh key per step, as a training loop feeds it (the step index in the second half).
        func rng(_ step: Int) -> HostTensor { HostTensor(shape: [2], dtype: .int32, scalars: [7, Double(step)]) }
        feeds[PhenakiLossModel.rngKeyName] = rng(0)
        try session.step(feeds)  // warm-up
        let times = try timeSteps(steps) { step in try session.step([PhenakiLossModel.rngKeyName: rng(step + 1)]) }
        guard let loss = session.scalar("loss"), loss.isFinite else { throw BenchError(description: "the loss is not finite") }
        let profileText = profile ? try profileReport(plan: plan, seconds: session.executor.profile()) : ""
        var result = planResult(name: BenchCase.maskgitTrain.rawValue, plan: plan, times: times,
                                compileSeconds: compileSeconds, threads: threads, memoryBudget: memoryBudget)
        result.extra["batch"] = "\(batch)"
        result.extra["frames"] = "\(frames ?? PhenakiModels.defaultFrames(for: "maskgit", config: config))"
        result.extra["config"] = configName
        result.extra["critic"] = critic.rawValue
        result.extra["loss"] = String(format: "%.4f", loss)
        for name in ["maskgit_loss", "critic_loss"] {
            if let value = session.scalar(name) { result.extra[name] = String(format: "%.4f", value) }
        }
        result.profile = profileText
        return result
    }

    /// Compiles `graph` (a training step or a forward pass), feeds random inputs (int32 ids in
    /// 0..<idRange, float targets in [0, 1), other floats normal, masks all true) and times `steps`
    /// steps after one warm-up.
    static func planBench(name: String, graph: Graph, idRange: Int, steps: Int, threads: Int, profile: Bool,
                          memoryBudget: Int?) throws -> BenchResult {
        let start = Date()
        let plan = try compile(graph, options: CompileOptions(memoryBudget: memoryBudget))
        let compileSeconds = Date().timeIntervalSince(start)
        let session = try TrainingSession(plan: plan, threads: threads, seed: 0)
        let state = Set(session.statePairs.map(\.feed))
        if plan.feeds.contains(where: { $0.name == TrainingState.learningRate }) {
            try session.setScalar(TrainingState.learningRate, 1e-4)
        }
        var feeds: [String: HostTensor] = [:]
        for binding in plan.feeds where binding.role == .input && !state.contains(binding.name)
            && !binding.name.hasPrefix("train.") && binding.type.rank > 0 {
            let key = RNGKey(seed: UInt64(stableHash(binding.name)))
            let count = binding.type.count
            let scalars: [Double]
            switch binding.type.dtype {
            case .int32: scalars = key.uniform(count: count).map { Double(min(Int($0 * Double(idRange)), idRange - 1)) }
            case .bool: scalars = [Double](repeating: 1, count: count)
            case .float32: scalars = binding.name == "target" ? key.uniform(count: count) : key.normal(count: count)
            }
            feeds[binding.name] = HostTensor(shape: binding.type.shape, dtype: binding.type.dtype, scalars: scalars)
        }
        try session.step(feeds)  // warm-up
        let times = try timeSteps(steps) { _ in try session.step([:]) }
        if plan.outputs.contains(where: { $0.name == "loss" }) {
            guard let loss = session.scalar("loss"), loss.isFinite else {
                throw BenchError(description: "the loss is not finite")
            }
        }
        let profileText = profile ? try profileReport(plan: plan, seconds: session.executor.profile()) : ""
        var result = planResult(name: name, plan: plan, times: times, compileSeconds: compileSeconds,
                                threads: threads, memoryBudget: memoryBudget)
        result.profile = profileText
        return result
    }

    /// Wall-clock seconds of `steps` calls of `body` (at least one), each given its index.
    static func timeSteps(_ steps: Int, _ body: (Int) throws -> Void) rethrows -> [Double] {
        try (0..<max(steps, 1)).map { step in
            let t0 = Date()
            try body(step)
            return Date().timeIntervalSince(t0)
        }
    }

    /// The result of timing `plan`: its work, arenas, compile time, kernels, barriers, the peak RSS
    /// and, under a memory budget, how many values the compiler recomputed to fit it.
    static func planResult(name: String, plan: Plan, times: [Double], compileSeconds: Double, threads: Int,
                           memoryBudget: Int?) -> BenchResult {
        var result = BenchResult(name: name, stepSeconds: times, gflopPerStep: plan.flops / 1e9,
                                 sgemmPeakGflops: sgemmPeak(threads: threads))
        result.arenaBytes = plan.activationBytes
        result.lowerBoundBytes = plan.lowerBoundBytes
        result.persistentBytes = plan.persistentBytes
        result.compileSeconds = compileSeconds
        result.kernelsPerStep = plan.steps.count
        result.peakRSSBytes = MicroBenchmarks.peakResidentBytes
        result.extra["threads"] = "\(threads)"
        result.extra["barriers_per_step"] = "\(plan.barrierCount)"
        if let memoryBudget {
            result.extra["memory_budget"] = "\(memoryBudget)"
            result.extra["recomputed_values"] = "\(plan.notes.filter { $0.hasPrefix("recomputed: ") }.count)"
        }
        return result
    }
}
