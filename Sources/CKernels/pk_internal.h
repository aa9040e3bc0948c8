#ifndef PHENAKI_PK_INTERNAL_H
#define PHENAKI_PK_INTERNAL_H
/* Shared helpers of the plan executor's kernels (not part of the public ABI). */
#include "pk_plan.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Columns one row-program tile covers when the program has no row reduction. */
#define PK_TILE 1024

typedef void (*pk_kernel_fn)(const pk_step *step, void *const *bases, int tid, int nthreads);

/* Kernels, one per step kind (files named after them). */
void pk_k_rowprog(const pk_step *, void *const *, int, int);
void pk_k_gemm(const pk_step *, void *const *, int, int);
void pk_k_copy(const pk_step *, void *const *, int, int);
void pk_k_fill(const pk_step *, void *const *, int, int);
void pk_k_iota(const pk_step *, void *const *, int, int);
void pk_k_reduce(const pk_step *, void *const *, int, int);
void pk_k_argmax(const pk_step *, void *const *, int, int);
void pk_k_gather(const pk_step *, void *const *, int, int);
void pk_k_scatter_add(const pk_step *, void *const *, int, int);
void pk_k_take_along(const pk_step *, void *const *, int, int);
void pk_k_scatter_along(const pk_step *, void *const *, int, int);
void pk_k_one_hot(const pk_step *, void *const *, int, int);
void pk_k_topk(const pk_step *, void *const *, int, int);
void pk_k_argsort(const pk_step *, void *const *, int, int);
void pk_k_conv(const pk_step *, void *const *, int, int);
void pk_k_conv_transpose(const pk_step *, void *const *, int, int);
void pk_k_conv_weight_grad(const pk_step *, void *const *, int, int);
void pk_k_random_uniform(const pk_step *, void *const *, int, int);
void pk_k_random_normal(const pk_step *, void *const *, int, int);
void pk_k_fold_in(const pk_step *, void *const *, int, int);
void pk_k_attention(const pk_step *, void *const *, int, int);
void pk_k_attention_backward(const pk_step *, void *const *, int, int);

/* Scratch bytes per thread of the kinds that need any (rowprog.c, sort.c, attention.c). */
int64_t pk_rowprog_scratch_bytes(const pk_instr *program, int32_t n_instr, int32_t n_registers,
                                 const pk_view *shape_view);
int64_t pk_sort_scratch_bytes(const pk_step *step);
int64_t pk_attention_scratch_bytes(const pk_step *step); /* attention.c, both attention kinds */

/* Runs flat elements [e0, e1) of a row program over `shape_view`'s shape (rows = all axes but
 * the last; with a row reduction e0 and e1 must be whole rows), reading input i from ins[i] and
 * writing output i to outs[i]. `regs` is the thread's scratch. Used by ROWPROG and the GEMM epilogue. */
void pk_rowprog_range(const pk_instr *program, int32_t n_instr, int32_t n_registers,
                      const pk_view *shape_view, const pk_view *const *ins, int n_ins,
                      const pk_view *const *outs, int n_outs, void *const *bases,
                      int64_t e0, int64_t e1, float *regs);

/* The thread's scratch for `step` (NULL and an error when the arena is missing). */
void *pk_scratch(const pk_step *step, void *const *bases, int tid);

/* Records the first error of the current plan run (see pk_last_error). */
void pk_set_error(int32_t code);
/* The step index the calling thread is running (for error reports). */
extern __thread int64_t pk_current_step;

/* BLAS entry points resolved by blas_loader.c (NULL until pk_blas_init succeeds). */
typedef void (*pk_cblas_sgemm_fn)(int order, int transA, int transB, int M, int N, int K, float alpha,
                                  const float *A, int lda, const float *B, int ldb, float beta,
                                  float *C, int ldc);
extern pk_cblas_sgemm_fn pk_cblas_sgemm;
int pk_blas_get_threads(void);
enum { PK_CBLAS_ROW_MAJOR = 101, PK_CBLAS_NO_TRANS = 111, PK_CBLAS_TRANS = 112 };

/* [lo, hi) of `n` items for thread `tid` of `nthreads` (contiguous static blocks). */
static inline void pk_share(int64_t n, int tid, int nthreads, int64_t *lo, int64_t *hi) {
    *lo = n * tid / nthreads;
    *hi = n * (tid + 1) / nthreads;
}

/* Address of element offset `elem` (in elements) of a view's buffer. */
static inline char *pk_addr(void *const *bases, const pk_view *v) {
    return (char *)bases[v->ref.arena] + v->ref.offset;
}

static inline int64_t pk_view_count(const pk_view *v) {
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++) n *= v->shape[i];
    return n;
}

/* Offset of row-major position `flat` of `shape` through `strides` (rank may be 0). */
static inline int64_t pk_offset(int rank, const int64_t *shape, const int64_t *strides, int64_t flat) {
    int64_t off = 0;
    for (int d = rank - 1; d >= 0; d--) {
        off += (flat % shape[d]) * strides[d];
        flat /= shape[d];
    }
    return off;
}

static inline int64_t pk_product(int rank, const int64_t *shape) {
    int64_t n = 1;
    for (int d = 0; d < rank; d++) n *= shape[d];
    return n;
}

/* float -> int32 as a cast: toward zero, NaN -> 0, saturating. */
static inline int32_t pk_f2i(float x) {
    if (x != x) return 0;
    if (x >= 2147483648.0f) return INT32_MAX;
    if (x <= -2147483648.0f) return INT32_MIN;
    return (int32_t)x;
}
static inline int32_t pk_d2i(double x) {
    if (x != x) return 0;
    if (x >= 2147483647.0) return INT32_MAX;
    if (x <= -2147483648.0) return INT32_MIN;
    return (int32_t)x;
}

/* Reads element `off` of a buffer of dtype `dt` as float / double. */
static inline float pk_load_f(const char *p, int32_t dt, int64_t off) {
    return dt == PK_F32 ? ((const float *)p)[off] : (float)((const int32_t *)p)[off];
}
static inline double pk_load_d(const char *p, int32_t dt, int64_t off) {
    return dt == PK_F32 ? (double)((const float *)p)[off] : (double)((const int32_t *)p)[off];
}
/* Writes a float value converted to dtype `dt`. */
static inline void pk_store_f(char *p, int32_t dt, int64_t off, float x) {
    if (dt == PK_F32) ((float *)p)[off] = x;
    else if (dt == PK_I32) ((int32_t *)p)[off] = pk_f2i(x);
    else ((int32_t *)p)[off] = x != 0.0f;
}
static inline void pk_store_d(char *p, int32_t dt, int64_t off, double x) {
    if (dt == PK_F32) ((float *)p)[off] = (float)x;
    else if (dt == PK_I32) ((int32_t *)p)[off] = pk_d2i(x);
    else ((int32_t *)p)[off] = x != 0.0;
}
/* An index read from an int32 (or float) buffer. */
static inline int64_t pk_load_index(const char *p, int32_t dt, int64_t off) {
    return dt == PK_F32 ? (int64_t)pk_f2i(((const float *)p)[off]) : (int64_t)((const int32_t *)p)[off];
}

/* ---- N-d iteration over a flat range, by innermost runs ----
 * Several views share one shape; `pk_iter_init` coalesces axes that are contiguous in every
 * view and drops extent-1 axes, then positions the iterator at flat element `start`. */
#define PK_ITER_MAX_VIEWS 4
typedef struct {
    int rank;                 /* >= 1 after init */
    int nv;
    int64_t shape[PK_MAX_RANK];
    int64_t strides[PK_ITER_MAX_VIEWS][PK_MAX_RANK];
    int64_t idx[PK_MAX_RANK];
    int64_t off[PK_ITER_MAX_VIEWS];
} pk_iter;

/* `coalesce` = 0 keeps every axis (IOTA needs the axis coordinate). */
void pk_iter_init(pk_iter *it, int rank, const int64_t *shape, int nv, const int64_t *const *strides,
                  int64_t start, int coalesce);
/* Elements left in the current innermost run. */
static inline int64_t pk_iter_run(const pk_iter *it) {
    return it->shape[it->rank - 1] - it->idx[it->rank - 1];
}
/* Advances by `n` elements, n <= pk_iter_run(it). */
static inline void pk_iter_advance(pk_iter *it, int64_t n) {
    int last = it->rank - 1;
    it->idx[last] += n;
    for (int v = 0; v < it->nv; v++) it->off[v] += n * it->strides[v][last];
    for (int d = last; d > 0 && it->idx[d] == it->shape[d]; d--) {
        it->idx[d] = 0;
        it->idx[d - 1]++;
        for (int v = 0; v < it->nv; v++)
            it->off[v] += it->strides[v][d - 1] - it->shape[d] * it->strides[v][d];
    }
}

/* Copies / converts `n` elements between strided runs (used by COPY and the indexing kernels). */
void pk_copy_run(char *dst, int32_t ddt, int64_t dstride, const char *src, int32_t sdt, int64_t sstride,
                 int64_t n);

#endif
