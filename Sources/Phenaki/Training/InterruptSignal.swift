import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM as a request to stop training cleanly, for the command-line
/// trainers. `install()` replaces the default action (die at once) with a handler that only
/// records the signal and prints one line; a trainer whose `shouldStop` reads `received` looks
/// at it after each update, saves a checkpoint of that update and throws `TrainingInterrupted`.
///
/// Further signals are noted and ignored, so a second Ctrl-C while the checkpoint is written
/// cannot cut the write short. Ctrl-\ (SIGQUIT) still quits at once; checkpoint writes are
/// atomic, so the previous checkpoint then stays the latest.
///
/// `install()` also ignores SIGXFSZ, so a file-size limit (`ulimit -f`) makes a write fail with
/// an error the run reports (`File too large`) instead of killing the process mid-write.
public enum InterruptSignal {
    /// The first stop signal since `install()` (or `reset()`); 0 while none came.
    fileprivate static let first = Atomic<Int32>(0)
    /// How many stop signals came.
    fileprivate static let count = Atomic<Int>(0)

    /// The signals that ask a run to stop.
    public static let stopSignals: [Int32] = [SIGINT, SIGTERM]

    /// Routes SIGINT and SIGTERM to the recording handler (even where the parent process
    /// ignored or blocked them) and ignores SIGXFSZ. Call it on the main thread once the run has
    /// something to save (after the trainer is built): before, Ctrl-C just ends the process.
    public static func install() {
        // Touch the statics here, so the handler never runs their one-time initialisation.
        _ = first.load(ordering: .relaxed)
        _ = count.load(ordering: .relaxed)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in stopSignals {
            _ = Glibc.signal(signal, interruptHandler)
            sigaddset(&unblock, signal)
        }
        _ = Glibc.signal(SIGXFSZ, SIG_IGN)
        // A child inherits its parent's signal mask (a thread of a test runner, a job launcher
        // may block SIGINT); blocked here, a Ctrl-C would wait unseen until the run ended.
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// Restores the default actions of SIGINT, SIGTERM and SIGXFSZ.
    public static func uninstall() {
        for signal in stopSignals + [SIGXFSZ] { _ = Glibc.signal(signal, SIG_DFL) }
    }

    /// The first stop signal received (SIGINT, SIGTERM); nil while none came.
    public static var received: Int32? {
        let signal = first.load(ordering: .acquiring)
        return signal == 0 ? nil : signal
    }

    /// The exit status a process stopped by `received` reports, as a shell does: 128 + the
    /// signal number (130 for Ctrl-C).
    public static var exitStatus: Int32 { 128 + (received ?? SIGINT) }

    /// Forgets the signals received so far (tests).
    public static func reset() {
        first.store(0, ordering: .releasing)
        count.store(0, ordering: .releasing)
    }
}

/// The handler: async-signal-safe work only (atomics and write(2) of static text).
private func interruptHandler(_ signal: Int32) {
    _ = InterruptSignal.first.compareExchange(expected: 0, desired: signal, ordering: .acquiringAndReleasing)
    let n = InterruptSignal.count.wrappingAdd(1, ordering: .relaxed).newValue
    let message: StaticString = n == 1
        ? "\nphenaki: stopping after the current update and saving a checkpoint of it (Ctrl-\\ quits without saving)\n"
        : "\nphenaki: still finishing the update and writing its checkpoint; wait for it\n"
    _ = Glibc.write(2, message.utf8Start, message.utf8CodeUnitCount)
}

/// A training run stopped on request (`shouldStop`, e.g. Ctrl-C) after update `step`. Its
/// state is in `checkpoint` (of update `checkpointStep`: `step` unless that update was skipped
/// for a non-finite loss), from which `--resume` goes on exactly as an uninterrupted run would.
public struct TrainingInterrupted: Error, Equatable, CustomStringConvertible {
    /// The last update done.
    public var step: Int
    /// The latest checkpoint; nil when the run has none.
    public var checkpoint: String?
    /// The update `checkpoint` holds.
    public var checkpointStep: Int?
    /// The results folder (what `--resume` takes).
    public var results: String

    public init(step: Int, checkpoint: String?, checkpointStep: Int?, results: String) {
        self.step = step
        self.checkpoint = checkpoint
        self.checkpointStep = checkpointStep
        self.results = results
    }

    public var description: String {
        guard let checkpoint, let checkpointStep else {
            return "interrupted after update \(step), which was skipped, before any checkpoint was saved; "
                + "run the command again to start over"
        }
        let which = checkpointStep == step ? "update \(step)" : "update \(checkpointStep) (update \(step) was skipped)"
        return "interrupted after update \(step); the checkpoint of \(which) is \(checkpoint). "
            + "To go on, run the same command with --resume \(results)"
    }

    /// What a trainer does when asked to stop after update `step`: unless that update was
    /// skipped (`canSave` false: a skipped update's state is never saved) or the latest
    /// checkpoint already holds it, saves one with `save`; then describes where the run stands.
    static func after(step: Int, canSave: Bool, store: CheckpointStore, results: String,
                      save: () throws -> Void) throws -> TrainingInterrupted {
        let current = store.directory + "/" + CheckpointStore.name(step: step)
        if canSave && store.latest() != current { try save() }
        let latest = store.latest()
        return TrainingInterrupted(
            step: step, checkpoint: latest,
            checkpointStep: latest.flatMap { CheckpointStore.step(ofName: URL(fileURLWithPath: $0).lastPathComponent) },
            results: results)
    }
}
