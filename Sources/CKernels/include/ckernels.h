#ifndef PHENAKI_CKERNELS_H
#define PHENAKI_CKERNELS_H
/*
 * C99 + OpenMP kernels of the Phenaki runtime. Arrays are row-major float32; the caller owns
 * every buffer. Element-wise kernels allow `out` to alias an input only where stated.
 */
#include <stdint.h>
#include <stddef.h>

/* C = alpha * op(A) * op(B) + beta * C through OpenBLAS cblas_sgemm (row-major).
 * op(X) is X transposed when transX is nonzero; op(A) is M x K, op(B) K x N, C M x N.
 * Loads OpenBLAS on first use (pk_blas_init); aborts with pk_blas_error() if it cannot. */
void pk_sgemm(int transA, int transB, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc);

/* The number of threads an OpenMP parallel region uses (omp_get_max_threads). */
int pk_max_threads(void);

/* out[i] = a[i] + b[i] for i < n. */
void pk_add_f32(size_t n, const float *a, const float *b, float *out);

/* out[i] = a[i] * b[i] for i < n. */
void pk_mul_f32(size_t n, const float *a, const float *b, float *out);

/* out[i] = 0.5 x (1 + erf(x / sqrt 2)), the exact GELU, for x = in[i], i < n. */
void pk_gelu_f32(size_t n, const float *in, float *out);

/* Softmax of each of `rows` contiguous rows of `cols` values, shifted by the row maximum. */
void pk_softmax_rows_f32(size_t rows, size_t cols, const float *in, float *out);

#endif
