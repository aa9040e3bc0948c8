import CMPISupport

/// The processes of one data-parallel job: this process's rank and the job's size, and the
/// collective operations the trainers need (gradient averaging, agreement checks, a barrier).
///
/// Backed by Open MPI, loaded at run time (`dlopen("libmpi.so.40")`), so a binary built without
/// MPI installed runs single-process as before; only a process that `mpirun` started with more
/// than one rank (`OMPI_COMM_WORLD_SIZE`, `PMIX_SIZE`) initialises MPI. Every collective must be
/// called by every rank in the same order, from the thread that called `world()`.
public final class ProcessGroup: @unchecked Sendable {
    /// This process's index, 0 ..< size; rank 0 writes checkpoints, samples, metrics and logs.
    public let rank: Int
    /// The number of processes (1: not data-parallel).
    public let size: Int
    /// Whether MPI backs this group (false for `single`).
    public let usesMPI: Bool

    /// One process, no MPI: every collective is the identity.
    public static let single = ProcessGroup(rank: 0, size: 1, usesMPI: false)

    private init(rank: Int, size: Int, usesMPI: Bool) {
        self.rank = rank
        self.size = size
        self.usesMPI = usesMPI
    }

    /// Whether this process writes the job's files (rank 0).
    public var isWriter: Bool { rank == 0 }

    /// The job's size as the launcher's environment gives it (0 when no launcher set it).
    public static var launchedSize: Int { Int(pk_mpi_launched_size()) }

    nonisolated(unsafe) private static var cachedWorld: ProcessGroup?

    /// The group `world()` returned, nil before the first call: what an error path asks to
    /// decide whether to `abort` the whole job.
    public static var current: ProcessGroup? { cachedWorld }

    /// The MPI world when `mpirun` started this process with more than one rank, else `single`.
    /// The first call initialises MPI; later calls return the same group.
    /// - Parameter timeout: seconds a collective may wait for the other ranks before this rank
    ///   ends itself with a message (a rank that died or hangs); nil or 0: wait forever.
    /// - Throws: `ProcessGroupError.mpi` when Open MPI cannot be loaded or initialised.
    public static func world(timeout: Double? = nil) throws(ProcessGroupError) -> ProcessGroup {
        if let cachedWorld { return cachedWorld }
        guard launchedSize > 1 else {
            cachedWorld = .single
            return .single
        }
        guard pk_mpi_init() == 0 else { throw .mpi(String(cString: pk_mpi_error())) }
        let group = ProcessGroup(rank: Int(pk_mpi_rank()), size: Int(pk_mpi_size()), usesMPI: true)
        if let timeout, timeout > 0 { pk_mpi_set_timeout(timeout) }
        cachedWorld = group
        return group
    }

    /// Replaces every element of `buffer` by its sum over all ranks.
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(ProcessGroupError) {
        guard usesMPI, let base = buffer.baseAddress else { return }
        guard pk_mpi_allreduce_sum_f32(base, Int64(buffer.count)) == 0 else { throw .mpi(String(cString: pk_mpi_error())) }
    }

    /// The element-wise sum of `values` over all ranks.
    public func allreduceSum(_ values: [Float]) throws(ProcessGroupError) -> [Float] {
        guard usesMPI, !values.isEmpty else { return values }
        var values = values
        let code = values.withUnsafeMutableBufferPointer { pk_mpi_allreduce_sum_f32($0.baseAddress!, Int64($0.count)) }
        guard code == 0 else { throw .mpi(String(cString: pk_mpi_error())) }
        return values
    }

    /// The element-wise maximum of `values` over all ranks.
    public func allreduceMax(_ values: [Double]) throws(ProcessGroupError) -> [Double] {
        guard usesMPI, !values.isEmpty else { return values }
        var values = values
        let code = values.withUnsafeMutableBufferPointer { pk_mpi_allreduce_max_f64($0.baseAddress!, Int32($0.count)) }
        guard code == 0 else { throw .mpi(String(cString: pk_mpi_error())) }
        return values
    }

    /// Throws `ProcessGroupError.disagreement` unless every rank passes the same `values`
    /// (compared exactly): how ranks check that they resumed from the same state.
    public func checkAgreement(_ values: [Double], what: String) throws(ProcessGroupError) {
        guard usesMPI else { return }
        let high = try allreduceMax(values)
        let low = try allreduceMax(values.map { -$0 }).map { -$0 }
        if high != low || high != values {
            throw .disagreement(what: what, rank: rank, mine: values, lowest: low, highest: high)
        }
    }

    /// Waits until every rank has called it.
    public func barrier() throws(ProcessGroupError) {
        guard usesMPI else { return }
        guard pk_mpi_barrier() == 0 else { throw .mpi(String(cString: pk_mpi_error())) }
    }

    /// Ends the whole job: writes `message` (with this rank) to standard error and calls
    /// `MPI_Abort`, which makes `mpirun` stop every other rank. Without MPI it exits the process.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        pk_mpi_abort(code, message)
        fatalError("unreachable: pk_mpi_abort returned")
    }

    /// Ends MPI cleanly once this rank is done (a no-op without MPI). Call it once, at the end.
    public func finalize() throws(ProcessGroupError) {
        guard usesMPI else { return }
        guard pk_mpi_finalize() == 0 else { throw .mpi(String(cString: pk_mpi_error())) }
    }
}

/// Errors of the process group: MPI that cannot start or fails, ranks that disagree.
public enum ProcessGroupError: Error, Equatable, CustomStringConvertible {
    /// Open MPI could not be loaded, initialised or failed a call.
    case mpi(String)
    /// The ranks passed different values to `checkAgreement`.
    case disagreement(what: String, rank: Int, mine: [Double], lowest: [Double], highest: [Double])

    public var description: String {
        switch self {
        case .mpi(let reason):
            return "MPI: \(reason)"
        case .disagreement(let what, let rank, let mine, let lowest, let highest):
            return "the ranks disagree on \(what): rank \(rank) has \(mine), the ranks range from \(lowest) to "
                + "\(highest); start every rank with the same arguments and the same checkpoint (a shared results folder)"
        }
    }
}
