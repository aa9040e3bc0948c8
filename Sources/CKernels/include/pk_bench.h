#ifndef PHENAKI_PK_BENCH_H
#define PHENAKI_PK_BENCH_H
/* Micro-benchmarks of the executor's building blocks (for `phenaki bench`). Each returns the
 * median seconds of `iters` timed runs after one warm-up run, or a negative value on failure. */
#include <stddef.h>

/* One M x N x K sgemm. mode 0: a GEMM step through pk_execute (nthreads OpenMP threads, each
 * calling 1-thread OpenBLAS on its rows); mode 1: cblas_sgemm with OpenBLAS using nthreads. */
double pk_bench_sgemm(int M, int N, int K, int iters, int nthreads, int mode);
/* A COPY step of `bytes` contiguous bytes through pk_execute (memory bandwidth: 2 * bytes move). */
double pk_bench_copy(size_t bytes, int iters, int nthreads);
/* A softmax row program (LOAD, ROW_MAX, SUB, EXP, ROW_SUM, DIV, STORE) on rows x cols. */
double pk_bench_rowprog_softmax(int rows, int cols, int iters, int nthreads);
/* An element-wise row program (LOAD x, LOAD y, GELU, MUL, STORE: gelu(x) * y) over n contiguous
 * floats: 3 * 4 * n bytes move (two reads, one write). */
double pk_bench_rowprog_gelu(size_t n, int iters, int nthreads);
/* A fused attention step (PK_STEP_ATTENTION, or with backward != 0 PK_STEP_ATTENTION_BACKWARD)
 * on contiguous q, k, v [B, H, I, D] (J = I keys, E = D), scale 1/8, no bias or mask. Forward is
 * 4·B·H·I·I·D flop; the backward's six GEMMs (scores twice, dP, dq, dk, dv) 12·B·H·I·I·D. */
double pk_bench_attention(int B, int H, int I, int D, int iters, int nthreads, int backward);

#endif
