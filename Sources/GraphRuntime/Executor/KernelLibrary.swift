import CKernels

/// Why the C kernel library could not run a plan: OpenBLAS missing, or a step the kernels
/// rejected or that read an index outside its axis.
public enum KernelLibraryError: Error, Equatable, CustomStringConvertible {
    /// OpenBLAS could not be loaded; `message` says what to install.
    case blasUnavailable(message: String)
    /// An index input held a value outside its axis (the affected outputs are zero).
    case indexOutOfRange(step: Int)
    /// A step's kind, program or views are not something the kernels handle.
    case badStep(step: Int)
    /// A step needs per-thread scratch but the plan bound no scratch arena.
    case missingScratch(step: Int)

    public var description: String {
        switch self {
        case .blasUnavailable(let message): return message
        case .indexOutOfRange(let step): return "step \(step): an index lies outside its axis"
        case .badStep(let step): return "step \(step): the kernels cannot run this step (kind, program or views)"
        case .missingScratch(let step): return "step \(step): needs scratch memory but no scratch arena was bound"
        }
    }
}

/// Swift entry points to the C kernel library's setup and error reporting (pk_plan.h).
public enum KernelLibrary {
    /// Loads OpenBLAS (choosing its AVX-512 kernels where the CPU has them); idempotent.
    public static func loadBLAS() throws(KernelLibraryError) {
        if pk_blas_init() != 0 { throw .blasUnavailable(message: String(cString: pk_blas_error())) }
    }

    /// The core type OpenBLAS runs with (`SkylakeX`, `Haswell`, ...), or `unavailable`.
    public static var blasCoreName: String { String(cString: pk_blas_corename()) }

    /// Throws the error of the calling thread's last `pk_execute` / `pk_execute_step_serial`.
    public static func checkLastRun() throws(KernelLibraryError) {
        let step = Int(pk_last_error_step())
        switch pk_last_error() {
        case Int32(PK_ERR_NONE): return
        case Int32(PK_ERR_INDEX_OUT_OF_RANGE): throw .indexOutOfRange(step: step)
        case Int32(PK_ERR_NO_SCRATCH): throw .missingScratch(step: step)
        case Int32(PK_ERR_BLAS): throw .blasUnavailable(message: String(cString: pk_blas_error()))
        default: throw .badStep(step: step)
        }
    }
}
