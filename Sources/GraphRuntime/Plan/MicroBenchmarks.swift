import CKernels
import Foundation

/// Timings of the runtime's building blocks, for `phenaki bench` (medians in seconds).
public enum MicroBenchmarks {
    /// How an sgemm is parallelised.
    public enum GemmMode: Int32, Sendable {
        /// The executor's way: OpenMP threads, each running 1-thread OpenBLAS on its rows.
        case executor = 0
        /// OpenBLAS's own thread pool.
        case openBLAS = 1
    }

    /// Median seconds of one M×N×K sgemm.
    public static func sgemm(m: Int, n: Int, k: Int, iterations: Int, threads: Int, mode: GemmMode) -> Double {
        pk_bench_sgemm(Int32(m), Int32(n), Int32(k), Int32(iterations), Int32(threads), mode.rawValue)
    }

    /// Median seconds to copy `bytes` bytes (2·bytes of memory traffic).
    public static func copy(bytes: Int, iterations: Int, threads: Int) -> Double {
        pk_bench_copy(bytes, Int32(iterations), Int32(threads))
    }

    /// Median seconds of a softmax row program over rows × cols.
    public static func softmax(rows: Int, cols: Int, iterations: Int, threads: Int) -> Double {
        pk_bench_rowprog_softmax(Int32(rows), Int32(cols), Int32(iterations), Int32(threads))
    }

    /// Median seconds of an element-wise row program `gelu(x) · y` over `count` floats
    /// (3·4·count bytes of memory traffic: two reads, one write).
    public static func geluMul(count: Int, iterations: Int, threads: Int) -> Double {
        pk_bench_rowprog_gelu(count, Int32(iterations), Int32(threads))
    }

    /// The OpenBLAS core type in use (after the executor loaded OpenBLAS).
    public static var blasCore: String {
        _ = pk_blas_init()
        return String(cString: pk_blas_corename())
    }

    /// The OpenMP default thread count.
    public static var defaultThreads: Int { Int(pk_max_threads()) }

    /// Peak resident set size of this process in bytes.
    public static var peakResidentBytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
