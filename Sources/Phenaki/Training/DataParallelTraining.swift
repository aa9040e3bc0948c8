import GraphCompiler
import GraphRuntime
import TensorGraph

/// How trainers build their training sessions for a process group: one process keeps the one
/// training plan (`TrainingSession`); several ranks split it at the gradients
/// (`DataParallelGraphs`) and average between the halves (`DataParallelSession`).
enum DataParallelTraining {
    /// The session training `forward`'s `loss` with `options` in `group`.
    static func session(forward: Graph, loss: String = "loss", options: TrainingOptions, group: ProcessGroup,
                        threads: Int?, seed: UInt64) throws -> any TrainingStepper {
        guard group.size > 1 else {
            return try TrainingSession(plan: compile(trainingGraph(forward, loss: loss, options: options)),
                                       threads: threads, seed: seed)
        }
        return try DataParallelSession(
            gradientPlan: compile(DataParallelGraphs.gradientGraph(forward, loss: loss, options: options)),
            updatePlan: compile(DataParallelGraphs.updateGraph(forward, loss: loss, options: options)),
            loss: loss, group: group, threads: threads, seed: seed)
    }

    /// Checks that every rank is at the same place: the update count, the data order and a
    /// checksum of the trained state. Trainers call it after loading their start and before
    /// every checkpoint, so a checkpoint is only written while every rank is alive and agrees.
    static func checkAgreement(_ group: ProcessGroup, step: Int, order: DataOrderState?,
                               state: any TrainingStepper) throws {
        guard group.size > 1 else { return }
        var checksum = 0.0
        for pair in state.statePairs {
            try state.executor.withFloatBuffer(pair.feed) { buffer in
                for i in stride(from: 0, to: buffer.count, by: 97) { checksum += Double(buffer[i]) }
            }
        }
        let order = order ?? DataOrderState()
        try group.checkAgreement([Double(step), Double(order.epoch), Double(order.cursor), checksum],
                                 what: "the starting update, data order (epoch, cursor) and state checksum")
    }
}

extension TrainerRNG {
    /// Feeds every RNG key input of `session` its key for micro-batch `draw`; ranks other than 0
    /// fold their rank in, so each shard draws its own noise (rank 0 draws what one process would).
    static func feedKeys(_ session: any TrainingStepper, seed: UInt64, draw: Int) throws {
        for binding in session.inputs.plan.feeds where binding.role == .rngKey {
            var key = key(seed: seed, feed: binding.name, draw: draw)
            if session.replica > 0 { key = key.foldIn(session.replica) }
            try session.inputs.setFeed(binding.name, key.tensor)
        }
    }
}
