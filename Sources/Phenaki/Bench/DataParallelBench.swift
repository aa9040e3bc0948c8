import Foundation
import GraphCompiler
import GraphRuntime
import TensorGraph

/// `phenaki bench cvivit-train --data-parallel` under `mpirun -np N`: the C-ViViT training step
/// with each rank on its own batch and the gradients averaged over the ranks, as
/// `phenaki train-cvivit` runs it. One rank uses the one-plan step (nothing to average).
public enum DataParallelBench {
    /// Times `steps` updates after a warm-up. Each update starts after a barrier and its time is
    /// the slowest rank's; the allreduce inside the step (waiting for the slowest rank included)
    /// and the allreduce alone (after a barrier, on the same gradients) are timed too.
    /// Every rank returns the same result; rank 0 prints it.
    public static func run(config: PhenakiConfig, configName: String, batch: Int, frames: Int?, steps: Int,
                           threads: Int, group: ProcessGroup) throws -> BenchResult {
        let frames = frames ?? PhenakiModels.defaultFrames(for: "cvivit", config: config)
        try PhenakiModels.checkFrames(frames, for: "cvivit", config: config)
        let forward = try PhenakiModels.graph(named: "cvivit", config: config, batch: batch, frames: frames)
        let training = TrainingOptions(maxGradNorm: 0.5, ema: true)
        let compileStart = monotonicSeconds()
        let session = try DataParallelTraining.session(forward: forward, options: training, group: group,
                                                       threads: threads, seed: 0)
        let compileSeconds = monotonicSeconds() - compileStart
        try session.setScalar(TrainingState.learningRate, 1e-4)
        try session.setScalar(TrainingState.emaDecay, 0.99)
        guard let binding = session.inputs.plan.feeds.first(where: { $0.name == "video" }) else {
            throw BenchError(description: "the C-ViViT plan has no video input")
        }
        let video = HostTensor(shape: binding.type.shape, scalars: (0..<binding.type.count).map {
            0.5 + 0.4 * sin(0.37 * Double($0) + Double(group.rank))
        })
        let parallel = session as? DataParallelSession
        try session.step(["video": video])  // warm-up
        var stepSeconds: [Double] = [], inStep: [Double] = [], alone: [Double] = []
        for _ in 0..<steps {
            try group.barrier()
            let started = monotonicSeconds()
            try session.step(["video": video])
            stepSeconds.append(monotonicSeconds() - started)
            inStep.append(parallel?.lastAllreduceSeconds ?? 0)
        }
        if let parallel {
            for _ in 0..<steps {
                try group.barrier()
                alone.append(try parallel.averageGradients())
            }
        }
        // The job's numbers: the slowest rank's.
        stepSeconds = try group.allreduceMax(stepSeconds)
        inStep = try group.allreduceMax(inStep)
        alone = try group.allreduceMax(alone)
        var result = BenchResult(name: "cvivit-train-dp", stepSeconds: stepSeconds, gflopPerStep: 0, sgemmPeakGflops: 0)
        result.compileSeconds = compileSeconds
        result.peakRSSBytes = MicroBenchmarks.peakResidentBytes
        let median = result.median
        let samples = Double(group.size * batch) / max(median, 1e-12)
        result.extra["config"] = configName
        result.extra["ranks"] = "\(group.size)"
        result.extra["threads"] = "\(threads)"
        result.extra["batch_per_rank"] = "\(batch)"
        result.extra["global_batch"] = "\(group.size * batch)"
        result.extra["frames"] = "\(frames)"
        result.extra["samples_per_s"] = String(format: "%.4f", samples)
        result.extra["allreduce_step_s"] = String(format: "%.6f", Self.median(inStep))
        result.extra["allreduce_alone_s"] = String(format: "%.6f", Self.median(alone))
        result.extra["allreduce_share"] = String(format: "%.4f", Self.median(inStep) / max(median, 1e-12))
        result.extra["averaged_floats"] = "\(parallel?.averagedElements ?? 0)"
        return result
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }
}
