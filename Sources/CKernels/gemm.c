/* pk_sgemm (host wrapper) and the executor's GEMM step: each thread runs 1-thread OpenBLAS on
 * its own contiguous block of the (batch, row) pairs of C, or on a block of C's columns when C
 * has fewer rows than threads. */
#include "ckernels.h"
#include "pk_internal.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

void pk_sgemm(int transA, int transB, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc) {
    if (pk_blas_init() != 0) {
        fprintf(stderr, "pk_sgemm: %s\n", pk_blas_error());
        abort();
    }
    pk_cblas_sgemm(PK_CBLAS_ROW_MAJOR, transA ? PK_CBLAS_TRANS : PK_CBLAS_NO_TRANS,
                   transB ? PK_CBLAS_TRANS : PK_CBLAS_NO_TRANS, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int pk_max_threads(void) { return omp_get_max_threads(); }

/* The matrix geometry of one operand: row stride, and whether it is usable by BLAS. */
static int matrix_ld(const pk_view *v, int64_t *ld) {
    int r = v->rank;
    if (r < 2) return 0;
    int64_t rows = v->shape[r - 2], cols = v->shape[r - 1];
    if (cols > 1 && v->strides[r - 1] != 1) return 0;
    int64_t s = v->strides[r - 2];
    if (rows <= 1) s = cols > 1 ? cols : 1;
    if (s < (cols > 1 ? cols : 1)) return 0;
    *ld = s;
    return 1;
}

/* C rows [i0, i1) x columns [j0, j1) of batch entry `p` (flat over the batch axes). */
typedef struct {
    const pk_step *st;
    const float *A, *B;
    float *C;
    int64_t lda, ldb, ldc, M, N, K;
    int ta, tb, brank;
} gemm_ctx;

static void batch_bases(const gemm_ctx *g, int64_t p, const float **a, const float **b, float **c) {
    const pk_step *st = g->st;
    int64_t oa = 0, ob = 0, oc = 0;
    for (int d = g->brank - 1; d >= 0; d--) {
        int64_t e = st->outputs[0].shape[d];
        int64_t i = p % e;
        p /= e;
        oa += i * st->inputs[0].strides[d];
        ob += i * st->inputs[1].strides[d];
        oc += i * st->outputs[0].strides[d];
    }
    *a = g->A + oa;
    *b = g->B + ob;
    *c = g->C + oc;
}

static void block(const gemm_ctx *g, int64_t p, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    const float *a, *b;
    float *c;
    batch_bases(g, p, &a, &b, &c);
    const float alpha = g->st->fattr[0], beta = g->st->fattr[1];
    int64_t m = i1 - i0, n = j1 - j0;
    if (m <= 0 || n <= 0) return;
    a += g->ta ? i0 : i0 * g->lda;
    b += g->tb ? j0 * g->ldb : j0;
    c += i0 * g->ldc + j0;
    if (g->K == 0) {
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) c[i * g->ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * g->ldc + j];
        return;
    }
    pk_cblas_sgemm(PK_CBLAS_ROW_MAJOR, g->ta ? PK_CBLAS_TRANS : PK_CBLAS_NO_TRANS,
                   g->tb ? PK_CBLAS_TRANS : PK_CBLAS_NO_TRANS, (int)m, (int)n, (int)g->K, alpha, a, (int)g->lda,
                   b, (int)g->ldb, beta, c, (int)g->ldc);
}

/* op(A) is M x K, op(B) K x N, C M x N, and the batch axes have one extent (broadcast views
 * carry it with stride 0). */
static int shapes_agree(const gemm_ctx *g, const pk_view *a, const pk_view *b, const pk_view *c) {
    int r = c->rank;
    int64_t am = a->shape[r - 2 + g->ta], ak = a->shape[r - 1 - g->ta];
    int64_t bk = b->shape[r - 2 + g->tb], bn = b->shape[r - 1 - g->tb];
    if (c->shape[r - 2] != g->M || c->shape[r - 1] != g->N || am != g->M || bn != g->N || ak != g->K || bk != g->K)
        return 0;
    for (int d = 0; d < r - 2; d++)
        if (a->shape[d] != c->shape[d] || b->shape[d] != c->shape[d]) return 0;
    return 1;
}

void pk_k_gemm(const pk_step *st, void *const *bases, int tid, int nthreads) {
    if (pk_cblas_sgemm == NULL && pk_blas_init() != 0) {
        pk_set_error(PK_ERR_BLAS);
        return;
    }
    const pk_view *va = &st->inputs[0], *vb = &st->inputs[1], *vc = &st->outputs[0];
    gemm_ctx g = {.st = st, .ta = st->iattr[0] != 0, .tb = st->iattr[1] != 0,
                  .M = st->iattr[2], .N = st->iattr[3], .K = st->iattr[4], .brank = vc->rank - 2};
    if (vc->rank < 2 || va->rank != vc->rank || vb->rank != vc->rank || !matrix_ld(va, &g.lda) ||
        !matrix_ld(vb, &g.ldb) || !matrix_ld(vc, &g.ldc) || !shapes_agree(&g, va, vb, vc)) {
        if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
        return;
    }
    g.A = (const float *)pk_addr(bases, va);
    g.B = (const float *)pk_addr(bases, vb);
    g.C = (float *)pk_addr(bases, vc);
    int64_t batch = 1;
    for (int d = 0; d < g.brank; d++) batch *= vc->shape[d];
    int64_t rows = batch * g.M;
    if (rows == 0 || g.N == 0) return;

    if (st->program == NULL && rows < nthreads && g.N >= 2 * nthreads) {
        /* Too few rows: split the columns (each batch entry in turn). */
        int64_t j0, j1;
        pk_share(g.N, tid, nthreads, &j0, &j1);
        for (int64_t p = 0; p < batch; p++) block(&g, p, 0, g.M, j0, j1);
        return;
    }
    int64_t q0, q1;
    pk_share(rows, tid, nthreads, &q0, &q1);
    for (int64_t q = q0; q < q1;) {
        int64_t p = q / g.M, i = q % g.M;
        int64_t end = (p + 1) * g.M < q1 ? (p + 1) * g.M : q1;
        block(&g, p, i, i + (end - q), 0, g.N);
        q = end;
    }
    if (st->program != NULL && q1 > q0) {
        const pk_view *ins[PK_MAX_INPUTS];
        for (int i = 0; i < PK_MAX_INPUTS; i++) ins[i] = i == 0 ? vc : &st->inputs[i];
        const pk_view *outs[1] = {vc};
        float *regs = (float *)pk_scratch(st, bases, tid);
        if (regs == NULL) return;
        pk_rowprog_range(st->program, st->n_instr, st->n_registers, vc, ins, st->n_inputs > 1 ? st->n_inputs : 1,
                         outs, 1, bases, q0 * g.N, q1 * g.N, regs);
    }
}
