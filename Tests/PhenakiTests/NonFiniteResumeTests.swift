import Foundation
import GraphCompiler
import GraphRuntime
@testable import Phenaki
import Testing

/// Resuming around a skipped (non-finite) update (issue 7): a run stopped after it, with its
/// checkpoint the one before it or one after it, resumes to the same final checkpoint files as
/// an uninterrupted run through the same bad batch; a stop right after the skipped update saves
/// nothing of it.
@Suite struct NonFiniteResumeTests {
    static let steps = 5
    /// The draw (0-based update) whose batch holds a NaN: update 2 is skipped.
    static let poisoned = 1

    /// A C-ViViT run of `steps` updates whose draws `poisoned` (counted from this stream's start) hold a NaN.
    func run(_ folder: String, resume: Bool = false, poisoned: Set<Int>, stopAfter: Int? = nil) throws -> CViViTTrainer {
        let cases = NonFiniteTests()
        let trainer = try CViViTTrainer(config: .tiny, options: cases.options(steps: Self.steps), results: folder,
                                        resumeFrom: resume ? folder : nil)
        if let stopAfter { trainer.shouldStop = { [unowned trainer] in trainer.step == stopAfter } }
        try trainer.train(data: cases.stream(poisoned: poisoned), progress: false)
        return trainer
    }

    /// The interruption `stopAfter` gives; fails the test when the run ends without one.
    func interrupted(_ folder: String, stopAfter: Int) throws -> TrainingInterrupted {
        do {
            _ = try run(folder, poisoned: [Self.poisoned], stopAfter: stopAfter)
        } catch let stop as TrainingInterrupted {
            return stop
        }
        Issue.record("the run did not stop after update \(stopAfter)")
        return TrainingInterrupted(step: -1, checkpoint: nil, checkpointStep: nil, results: folder)
    }

    @Test("stopped after the skipped update: it is not saved; resuming from the one before replays it, ends equal")
    func stopRightAfterTheSkip() throws {
        let whole = trainerTemporaryFolder("nf-resume-whole"), stopped = trainerTemporaryFolder("nf-resume-skip")
        defer { for f in [whole, stopped] { try? FileManager.default.removeItem(atPath: f) } }
        let reference = try run(whole, poisoned: [Self.poisoned])
        #expect(reference.skippedUpdates.map(\.step) == [Self.poisoned])

        let stop = try interrupted(stopped, stopAfter: Self.poisoned + 1)
        let store = CheckpointStore(directory: stopped + "/checkpoints")
        #expect(stop == TrainingInterrupted(step: 2, checkpoint: store.directory + "/step-000001", checkpointStep: 1,
                                            results: stopped))
        #expect(store.steps() == [1])
        // The resumed stream starts at the saved data order, so the bad batch is its first draw.
        let resumed = try run(stopped, resume: true, poisoned: [0])
        #expect(resumed.skippedUpdates.map(\.step) == [Self.poisoned])
        try expectSameEnd(resumed, reference, stopped, whole)
    }

    @Test("stopped two updates after the skipped one: the checkpoint there resumes to the same end")
    func stopAfterTheSkip() throws {
        let whole = trainerTemporaryFolder("nf-resume-whole"), stopped = trainerTemporaryFolder("nf-resume-later")
        defer { for f in [whole, stopped] { try? FileManager.default.removeItem(atPath: f) } }
        let reference = try run(whole, poisoned: [Self.poisoned])

        let stop = try interrupted(stopped, stopAfter: 3)
        #expect(stop.checkpointStep == 3 && stop.step == 3)
        let checkpoint = try Checkpoint.load(directory: try #require(stop.checkpoint), config: .tiny, components: [.cvivit])
        #expect(checkpoint.state.step == 3)
        #expect(CheckpointStore(directory: stopped + "/checkpoints").steps() == [1, 3])
        let resumed = try run(stopped, resume: true, poisoned: [])
        #expect(resumed.skippedUpdates.isEmpty)
        try expectSameEnd(resumed, reference, stopped, whole)
    }

    @Test("the optimizer step a checkpoint records is what resuming feeds train.step, not the update count")
    func optimizerStepField() {
        var checkpoint = Checkpoint(config: .tiny, weights: [.cvivit: ["w": HostTensor(1)]])
        checkpoint.absorbTrainingState(of: .cvivit) { $0 == TrainingState.step ? HostTensor(2) : nil }
        checkpoint.state.step = 3  // the trainer's count: one update was skipped
        #expect(checkpoint.state.trainer[Checkpoint.optimizerStepField(.cvivit)] == .number(2))
        #expect(checkpoint.trainingFeeds(of: .cvivit)[TrainingState.step] == HostTensor(2))
        checkpoint.state.trainer = [:]  // written before the field existed: the update count
        #expect(checkpoint.trainingFeeds(of: .cvivit)[TrainingState.step] == HostTensor(3))
    }

    /// Bit-equal state and byte-equal final checkpoint files.
    func expectSameEnd(_ a: CViViTTrainer, _ b: CViViTTrainer, _ folderA: String, _ folderB: String) throws {
        #expect(a.step == Self.steps && b.step == Self.steps)
        let (x, y) = (a.stateTensors(), b.stateTensors())
        #expect(Set(x.keys) == Set(y.keys) && !x.isEmpty)
        for (name, value) in y { #expect(x[name] == value, "\(name) differs") }
        let (filesA, filesB) = (try InterruptTests.checkpointFiles(folderA, step: Self.steps),
                                try InterruptTests.checkpointFiles(folderB, step: Self.steps))
        #expect(filesA.keys.sorted() == filesB.keys.sorted() && filesA.keys.contains("cvivit.safetensors"))
        for (name, bytes) in filesB { #expect(filesA[name] == bytes, "\(name) differs") }
    }
}
