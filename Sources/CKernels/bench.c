/* Micro-benchmarks (pk_bench.h): median wall time of repeated runs of one step. */
#define _POSIX_C_SOURCE 200809L
#include "pk_bench.h"
#include "pk_build.h"
#include "pk_internal.h"
#include "ckernels.h"

#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static float *alloc_floats(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n * sizeof(float) + 64) != 0) return NULL;
    return (float *)p;
}

/* Times `iters` runs of a one-step plan (after one warm-up run). */
static double time_steps(const pk_step *steps, int64_t nsteps, void *const *bases, int iters, int nthreads) {
    if (iters < 1) iters = 1;
    double *t = malloc(sizeof(double) * (size_t)iters);
    if (!t) return -1;
    pk_execute(steps, nsteps, bases, nthreads);
    for (int i = 0; i < iters; i++) {
        double t0 = now();
        pk_execute(steps, nsteps, bases, nthreads);
        t[i] = now() - t0;
    }
    double m = median(t, iters);
    free(t);
    return m;
}

double pk_bench_sgemm(int M, int N, int K, int iters, int nthreads, int mode) {
    if (pk_blas_init() != 0 || M < 1 || N < 1 || K < 1) return -1;
    float *A = alloc_floats((size_t)M * K), *B = alloc_floats((size_t)K * N), *C = alloc_floats((size_t)M * N);
    double result = -1;
    if (A && B && C) {
        for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)((i * 7) % 13) * 0.1f - 0.6f;
        for (size_t i = 0; i < (size_t)K * N; i++) B[i] = (float)((i * 5) % 11) * 0.1f - 0.5f;
        memset(C, 0, (size_t)M * N * 4);
        if (mode == 0) {
            void *bases[PK_ARENA_COUNT] = {A, B, C, NULL};
            pk_step st;
            pk_view v;
            int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
            pk_step_init(&st, PK_STEP_GEMM);
            pk_view_set(&v, 0, PK_F32, 0, 2, sa, NULL);
            pk_step_set_input(&st, 0, &v);
            pk_view_set(&v, 1, PK_F32, 0, 2, sb, NULL);
            pk_step_set_input(&st, 1, &v);
            pk_view_set(&v, 2, PK_F32, 0, 2, sc, NULL);
            pk_step_set_output(&st, 0, &v);
            st.iattr[2] = M, st.iattr[3] = N, st.iattr[4] = K;
            st.fattr[0] = 1, st.fattr[1] = 0;
            result = time_steps(&st, 1, bases, iters, nthreads);
        } else {
            int saved = pk_blas_get_threads();
            pk_blas_set_threads(nthreads);
            double *t = malloc(sizeof(double) * (size_t)(iters < 1 ? 1 : iters));
            if (t) {
                if (iters < 1) iters = 1;
                pk_cblas_sgemm(PK_CBLAS_ROW_MAJOR, PK_CBLAS_NO_TRANS, PK_CBLAS_NO_TRANS, M, N, K, 1, A, K, B, N, 0, C, N);
                for (int i = 0; i < iters; i++) {
                    double t0 = now();
                    pk_cblas_sgemm(PK_CBLAS_ROW_MAJOR, PK_CBLAS_NO_TRANS, PK_CBLAS_NO_TRANS, M, N, K, 1, A, K, B, N, 0, C,
                                   N);
                    t[i] = now() - t0;
                }
                result = median(t, iters);
                free(t);
            }
            pk_blas_set_threads(saved);
        }
    }
    free(A), free(B), free(C);
    return result;
}

double pk_bench_copy(size_t bytes, int iters, int nthreads) {
    size_t n = bytes / 4;
    float *src = alloc_floats(n), *dst = alloc_floats(n);
    double result = -1;
    if (src && dst && n > 0) {
        for (size_t i = 0; i < n; i++) src[i] = (float)i, dst[i] = 0;
        void *bases[PK_ARENA_COUNT] = {src, dst, NULL, NULL};
        pk_step st;
        pk_view v;
        int64_t shape[1] = {(int64_t)n};
        pk_step_init(&st, PK_STEP_COPY);
        pk_view_set(&v, 0, PK_F32, 0, 1, shape, NULL);
        pk_step_set_input(&st, 0, &v);
        pk_view_set(&v, 1, PK_F32, 0, 1, shape, NULL);
        pk_step_set_output(&st, 0, &v);
        result = time_steps(&st, 1, bases, iters, nthreads);
    }
    free(src), free(dst);
    return result;
}

double pk_bench_rowprog_softmax(int rows, int cols, int iters, int nthreads) {
    size_t n = (size_t)rows * cols;
    float *x = alloc_floats(n), *y = alloc_floats(n);
    int nth = nthreads > 0 ? nthreads : pk_max_threads();
    double result = -1;
    pk_instr prog[7] = {
        pk_instr_make(PK_OP_LOAD, 0, 0, 0, 0, 0, 0),    pk_instr_make(PK_OP_ROW_MAX, 1, 0, 0, 0, 0, 0),
        pk_instr_make(PK_OP_SUB, 0, 0, 1, 0, 0, 0),     pk_instr_make(PK_OP_EXP, 0, 0, 0, 0, 0, 0),
        pk_instr_make(PK_OP_ROW_SUM, 1, 0, 0, 0, 0, 0), pk_instr_make(PK_OP_DIV, 0, 0, 1, 0, 0, 0),
        pk_instr_make(PK_OP_STORE, 0, 0, 0, 0, 0, 0),
    };
    if (x && y && n > 0) {
        for (size_t i = 0; i < n; i++) x[i] = (float)((i * 37) % 101) * 0.05f - 2.5f;
        pk_step st;
        pk_view v;
        int64_t shape[2] = {rows, cols};
        pk_step_init(&st, PK_STEP_ROWPROG);
        pk_view_set(&v, 0, PK_F32, 0, 2, shape, NULL);
        pk_step_set_input(&st, 0, &v);
        pk_view_set(&v, 1, PK_F32, 0, 2, shape, NULL);
        pk_step_set_output(&st, 0, &v);
        st.program = prog, st.n_instr = 7, st.n_registers = 2;
        int64_t per = pk_step_scratch_bytes(&st);
        char *scratch = malloc((size_t)(per * nth + 64));
        if (scratch) {
            void *bases[PK_ARENA_COUNT] = {x, y, NULL, (void *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63)};
            result = time_steps(&st, 1, bases, iters, nth);
            free(scratch);
        }
    }
    free(x), free(y);
    return result;
}

double pk_bench_rowprog_gelu(size_t n, int iters, int nthreads) {
    float *x = alloc_floats(n), *y = alloc_floats(n), *z = alloc_floats(n);
    int nth = nthreads > 0 ? nthreads : pk_max_threads();
    double result = -1;
    pk_instr prog[5] = {
        pk_instr_make(PK_OP_LOAD, 0, 0, 0, 0, 0, 0), pk_instr_make(PK_OP_LOAD, 1, 1, 0, 0, 0, 0),
        pk_instr_make(PK_OP_GELU, 0, 0, 0, 0, 0, 0), pk_instr_make(PK_OP_MUL, 0, 0, 1, 0, 0, 0),
        pk_instr_make(PK_OP_STORE, 0, 0, 0, 0, 0, 0),
    };
    if (x && y && z && n > 0) {
        for (size_t i = 0; i < n; i++) {
            x[i] = (float)((i * 37) % 101) * 0.05f - 2.5f;
            y[i] = (float)((i * 11) % 29) * 0.1f - 1.4f;
            z[i] = 0;
        }
        pk_step st;
        pk_view v;
        int64_t shape[1] = {(int64_t)n};
        pk_step_init(&st, PK_STEP_ROWPROG);
        pk_view_set(&v, 0, PK_F32, 0, 1, shape, NULL);
        pk_step_set_input(&st, 0, &v);
        pk_view_set(&v, 1, PK_F32, 0, 1, shape, NULL);
        pk_step_set_input(&st, 1, &v);
        pk_view_set(&v, 2, PK_F32, 0, 1, shape, NULL);
        pk_step_set_output(&st, 0, &v);
        st.program = prog, st.n_instr = 5, st.n_registers = 2;
        int64_t per = pk_step_scratch_bytes(&st);
        char *scratch = malloc((size_t)(per * nth + 64));
        if (scratch) {
            void *bases[PK_ARENA_COUNT] = {x, y, z, (void *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63)};
            result = time_steps(&st, 1, bases, iters, nth);
            free(scratch);
        }
    }
    free(x), free(y), free(z);
    return result;
}

double pk_bench_attention(int B, int H, int I, int D, int iters, int nthreads, int backward) {
    if (pk_blas_init() != 0 || B < 1 || H < 1 || I < 1 || D < 1) return -1;
    const int J = I, E = D;
    size_t nq = (size_t)B * H * I * D;
    /* activations: q, k, v, o, dO, dq, dk, dv (each B*H*I*D floats, I == J, D == E) */
    float *act = alloc_floats(8 * nq);
    int nth = nthreads > 0 ? nthreads : pk_max_threads();
    double result = -1;
    if (act) {
        for (size_t i = 0; i < 8 * nq; i++) act[i] = (float)((i * 37) % 101) * 0.02f - 1.0f;
        int64_t sq[4] = {B, H, I, D}, sk[4] = {B, H, J, D};
        pk_view v;
        pk_step fw, bw;
        pk_step_init(&fw, PK_STEP_ATTENTION);
        pk_step_init(&bw, PK_STEP_ATTENTION_BACKWARD);
        for (int t = 0; t < 3; t++) {
            pk_view_set(&v, 0, PK_F32, (int64_t)(t * nq * 4), 4, t == 0 ? sq : sk, NULL);
            pk_step_set_input(&fw, t, &v);
            pk_step_set_input(&bw, t, &v);
        }
        pk_view_set(&v, 0, PK_F32, (int64_t)(3 * nq * 4), 4, sq, NULL); /* o */
        pk_step_set_output(&fw, 0, &v);
        pk_step_set_input(&bw, 3, &v);
        pk_view_set(&v, 0, PK_F32, (int64_t)(4 * nq * 4), 4, sq, NULL); /* dO */
        pk_step_set_input(&bw, 4, &v);
        for (int t = 0; t < 3; t++) {
            pk_view_set(&v, 0, PK_F32, (int64_t)((5 + t) * nq * 4), 4, t == 0 ? sq : sk, NULL);
            pk_step_set_output(&bw, t, &v);
        }
        fw.fattr[0] = bw.fattr[0] = 0.125f;
        fw.barrier_after = bw.barrier_after = 1;
        int64_t per = pk_step_scratch_bytes(&fw), perb = pk_step_scratch_bytes(&bw);
        if (perb > per) per = perb;
        fw.scratch_per_thread = bw.scratch_per_thread = per;
        char *scratch = malloc((size_t)(per * nth + 64));
        if (scratch) {
            void *bases[PK_ARENA_COUNT] = {act, NULL, NULL, (void *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63)};
            pk_execute(&fw, 1, bases, nth); /* o for the backward */
            result = time_steps(backward ? &bw : &fw, 1, bases, iters, nth);
            free(scratch);
        }
    }
    free(act);
    return result;
}
