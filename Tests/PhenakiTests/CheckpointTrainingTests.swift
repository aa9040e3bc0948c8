import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import Testing
import TensorGraph

/// A checkpoint drives a training plan and takes its state back.
@Suite struct CheckpointTrainingTests {
    /// The tiny MaskGit training step with EMA: the checkpoint's feeds cover every parameter and
    /// carried state of the plan (all but the micro-batch counter), each with the plan's type;
    /// after one step the absorbed weights, moments and EMA equal the plan's `next:` outputs, the
    /// step advances, and the result survives a write and a read.
    @Test(arguments: ["", "maskgit."]) func feedsAndAbsorbsATrainingStep(_ scope: String) throws {
        let config = PhenakiConfig.tiny
        var checkpoint = try filledCheckpoint(step: 123)
        var forward = try PhenakiModels.graph(named: "maskgit", config: config)
        if !scope.isEmpty {
            forward = try Tracer.trace { t in
                let ids = t.input("ids", [1, 16], .int32), target = t.input("target", [1, 16], .int32)
                let text = t.input("text", [1, 16, 32]), textMask = t.input("text_mask", [1, 16], .bool)
                let logits = t.scope("maskgit") {
                    PhenakiLossModel.maskgit(config)(ids, videoPatchShape: [4, 2, 2], text: text, textMask: textMask)
                }
                let picked = logits.logSoftmax(axis: -1).takeAlongAxis(target.reshape([1, 16, 1]), axis: 2)
                return ["loss": -picked.mean()]
            }
        }
        let plan = try compile(trainingGraph(forward, loss: "loss", options: TrainingOptions(ema: true)))
        let feeds = checkpoint.trainingFeeds(of: .maskgit, scope: scope)
        let outputs = Set(plan.outputs.map(\.name))
        for binding in plan.feeds where binding.role == .parameter || outputs.contains("next:" + binding.name) {
            if binding.name == TrainingState.micro { continue }
            let feed = try #require(feeds[binding.name], "no feed for \(binding.name)")
            #expect(feed.type == binding.type, "\(binding.name)")
        }

        let executor = try PlanExecutor(plan: plan, threads: 2)
        var all = feeds
        all[TrainingState.micro] = HostTensor(0)
        all[TrainingState.learningRate] = HostTensor(1e-3)
        all[TrainingState.emaDecay] = HostTensor(0.9)
        all["ids"] = HostTensor(shape: [1, 16], dtype: .int32, scalars: (0..<16).map { Double($0 * 37 % 257) })
        all["target"] = HostTensor(shape: [1, 16], dtype: .int32, scalars: (0..<16).map { Double($0 * 11 % 256) })
        all["text"] = HostTensor(shape: [1, 16, 32], scalars: (0..<512).map { cos(Double($0) * 0.05) })
        all["text_mask"] = HostTensor(shape: [1, 16], dtype: .bool, repeating: 1)
        _ = try executor.run(feeds: all)
        let before = checkpoint
        checkpoint.absorbTrainingState(of: .maskgit, scope: scope) { executor.output("next:" + $0) }

        #expect(checkpoint.state.step == 124)
        for (name, value) in checkpoint.weights[.maskgit]! {
            #expect(value == executor.output("next:" + scope + name), "\(name)")
            #expect(checkpoint.ema[.maskgit]![name] == executor.output("next:ema:" + scope + name), "ema \(name)")
            #expect(checkpoint.optimizer[.maskgit]!["adam.m:" + name] == executor.output("next:adam.m:" + scope + name))
        }
        #expect(checkpoint.weights[.maskgit] != before.weights[.maskgit])
        #expect(checkpoint.optimizer[.maskgit] != before.optimizer[.maskgit])
        #expect(checkpoint.weights[.cvivit] == before.weights[.cvivit])

        let scratch = try CheckpointScratch()
        try CheckpointWriter().write(checkpoint, to: scratch.path + "/ckpt")
        #expect(try Checkpoint.load(directory: scratch.path + "/ckpt", config: config) == checkpoint)
    }
}
