#ifndef PHENAKI_PK_PLAN_H
#define PHENAKI_PK_PLAN_H
/*
 * The compiled-plan ABI between the Swift compiler (GraphCompiler lowers a graph to an array
 * of pk_step) and the C executor (pk_execute runs them inside ONE OpenMP parallel region).
 *
 * Every kernel is a function of (step, buffers, tid, nthreads) that does its own static share
 * of the work and never synchronises; the executor puts `#pragma omp barrier` after a step
 * whose `barrier_after` is set (the compiler sets it when the next step reads what this one
 * wrote, or writes what earlier steps read). Kernels never allocate: per-thread scratch comes
 * from the plan's scratch region.
 *
 * Element types: float32 is `float`, int32 is `int32_t`, bool is an `int32_t` 0/1 (4 bytes, so
 * every element has the same size). Shapes are row-major; strides are in ELEMENTS and may be 0
 * (broadcast) or anything (views).
 */
#include <stdint.h>
#include <stddef.h>

#define PK_MAX_RANK 8
#define PK_MAX_INPUTS 12

/* Where a buffer lives: bases[arena] + byte offset. */
enum { PK_ARENA_ACTIVATIONS = 0, PK_ARENA_PERSISTENT = 1, PK_ARENA_CONSTANTS = 2, PK_ARENA_SCRATCH = 3,
       PK_ARENA_COUNT = 4 };

typedef struct {
    int32_t arena;
    int32_t dtype; /* PK_F32, PK_I32, PK_BOOL */
    int64_t offset; /* bytes from the arena base */
} pk_ref;

enum { PK_F32 = 0, PK_I32 = 1, PK_BOOL = 2 };

/* A strided view: `rank` axes of `shape`, element strides per axis. */
typedef struct {
    pk_ref ref;
    int32_t rank;
    int32_t _pad;
    int64_t shape[PK_MAX_RANK];
    int64_t strides[PK_MAX_RANK];
} pk_view;

/* ---- Row programs: fused element-wise + last-axis reduction kernels ----
 * The step iterates over `rows` = prod(shape[0..rank-2]) rows of `cols` = shape[rank-1]
 * elements (rank >= 1; the compiler coalesces axes first). Registers are vectors of `cols`
 * floats (or tiles of them when the program has no row reduction). Each input is a pk_view
 * with the step's shape (broadcast axes have stride 0); loads convert int32/bool to float and
 * stores convert back (int32: truncate toward zero; bool: != 0). */
enum {
    PK_OP_LOAD = 0,   /* r[dst] = input[a] */
    PK_OP_CONST,      /* r[dst] = imm */
    PK_OP_STORE,      /* output[a] = r[b] */
    /* unary: r[dst] = f(r[a]) */
    PK_OP_NEG, PK_OP_EXP, PK_OP_LOG, PK_OP_SQRT, PK_OP_RSQRT, PK_OP_ABS, PK_OP_SIGN, PK_OP_TANH,
    PK_OP_ERF, PK_OP_SIGMOID, PK_OP_RELU, PK_OP_GELU, PK_OP_SIN, PK_OP_COS,
    PK_OP_LEAKY_RELU, /* slope imm */
    PK_OP_NOT,        /* 1 if r[a] == 0 else 0 */
    PK_OP_TRUNC,      /* toward zero (casts to int32); NaN -> 0, saturate to int32 range */
    PK_OP_NONZERO,    /* 1 if r[a] != 0 (NaN counts as nonzero) else 0 (casts to bool) */
    PK_OP_CLAMP,      /* min(max(r[a], imm), imm2); NaN stays NaN */
    /* binary: r[dst] = f(r[a], r[b]) */
    PK_OP_ADD, PK_OP_SUB, PK_OP_MUL, PK_OP_DIV, PK_OP_POW, PK_OP_MAX, PK_OP_MIN,
    PK_OP_EQ, PK_OP_NE, PK_OP_LT, PK_OP_LE, PK_OP_GT, PK_OP_GE, PK_OP_AND, PK_OP_OR,
    /* r[dst] = r[a] != 0 ? r[b] : r[c] */
    PK_OP_SELECT,
    /* row reductions: every element of r[dst] = reduction of r[a] over the row */
    PK_OP_ROW_SUM, PK_OP_ROW_MAX,
    PK_OP_ROW_MEAN, /* the row's mean, divided in double before rounding */
    PK_OP_COUNT
};

typedef struct {
    int16_t op, dst, a, b, c, _pad;
    float imm, imm2;
} pk_instr;

/* ---- Steps ---- */
enum {
    PK_STEP_ROWPROG = 0,
    PK_STEP_GEMM,            /* batched strided sgemm (see fields) */
    PK_STEP_COPY,            /* out view <- in[0] view (same shape): permute, slice, expand, concat part */
    PK_STEP_FILL,            /* out view <- fattr[0] (pad borders, zero init) */
    PK_STEP_REDUCE,          /* iattr[0] = 0 sum, 1 max, 2 mean, 3 logsumexp; see below */
    PK_STEP_ARGMAX,          /* over axis iattr[0] of in[0] */
    PK_STEP_GATHER,          /* numpy.take(in0, in1, axis iattr[0]) */
    PK_STEP_SCATTER_ADD,     /* adjoint of gather: out (zeroed by this step) += in0 at in1 along iattr[0] */
    PK_STEP_TAKE_ALONG,      /* numpy.take_along_axis(in0, in1, iattr[0]) */
    PK_STEP_SCATTER_ALONG,   /* adjoint of take_along: out (zeroed here) */
    PK_STEP_ONE_HOT,         /* iattr[0] = depth */
    PK_STEP_TOPK,            /* iattr[0] = k, iattr[1] = axis; out int32 indices */
    PK_STEP_ARGSORT,         /* iattr[0] = axis, iattr[1] = descending */
    PK_STEP_CONV,            /* see conv fields */
    PK_STEP_CONV_TRANSPOSE,
    PK_STEP_CONV_WEIGHT_GRAD,
    PK_STEP_RANDOM_UNIFORM,  /* in0 = key int32[2]; out float32 contiguous of `count` elements */
    PK_STEP_RANDOM_NORMAL,
    PK_STEP_FOLD_IN,         /* iattr[0] = data */
    PK_STEP_IOTA,            /* out int32 view; iattr[0] = axis */
    PK_STEP_ATTENTION,       /* fused softmax(scale q kᵀ + bias, mask) v; see below */
    PK_STEP_ATTENTION_BACKWARD, /* its gradient wrt q, k, v (and bias) */
    PK_STEP_KIND_COUNT
};

typedef struct {
    int32_t kind;
    int32_t barrier_after;
    int32_t n_inputs;
    int32_t n_outputs;
    pk_view inputs[PK_MAX_INPUTS];
    pk_view outputs[4];
    int64_t iattr[16];
    float fattr[4];
    /* PK_STEP_ROWPROG: the program (owned by the plan) and the registers it needs. */
    const pk_instr *program;
    int32_t n_instr;
    int32_t n_registers;
    /* Per-thread scratch for this step: bytes per thread, at scratch base + tid * bytes. */
    int64_t scratch_per_thread;
} pk_step;

/*
 * Field use by kind (everything else is ignored):
 *  ROWPROG : inputs[0..n_inputs) views of shape outputs[0].shape; outputs[0..n_outputs).
 *            Row program registers live in scratch (n_registers * cols floats per thread, or
 *            n_registers * min(cols, tile) when the program has no ROW_ reduction).
 *  GEMM    : C = alpha * op(A) op(B) + beta * C for each batch index.
 *            inputs[0] = A, inputs[1] = B, outputs[0] = C, all with rank = batch rank + 2 and
 *            batch strides (0 = broadcast); the last two axes of each view are the matrix
 *            (row stride = view.strides[rank-2], must have unit column stride).
 *            iattr: [0] transA, [1] transB, [2] M, [3] N, [4] K; fattr: [0] alpha, [1] beta.
 *            If program != NULL it is an epilogue row program run on C's rows after they are
 *            computed: its input 0 is C itself, inputs[2..] are extra epilogue inputs (views of
 *            C's shape), and it stores output 0 back into C.
 *  REDUCE  : inputs[0] view with the FULL input shape; outputs[0] view with the same rank where
 *            reduced axes have extent 1 (stride ignored).
 *  CONV*   : inputs[0] = x / dy, inputs[1] = w / dy, outputs[0]; iattr: [0] spatial dims,
 *            [1] groups, [2..4] stride, [5..7] padding. Shapes come from the views.
 *  ATTENTION : per batch index (b, h): S = fattr[0] * q kᵀ (+ bias), S = -FLT_MAX where mask == 0
 *            (phenaki's masked_fill with -finfo.max: a fully masked row is a uniform softmax),
 *            o = softmax_j(S) v. inputs: [0] q [B,H,I,D], [1] k [B,H,J,D], [2] v [B,H,J,E], then
 *            bias f32 [B,H,I,J] if iattr[0] != 0, then mask int32/bool 0/1 [B,H,I,J] if iattr[1] != 0;
 *            outputs[0] = o [B,H,I,E]. All rank 4 with any strides (bias / mask may broadcast with
 *            stride 0). Never materialises S: blocks of query rows against blocks of keys with
 *            an online softmax in per-thread scratch. Work split: (b, h, query block) triples.
 *  ATTENTION_BACKWARD : inputs q, k, v, [bias], [mask] as above (iattr[0], iattr[1]), then
 *            o [B,H,I,E] (the forward output) and dO [B,H,I,E]; outputs [0] dq, [1] dk, [2] dv
 *            and, if iattr[2] != 0, [3] dbias [B,H,I,J] (stride 0 on an axis = summed over it);
 *            fattr[0] = scale. The step zeroes its outputs itself. Masked positions pass no
 *            gradient to q, k or bias (dS = 0 there). Work split: (b, h) pairs, with the pairs
 *            that share output elements (an output with stride 0 on B or H) on one thread.
 */

/*
 * Executor conventions (C side):
 *  - Scratch: thread `tid` of a step uses bases[PK_ARENA_SCRATCH] + tid * stride, where stride is
 *    `scratch_per_thread` (the plan's largest pk_step_scratch_bytes, set by the runtime on every
 *    step) or, if that is smaller, the step's own need. One stride for all steps matters: steps
 *    with no barrier between them run at once on different threads, and per-step strides would
 *    let one thread's region for step s+1 overlap another's for step s. The scratch arena must
 *    hold nthreads * stride bytes.
 *  - ROWPROG registers: n_registers * cols floats when the program has a ROW_SUM / ROW_MAX,
 *    else n_registers * min(element count, PK_ROWPROG_TILE) floats (no-reduction programs are
 *    run in tiles of at most PK_ROWPROG_TILE elements after merging axes contiguous in every view).
 *  - ROW_SUM, REDUCE sum/mean/logsumexp and the int32->float paths accumulate in double, in a fixed
 *    order that does not depend on the thread count; every output element is written by one thread.
 *  - GEMM epilogue: program input a == 0 reads C (outputs[0]), a >= 2 reads inputs[a]; a == 1
 *    (B) is not valid. Output 0 is C. GEMM needs unit column stride in A, B and C (unless that
 *    axis has extent 1), row strides >= the row length, batch axes of A and B with C's extents
 *    (stride 0 where broadcast) and iattr M, N, K matching the views (else PK_ERR_BAD_STEP).
 *    Work split: contiguous blocks of C's (batch, row) pairs per thread, each a 1-thread sgemm
 *    per batch entry it touches (whole matrices when batch % nthreads == 0); with fewer rows than
 *    threads and no epilogue, blocks of C's columns instead. The epilogue runs on the thread's
 *    own rows right after its sgemm calls.
 *  - ARGMAX / TOPK / ARGSORT write int32; ARGMAX's output may keep the axis (extent 1) or drop it.
 *  - GATHER: in0 x [A.., n, B..], in1 indices [I..], out [A.., I.., B..]; SCATTER_ADD: in0 updates
 *    [A.., I.., B..], in1 indices [I..], out [A.., size, B..] (size = out extent on the axis).
 *    TAKE_ALONG / SCATTER_ALONG: indices and updates share a shape; ONE_HOT: out = in0 shape + [depth].
 *  - RANDOM_*: element i of the output in row-major order uses counter(s) as in RNG.swift (any
 *    output strides). FOLD_IN: out int32[2]. IOTA / FILL / COPY honour any output strides;
 *    COPY converts when the dtypes differ (cast semantics); in and out must not overlap.
 *  - Out-of-range indices (GATHER, SCATTER_*, TAKE_ALONG, ONE_HOT) are not read or written: the
 *    affected output elements are 0 and the run records PK_ERR_INDEX_OUT_OF_RANGE.
 */
#define PK_ROWPROG_TILE 1024

/* Errors recorded by kernels. Within one run (pk_execute or pk_execute_step_serial) the first
 * error wins and the run returns its code. pk_last_error / pk_last_error_step report the first
 * error of the calling thread's runs since its last pk_clear_error (thread-local, so concurrent
 * runs on other threads never mix; sticky, so a loop of one-step runs keeps the first error). */
enum {
    PK_ERR_NONE = 0,
    PK_ERR_INDEX_OUT_OF_RANGE = 1, /* an index input outside its axis */
    PK_ERR_BAD_STEP = 2,           /* unknown kind / op, or views the kernel cannot handle */
    PK_ERR_NO_SCRATCH = 3,         /* a step needs scratch but bases[PK_ARENA_SCRATCH] is NULL */
    PK_ERR_BLAS = 4                /* OpenBLAS could not be loaded (see pk_blas_error) */
};
/* That error's code (PK_ERR_NONE if none since pk_clear_error). */
int32_t pk_last_error(void);
/* The index of the step that recorded it within its run (-1: none, or a serial run). */
int64_t pk_last_error_step(void);
void pk_clear_error(void);

/* Runs `n` steps inside one OpenMP parallel region with `nthreads` threads (<= 0: the OpenMP
 * default). bases[PK_ARENA_*] are the arena base pointers. OpenBLAS runs with 1 thread inside
 * (each thread calls it on its own rows); its previous thread count is restored afterwards.
 * Returns the run's first error (PK_ERR_NONE on success). */
int32_t pk_execute(const pk_step *steps, int64_t n, void *const *bases, int nthreads);

/* Runs one step on the calling thread only (tests and the reference path); returns its error. */
int32_t pk_execute_step_serial(const pk_step *step, void *const *bases);

/* Bytes of scratch one thread needs for `step` (0 if none). */
int64_t pk_step_scratch_bytes(const pk_step *step);

/* ---- Debug and diagnostic helpers ----
 * The runtime's arena debug mode (PlanExecutor debugArena) and its non-finite diagnosis use
 * these; none is called by pk_execute. Words are 4-byte elements. */
/* Writes `word` into `words` consecutive words at p (NaN poison, canaries). */
void pk_debug_fill(void *p, int64_t words, uint32_t word);
/* Index of the first of `words` words at p that differs from `word`, or -1. */
int64_t pk_debug_find_mismatch(const void *p, int64_t words, uint32_t word);
/* Row-major index of the first element of view v (under bases) whose bits equal `word`, or -1. */
int64_t pk_debug_view_find_word(const pk_view *v, void *const *bases, uint32_t word);
/* Row-major index of the first NaN or ±inf element of a float32 view, or -1 (-1 for int views). */
int64_t pk_view_find_nonfinite(const pk_view *v, void *const *bases);

/* ---- BLAS setup ----
 * Loads OpenBLAS (dlopen) after choosing its kernels: when the CPU and OS support AVX-512
 * (cpuid + xgetbv) and OPENBLAS_CORETYPE is unset, it sets OPENBLAS_CORETYPE=SkylakeX first,
 * because Debian's OpenBLAS 0.3.21 misdetects newer CPUs and falls back to slow generic code.
 * Returns 0 on success, or nonzero with a message in pk_blas_error(). Idempotent, thread-safe. */
int pk_blas_init(void);
const char *pk_blas_error(void);
/* The core type OpenBLAS reports (openblas_get_corename), after pk_blas_init. */
const char *pk_blas_corename(void);
/* Threads OpenBLAS uses for its own calls. It stays 1 (see pk_execute); only the sgemm
 * micro-benchmark raises it, to compare OpenBLAS's own threading with the executor's. */
void pk_blas_set_threads(int n);

#endif
