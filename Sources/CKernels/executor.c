/* pk_execute: every thread walks every step inside one OpenMP parallel region, does its static
 * share of each and meets the others at the barriers the plan asks for. */
#include "pk_internal.h"

#include <omp.h>

__thread int64_t pk_current_step = -1;

/* Errors are encoded as (step index + 1) << 8 | code (0 = none). Each run has its own slot,
 * which every thread of the run points at; the calling thread keeps the first error of its runs
 * since its last pk_clear_error. */
static __thread int64_t *error_slot = NULL;
static __thread int64_t last_error = 0;

void pk_set_error(int32_t code) {
    if (error_slot == NULL) return;
    int64_t expected = 0, desired = ((pk_current_step + 1) << 8) | (code & 0xff);
    __atomic_compare_exchange_n(error_slot, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

int32_t pk_last_error(void) { return (int32_t)(last_error & 0xff); }

int64_t pk_last_error_step(void) { return last_error == 0 ? -1 : (last_error >> 8) - 1; }

void pk_clear_error(void) { last_error = 0; }

static void bad_kind(const pk_step *st, void *const *bases, int tid, int nthreads) {
    (void)st, (void)bases, (void)nthreads;
    if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
}

static const pk_kernel_fn kernels[PK_STEP_KIND_COUNT] = {
    [PK_STEP_ROWPROG] = pk_k_rowprog,
    [PK_STEP_GEMM] = pk_k_gemm,
    [PK_STEP_COPY] = pk_k_copy,
    [PK_STEP_FILL] = pk_k_fill,
    [PK_STEP_REDUCE] = pk_k_reduce,
    [PK_STEP_ARGMAX] = pk_k_argmax,
    [PK_STEP_GATHER] = pk_k_gather,
    [PK_STEP_SCATTER_ADD] = pk_k_scatter_add,
    [PK_STEP_TAKE_ALONG] = pk_k_take_along,
    [PK_STEP_SCATTER_ALONG] = pk_k_scatter_along,
    [PK_STEP_ONE_HOT] = pk_k_one_hot,
    [PK_STEP_TOPK] = pk_k_topk,
    [PK_STEP_ARGSORT] = pk_k_argsort,
    [PK_STEP_CONV] = pk_k_conv,
    [PK_STEP_CONV_TRANSPOSE] = pk_k_conv_transpose,
    [PK_STEP_CONV_WEIGHT_GRAD] = pk_k_conv_weight_grad,
    [PK_STEP_RANDOM_UNIFORM] = pk_k_random_uniform,
    [PK_STEP_RANDOM_NORMAL] = pk_k_random_normal,
    [PK_STEP_FOLD_IN] = pk_k_fold_in,
    [PK_STEP_IOTA] = pk_k_iota,
    [PK_STEP_ATTENTION] = pk_k_attention,
    [PK_STEP_ATTENTION_BACKWARD] = pk_k_attention_backward,
};

static inline pk_kernel_fn kernel_of(const pk_step *st) {
    if (st->kind < 0 || st->kind >= PK_STEP_KIND_COUNT || kernels[st->kind] == NULL) return bad_kind;
    return kernels[st->kind];
}

static int64_t round64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

int64_t pk_step_scratch_bytes(const pk_step *st) {
    switch (st->kind) {
    case PK_STEP_ROWPROG:
        return round64(pk_rowprog_scratch_bytes(st->program, st->n_instr, st->n_registers, &st->outputs[0]));
    case PK_STEP_GEMM:
        return st->program ? round64(pk_rowprog_scratch_bytes(st->program, st->n_instr, st->n_registers,
                                                              &st->outputs[0]))
                           : 0;
    case PK_STEP_TOPK:
    case PK_STEP_ARGSORT:
        return round64(pk_sort_scratch_bytes(st));
    case PK_STEP_ATTENTION:
    case PK_STEP_ATTENTION_BACKWARD:
        return round64(pk_attention_scratch_bytes(st));
    default:
        return 0;
    }
}

void *pk_scratch(const pk_step *st, void *const *bases, int tid) {
    int64_t bytes = pk_step_scratch_bytes(st);
    if (bytes == 0) return NULL;
    if (bases[PK_ARENA_SCRATCH] == NULL) {
        pk_set_error(PK_ERR_NO_SCRATCH);
        return NULL;
    }
    /* Steps without a barrier between them run at the same time on different threads, so
     * every thread's region must be at the same place for every step: the plan's stride. */
    int64_t stride = st->scratch_per_thread > bytes ? st->scratch_per_thread : bytes;
    return (char *)bases[PK_ARENA_SCRATCH] + (int64_t)tid * stride;
}

/* Kinds that call OpenBLAS. */
static int uses_blas(int32_t kind) {
    return kind == PK_STEP_GEMM || kind == PK_STEP_ATTENTION || kind == PK_STEP_ATTENTION_BACKWARD;
}

static int has_gemm(const pk_step *steps, int64_t n) {
    for (int64_t s = 0; s < n; s++)
        if (uses_blas(steps[s].kind)) return 1;
    return 0;
}

int32_t pk_execute(const pk_step *steps, int64_t n, void *const *bases, int nthreads) {
    int64_t slot = 0;
    if (n <= 0) return PK_ERR_NONE;
    if (nthreads <= 0) nthreads = omp_get_max_threads();
    if (has_gemm(steps, n)) pk_blas_init(); /* leaves OpenBLAS at one thread */
#pragma omp parallel num_threads(nthreads)
    {
        int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        int64_t *saved_slot = error_slot;
        error_slot = &slot;
        for (int64_t s = 0; s < n; s++) {
            const pk_step *st = &steps[s];
            pk_current_step = s;
            kernel_of(st)(st, bases, tid, nth);
            if (st->barrier_after) {
#pragma omp barrier
            }
        }
        pk_current_step = -1;
        error_slot = saved_slot;
    }
    int64_t result = __atomic_load_n(&slot, __ATOMIC_SEQ_CST);
    if (last_error == 0) last_error = result;
    return (int32_t)(result & 0xff);
}

int32_t pk_execute_step_serial(const pk_step *st, void *const *bases) {
    int64_t saved = pk_current_step, slot = 0;
    int64_t *saved_slot = error_slot;
    error_slot = &slot;
    pk_current_step = -1;
    if (uses_blas(st->kind)) pk_blas_init();
    kernel_of(st)(st, bases, 0, 1);
    pk_current_step = saved;
    error_slot = saved_slot;
    if (last_error == 0) last_error = slot;
    return (int32_t)(slot & 0xff);
}

/* ---- Debug and diagnostic helpers (see pk_plan.h) ---- */

void pk_debug_fill(void *p, int64_t words, uint32_t word) {
    uint32_t *w = (uint32_t *)p;
    for (int64_t i = 0; i < words; i++) w[i] = word;
}

int64_t pk_debug_find_mismatch(const void *p, int64_t words, uint32_t word) {
    const uint32_t *w = (const uint32_t *)p;
    for (int64_t i = 0; i < words; i++)
        if (w[i] != word) return i;
    return -1;
}

/* Walks the view's elements in row-major order; returns the first index where `hit` holds. */
static int64_t view_find(const pk_view *v, void *const *bases, int (*hit)(uint32_t, uint32_t), uint32_t word) {
    const char *base = (const char *)bases[v->ref.arena];
    if (base == NULL) return -1;
    const uint32_t *p = (const uint32_t *)(base + v->ref.offset);
    int64_t count = 1;
    for (int d = 0; d < v->rank; d++) count *= v->shape[d];
    int64_t idx[PK_MAX_RANK] = {0};
    int64_t at = 0; /* element offset of idx */
    for (int64_t i = 0; i < count; i++) {
        if (hit(p[at], word)) return i;
        for (int d = v->rank - 1; d >= 0; d--) {
            idx[d]++;
            at += v->strides[d];
            if (idx[d] < v->shape[d]) break;
            at -= v->strides[d] * v->shape[d];
            idx[d] = 0;
        }
    }
    return -1;
}

static int equals_word(uint32_t x, uint32_t word) { return x == word; }
/* Exponent all ones: NaN or ±inf (bit test, immune to -ffast-math style assumptions). */
static int not_finite(uint32_t x, uint32_t unused) { (void)unused; return (x & 0x7f800000u) == 0x7f800000u; }

int64_t pk_debug_view_find_word(const pk_view *v, void *const *bases, uint32_t word) {
    return view_find(v, bases, equals_word, word);
}

int64_t pk_view_find_nonfinite(const pk_view *v, void *const *bases) {
    if (v->ref.dtype != PK_F32) return -1;
    return view_find(v, bases, not_finite, 0);
}
