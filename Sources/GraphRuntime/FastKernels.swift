import CKernels

/// Thin Swift entry points to the C kernels (OpenMP + OpenBLAS), on `[Float]`.
///
/// The compiled runtime calls the C functions on its arenas directly; these wrappers exist
/// for tests and small host-side work, and check sizes that C cannot.
public enum FastKernels {
    /// Threads an OpenMP parallel region uses.
    public static var maxThreads: Int { Int(pk_max_threads()) }

    /// `c = alpha · op(a) · op(b) + beta · c`, row-major, with `op(a)` m×k and `op(b)` k×n
    /// (`a` stored k×m when `transposeA`, `b` stored n×k when `transposeB`).
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: [Float], b: [Float], beta: Float = 0, c: inout [Float]
    ) {
        precondition(a.count == m * k && b.count == k * n && c.count == m * n,
                     "sgemm sizes: a \(a.count), b \(b.count), c \(c.count) for m \(m) n \(n) k \(k)")
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    pk_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
                             pa.baseAddress, Int32(max(lda, 1)), pb.baseAddress, Int32(max(ldb, 1)),
                             beta, pc.baseAddress, Int32(max(n, 1)))
                }
            }
        }
    }

    /// `a + b` elementwise.
    public static func add(_ a: [Float], _ b: [Float]) -> [Float] {
        binary(a, b, pk_add_f32)
    }

    /// `a * b` elementwise.
    public static func mul(_ a: [Float], _ b: [Float]) -> [Float] {
        binary(a, b, pk_mul_f32)
    }

    /// Exact (erf) GELU of every element.
    public static func gelu(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in pk_gelu_f32(x.count, px.baseAddress, po.baseAddress) }
        }
        return out
    }

    /// Softmax of each of `rows` contiguous rows of `x`.
    public static func softmaxRows(_ x: [Float], rows: Int) -> [Float] {
        precondition(rows > 0 ? x.count % rows == 0 : x.isEmpty, "\(x.count) values do not split into \(rows) rows")
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                pk_softmax_rows_f32(rows, rows > 0 ? x.count / rows : 0, px.baseAddress, po.baseAddress)
            }
        }
        return out
    }

    private static func binary(
        _ a: [Float], _ b: [Float],
        _ kernel: (Int, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
    ) -> [Float] {
        precondition(a.count == b.count, "elementwise operands of \(a.count) and \(b.count) elements")
        var out = [Float](repeating: 0, count: a.count)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in kernel(a.count, pa.baseAddress, pb.baseAddress, po.baseAddress) }
            }
        }
        return out
    }
}
