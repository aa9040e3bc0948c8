import ArgumentParser
import GraphRuntime

/// The options of data-parallel training: under `mpirun -np N` every rank trains on its own
/// shard of each global batch of N · --batch examples and the gradients are averaged.
struct DataParallelOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Under mpirun: seconds one rank waits in an allreduce for the others before it ends the job "
            + "(a rank that hangs; one that dies ends the job at once); 0 waits forever.",
        valueName: "seconds"))
    var mpiTimeout: Double = 1800

    func validate() throws {
        guard mpiTimeout >= 0, mpiTimeout.isFinite else {
            throw ValidationError("--mpi-timeout must be 0 (no limit) or a positive number of seconds, got \(mpiTimeout)")
        }
    }

    /// The MPI world when mpirun started more than one rank, else one process.
    func group() throws -> ProcessGroup { try ProcessGroup.world(timeout: mpiTimeout) }
}
