/* Fused attention (PK_STEP_ATTENTION) and its gradient (PK_STEP_ATTENTION_BACKWARD), in the
 * manner of flash attention: blocks of query rows meet blocks of keys, scores are computed with
 * 1-thread sgemm into per-thread scratch, and the softmax runs online (running max m, running
 * sum l, rescaled accumulator), so no [I, J] score matrix is ever materialised.
 *
 * Semantics (phenaki-pytorch): S = scale * q kᵀ + bias; masked positions (mask == 0) become
 * -FLT_MAX (masked_fill with -finfo.max: a fully masked row is a uniform softmax); P = softmax_j S;
 * o = P v. The backward recomputes S, takes the row max / sum from a first pass over the keys and
 * D_i = Σ_e dO·o from o, then dS = P ∘ (dP − D_i) with dP = dO vᵀ; masked positions get dS = 0
 * (masked_fill passes no gradient to what it replaced, so bias, q and k see none there; this also
 * holds in fully masked rows, where P is uniform and P ∘ (dP − D) would not vanish by itself).
 *
 * All views are rank 4 [B, H, rows, cols]: any element strides (packed into scratch when BLAS
 * cannot read them directly); bias / mask / dbias may have stride 0 on any axis.
 *
 * Per-thread scratch: kᵀ (and vᵀ for the backward) of the (b, h) being worked on, as key-block
 * panels (D·J floats, E·J), plus blocks of at most 64 query rows x 256 keys (S, dP) and packed
 * operand blocks. Forward work: (b, h, query block) triples, contiguous per thread (so kᵀ is
 * reused across a head's query blocks). Backward work: whole (b, h) pairs, grouped by the output
 * elements they share, so every output element has one writer and one summation order. */
#include "pk_internal.h"
#include "fastmath.h"

#include <float.h>
#include <limits.h>

/* Query rows per block and the largest key block; actual blocks are balanced (equal sizes up to
 * one) so an extent just above a multiple does not leave a sliver. */
#ifndef ATT_BQ
#define ATT_BQ 64
#endif
#ifndef ATT_BK
#define ATT_BK 256
#endif

typedef struct {
    const char *p;
    int32_t dtype;
    int64_t s[4];
} att_arr;

typedef struct {
    int64_t B, H, I, J, D, E;
    float scale;
    int has_bias, has_mask;
    att_arr q, k, v, bias, mask, o, dO;   /* o is the forward output or the backward input */
    att_arr dq, dk, dv, dbias;            /* backward outputs */
    int has_dbias;
    int64_t bq, nib, bk, njb;             /* block sizes and counts */
} att_ctx;

static void arr_of(att_arr *a, void *const *bases, const pk_view *v) {
    a->p = pk_addr(bases, v);
    a->dtype = v->ref.dtype;
    for (int d = 0; d < 4; d++) a->s[d] = v->strides[d];
}

static int shape_is(const pk_view *v, int64_t a, int64_t b, int64_t c, int64_t d) {
    return v->rank == 4 && v->shape[0] == a && v->shape[1] == b && v->shape[2] == c && v->shape[3] == d;
}

static void blocks(int64_t n, int64_t max, int64_t *size, int64_t *count) {
    int64_t c = n <= 0 ? 0 : (n + max - 1) / max;
    *count = c;
    *size = c == 0 ? 0 : (n + c - 1) / c;
}

/* Reads the step's views (bases may be NULL: shapes only). Returns 0 when they do not fit. */
static int parse(const pk_step *st, void *const *bases, att_ctx *a, int backward) {
    memset(a, 0, sizeof *a);
    a->has_bias = st->iattr[0] != 0;
    a->has_mask = st->iattr[1] != 0;
    a->has_dbias = backward && st->iattr[2] != 0;
    a->scale = st->fattr[0];
    int n_in = 3 + a->has_bias + a->has_mask + (backward ? 2 : 0);
    int n_out = backward ? 3 + a->has_dbias : 1;
    if (st->n_inputs < n_in || st->n_outputs < n_out || n_in > PK_MAX_INPUTS) return 0;
    const pk_view *q = &st->inputs[0], *k = &st->inputs[1], *v = &st->inputs[2];
    if (q->rank != 4 || k->rank != 4 || v->rank != 4) return 0;
    a->B = q->shape[0], a->H = q->shape[1], a->I = q->shape[2], a->D = q->shape[3];
    a->J = k->shape[2], a->E = v->shape[3];
    if (!shape_is(k, a->B, a->H, a->J, a->D) || !shape_is(v, a->B, a->H, a->J, a->E)) return 0;
    if (q->ref.dtype != PK_F32 || k->ref.dtype != PK_F32 || v->ref.dtype != PK_F32) return 0;
    int idx = 3;
    const pk_view *bias = a->has_bias ? &st->inputs[idx++] : NULL;
    const pk_view *mask = a->has_mask ? &st->inputs[idx++] : NULL;
    if (bias && (!shape_is(bias, a->B, a->H, a->I, a->J) || bias->ref.dtype != PK_F32)) return 0;
    if (mask && !shape_is(mask, a->B, a->H, a->I, a->J)) return 0;
    const pk_view *o, *dO = NULL, *dq = NULL, *dk = NULL, *dv = NULL, *dbias = NULL;
    if (backward) {
        o = &st->inputs[idx++];
        dO = &st->inputs[idx++];
        dq = &st->outputs[0], dk = &st->outputs[1], dv = &st->outputs[2];
        if (a->has_dbias) dbias = &st->outputs[3];
        if (!shape_is(dO, a->B, a->H, a->I, a->E) || dO->ref.dtype != PK_F32) return 0;
        if (!shape_is(dq, a->B, a->H, a->I, a->D) || !shape_is(dk, a->B, a->H, a->J, a->D) ||
            !shape_is(dv, a->B, a->H, a->J, a->E))
            return 0;
        if (dq->ref.dtype != PK_F32 || dk->ref.dtype != PK_F32 || dv->ref.dtype != PK_F32) return 0;
        if (dbias && (!shape_is(dbias, a->B, a->H, a->I, a->J) || dbias->ref.dtype != PK_F32)) return 0;
    } else {
        o = &st->outputs[0];
    }
    if (!shape_is(o, a->B, a->H, a->I, a->E) || o->ref.dtype != PK_F32) return 0;
    blocks(a->I, ATT_BQ, &a->bq, &a->nib);
    blocks(a->J, ATT_BK, &a->bk, &a->njb);
    if (bases == NULL) return 1;
    arr_of(&a->q, bases, q), arr_of(&a->k, bases, k), arr_of(&a->v, bases, v), arr_of(&a->o, bases, o);
    if (bias) arr_of(&a->bias, bases, bias);
    if (mask) arr_of(&a->mask, bases, mask);
    if (backward) {
        arr_of(&a->dO, bases, dO), arr_of(&a->dq, bases, dq), arr_of(&a->dk, bases, dk), arr_of(&a->dv, bases, dv);
        if (dbias) arr_of(&a->dbias, bases, dbias);
    }
    return 1;
}

/* ---- scratch layout (floats, each region 64-byte aligned) ---- */

static int64_t up16(int64_t n) { return (n + 15) / 16 * 16; }

typedef struct {
    float *S, *dP, *acc, *m, *l, *Di, *qp, *kp, *vp, *dOp, *tmp, *kt, *vt;
} att_scratch;

/* Lays out (or, with base NULL, measures) one thread's scratch; returns its size in floats. */
static int64_t layout(const att_ctx *a, int backward, float *base, att_scratch *s) {
    int64_t at = 0, bq = a->bq, bk = a->bk, D = a->D, E = a->E;
    int64_t DE = D > E ? D : E;
#define TAKE(field, n) do { if (base) s->field = base + at; at += up16(n); } while (0)
    TAKE(kt, D * a->J);  /* kᵀ of the current (b, h), as key-block panels: scores are an NN product */
    TAKE(S, bq * bk);
    TAKE(m, bq);
    TAKE(l, bq);
    TAKE(qp, bq * D);
    if (backward) {
        TAKE(vt, E * a->J); /* vᵀ of the current (b, h), for dP = dO vᵀ */
        TAKE(kp, bk * D);
        TAKE(dP, bq * bk);
        TAKE(acc, bq * D);   /* dq block */
        TAKE(Di, bq);
        TAKE(dOp, bq * E);
        TAKE(tmp, bk * DE);  /* dk / dv block when the output is not BLAS-writable */
    } else {
        TAKE(acc, bq * E);   /* o block */
        TAKE(vp, bk * E);
    }
#undef TAKE
    return at;
}

int64_t pk_attention_scratch_bytes(const pk_step *st) {
    att_ctx a;
    int backward = st->kind == PK_STEP_ATTENTION_BACKWARD;
    if (!parse(st, NULL, &a, backward) || a.I == 0 || a.J == 0 || a.B == 0 || a.H == 0) return 0;
    return layout(&a, backward, NULL, NULL) * 4;
}

/* ---- BLAS helpers ---- */

/* C (ldc) = alpha op(A) op(B) + beta C; K == 0 handled here (C = beta C). */
static void mm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
               const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    pk_cblas_sgemm(PK_CBLAS_ROW_MAJOR, ta ? PK_CBLAS_TRANS : PK_CBLAS_NO_TRANS, tb ? PK_CBLAS_TRANS : PK_CBLAS_NO_TRANS,
                   (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* Rows [r0, r0 + n) of the (· x cols) matrix at p (row stride rs, column stride cs) as a BLAS
 * operand: the view itself when it has unit columns and non-overlapping rows, else a packed copy. */
static const float *operand(const float *p, int64_t rs, int64_t cs, int64_t r0, int64_t n, int64_t cols,
                            float *pack, int64_t *ld) {
    const float *first = p + r0 * rs;
    if ((cs == 1 || cols <= 1) && (n <= 1 || rs >= cols) && rs <= INT_MAX) {
        *ld = (n <= 1 && rs < cols) ? (cols > 0 ? cols : 1) : (rs > 0 ? rs : 1);
        return first;
    }
    for (int64_t r = 0; r < n; r++) {
        const float *src = first + r * rs;
        float *dst = pack + r * cols;
        for (int64_t c = 0; c < cols; c++) dst[c] = src[c * cs];
    }
    *ld = cols > 0 ? cols : 1;
    return pack;
}

/* out (rows r0.., row stride rs, column stride cs) += alpha op(A) op(B), an M x N product:
 * straight into the view when BLAS can write it, else through `tmp` (M * N floats). */
static void mm_acc(float *out, int64_t rs, int64_t cs, int64_t M, int64_t N, int64_t K, int ta, int tb, float alpha,
                   const float *A, int64_t lda, const float *B, int64_t ldb, float *tmp) {
    if (M <= 0 || N <= 0 || K <= 0) return;
    if ((cs == 1 || N == 1) && (M == 1 || rs >= N) && rs <= INT_MAX) {
        mm(ta, tb, M, N, K, alpha, A, lda, B, ldb, 1.0f, out, (M == 1 && rs < N) ? N : rs);
        return;
    }
    mm(ta, tb, M, N, K, alpha, A, lda, B, ldb, 0.0f, tmp, N);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) out[i * rs + j * cs] += tmp[i * N + j];
}

/* Base pointer of the [rows, cols] matrix (b, h) of an f32 array. */
static inline const float *mat(const att_arr *x, int64_t b, int64_t h) {
    return (const float *)x->p + b * x->s[0] + h * x->s[1];
}
static inline float *mat_w(const att_arr *x, int64_t b, int64_t h) {
    return (float *)x->p + b * x->s[0] + h * x->s[1];
}

/* ---- score rows ---- */

/* Adds bias and applies the mask to score row i (columns j0 .. j0 + n) of (b, h). */
static void bias_mask_row(const att_ctx *a, float *s, int64_t b, int64_t h, int64_t i, int64_t j0, int64_t n) {
    if (a->has_bias) {
        const float *bp = (const float *)a->bias.p + b * a->bias.s[0] + h * a->bias.s[1] + i * a->bias.s[2] +
                          j0 * a->bias.s[3];
        int64_t bs = a->bias.s[3];
        if (bs == 1) {
#pragma omp simd
            for (int64_t c = 0; c < n; c++) s[c] += bp[c];
        } else if (bs == 0) {
            float x = bp[0];
#pragma omp simd
            for (int64_t c = 0; c < n; c++) s[c] += x;
        } else
            for (int64_t c = 0; c < n; c++) s[c] += bp[c * bs];
    }
    if (a->has_mask) {
        int64_t off = b * a->mask.s[0] + h * a->mask.s[1] + i * a->mask.s[2] + j0 * a->mask.s[3];
        int64_t ms = a->mask.s[3];
        if (a->mask.dtype == PK_F32) {
            const float *mp = (const float *)a->mask.p + off;
            for (int64_t c = 0; c < n; c++)
                if (mp[c * ms] == 0.0f) s[c] = -FLT_MAX;
        } else {
            const int32_t *mp = (const int32_t *)a->mask.p + off;
            if (ms == 1) {
#pragma omp simd
                for (int64_t c = 0; c < n; c++) s[c] = mp[c] == 0 ? -FLT_MAX : s[c];
            } else
                for (int64_t c = 0; c < n; c++)
                    if (mp[c * ms] == 0) s[c] = -FLT_MAX;
        }
    }
}

/* Zeroes dS where the mask is 0 (row i, columns j0 .. j0 + n). */
static void mask_zero_row(const att_ctx *a, float *s, int64_t b, int64_t h, int64_t i, int64_t j0, int64_t n) {
    int64_t off = b * a->mask.s[0] + h * a->mask.s[1] + i * a->mask.s[2] + j0 * a->mask.s[3];
    int64_t ms = a->mask.s[3];
    if (a->mask.dtype == PK_F32) {
        const float *mp = (const float *)a->mask.p + off;
        for (int64_t c = 0; c < n; c++)
            if (mp[c * ms] == 0.0f) s[c] = 0.0f;
    } else {
        const int32_t *mp = (const int32_t *)a->mask.p + off;
        if (ms == 1) {
#pragma omp simd
            for (int64_t c = 0; c < n; c++) s[c] = mp[c] == 0 ? 0.0f : s[c];
        } else
            for (int64_t c = 0; c < n; c++)
                if (mp[c * ms] == 0) s[c] = 0.0f;
    }
}

/* The row's maximum: 16 lanes of element-wise maxima (vectorises without fast-math), then a fold. */
static inline float row_max(const float *s, int64_t n) {
    float lane[16];
    for (int k = 0; k < 16; k++) lane[k] = -INFINITY;
    int64_t c = 0;
    for (; c + 16 <= n; c += 16)
        for (int k = 0; k < 16; k++) lane[k] = s[c + k] > lane[k] ? s[c + k] : lane[k];
    float mx = -INFINITY;
    for (int k = 0; k < 16; k++) mx = lane[k] > mx ? lane[k] : mx;
    for (; c < n; c++) mx = s[c] > mx ? s[c] : mx;
    return mx;
}

/* The row's sum: 16 lanes of partial sums (no loop-carried add chain), then a fold. */
static inline float row_sum(const float *s, int64_t n) {
    float lane[16];
    for (int k = 0; k < 16; k++) lane[k] = 0.0f;
    int64_t c = 0;
    for (; c + 16 <= n; c += 16)
        for (int k = 0; k < 16; k++) lane[k] += s[c + k];
    float sum = 0.0f;
    for (int k = 0; k < 16; k++) sum += lane[k];
    for (; c < n; c++) sum += s[c];
    return sum;
}

/* s[c] = exp(s[c] - shift); returns the sum. */
static inline float exp_row(float *s, int64_t n, float shift) {
#pragma omp simd
    for (int64_t c = 0; c < n; c++) s[c] = pk_expf(s[c] - shift);
    return row_sum(s, n);
}

/* dst (cols x rows, row stride rows) = the transpose of the rows x cols matrix at src (row stride
 * rs, column stride cs), 16 source rows at a time so each destination run is contiguous. OpenBLAS
 * runs row-major A Bᵀ through its packing path but A B through its small-matrix kernels (no
 * packing), so kᵀ and vᵀ are made once per (b, h): 1.25x faster forward, 1.17x backward at
 * B 4, H 8, I = J = 576, D = E = 64. */
static void transpose(float *dst, const float *src, int64_t rs, int64_t cs, int64_t rows, int64_t cols) {
    if (cols <= 0) return;
    for (int64_t r0 = 0; r0 < rows; r0 += 16) {
        int64_t nr = rows - r0 < 16 ? rows - r0 : 16;
        for (int64_t c = 0; c < cols; c++) {
            float *d = dst + c * rows + r0;
            const float *x = src + r0 * rs + c * cs;
            for (int64_t r = 0; r < nr; r++) d[r] = x[r * rs];
        }
    }
}

/* xᵀ of (b, h) as one cols x nk panel per key block, each with row stride nk (key block jb's
 * panel starts at element j0 * cols). */
static void panels(const att_ctx *a, float *dst, const att_arr *x, int64_t b, int64_t h, int64_t cols) {
    for (int64_t jb = 0; jb < a->njb; jb++) {
        int64_t j0 = jb * a->bk, nk = a->J - j0 < a->bk ? a->J - j0 : a->bk;
        transpose(dst + j0 * cols, mat(x, b, h) + j0 * x->s[2], x->s[2], x->s[3], nk, cols);
    }
}

/* The score block S (nq x nk, row stride bk) of (b, h): rows i0.., keys j0.., with bias and mask.
 * Q is the packed / direct query block (ldq); w->kt holds kᵀ of (b, h). */
static void scores(const att_ctx *a, att_scratch *w, int64_t b, int64_t h, int64_t i0, int64_t nq, int64_t j0,
                   int64_t nk, const float *Q, int64_t ldq) {
    mm(0, 0, nq, nk, a->D, a->scale, Q, ldq, w->kt + j0 * a->D, nk, 0.0f, w->S, a->bk);
    if (a->has_bias || a->has_mask)
        for (int64_t r = 0; r < nq; r++) bias_mask_row(a, w->S + r * a->bk, b, h, i0 + r, j0, nk);
}

/* ---- forward ---- */

static void forward_block(const att_ctx *a, att_scratch *w, int64_t b, int64_t h, int64_t i0, int64_t nq) {
    const int64_t bk = a->bk, E = a->E;
    int64_t ldq;
    const float *Q = operand(mat(&a->q, b, h), a->q.s[2], a->q.s[3], i0, nq, a->D, w->qp, &ldq);
    for (int64_t r = 0; r < nq; r++) w->m[r] = -INFINITY, w->l[r] = 0.0f;
    for (int64_t jb = 0; jb < a->njb; jb++) {
        int64_t j0 = jb * bk, nk = a->J - j0 < bk ? a->J - j0 : bk;
        scores(a, w, b, h, i0, nq, j0, nk, Q, ldq);
        for (int64_t r = 0; r < nq; r++) {
            float *s = w->S + r * bk;
            float mold = w->m[r], mnew = row_max(s, nk);
            mnew = mold > mnew ? mold : mnew;
            /* A row that is -inf so far (bias -inf) keeps shift 0: exp(-inf) = 0, no NaN. */
            float shift = mnew == -INFINITY ? 0.0f : mnew;
            float alpha = pk_expf(mold - shift);
            float sum = exp_row(s, nk, shift);
            w->l[r] = w->l[r] * alpha + sum;
            w->m[r] = mnew;
            if (jb > 0 && alpha != 1.0f) {
                float *acc = w->acc + r * E;
#pragma omp simd
                for (int64_t e = 0; e < E; e++) acc[e] *= alpha;
            }
        }
        int64_t ldv;
        const float *V = operand(mat(&a->v, b, h), a->v.s[2], a->v.s[3], j0, nk, E, w->vp, &ldv);
        mm(0, 0, nq, E, nk, 1.0f, w->S, bk, V, ldv, jb == 0 ? 0.0f : 1.0f, w->acc, E);
    }
    float *o = mat_w(&a->o, b, h);
    const int64_t ors = a->o.s[2], ocs = a->o.s[3];
    for (int64_t r = 0; r < nq; r++) {
        const float *acc = w->acc + r * E;
        float inv = 1.0f / w->l[r];
        float *orow = o + (i0 + r) * ors;
        if (ocs == 1) {
#pragma omp simd
            for (int64_t e = 0; e < E; e++) orow[e] = acc[e] * inv;
        } else
            for (int64_t e = 0; e < E; e++) orow[e * ocs] = acc[e] * inv;
    }
}

void pk_k_attention(const pk_step *st, void *const *bases, int tid, int nthreads) {
    att_ctx a;
    if (!parse(st, bases, &a, 0)) {
        if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
        return;
    }
    if (pk_cblas_sgemm == NULL && pk_blas_init() != 0) {
        if (tid == 0) pk_set_error(PK_ERR_BLAS);
        return;
    }
    int64_t total = a.B * a.H * a.nib, lo, hi;
    if (a.E == 0) return;
    if (a.J == 0) {
        /* Softmax over no keys: 0 / 0 as in the reference. */
        pk_share(a.B * a.H * a.I, tid, nthreads, &lo, &hi);
        for (int64_t t = lo; t < hi; t++) {
            int64_t i = t % a.I, h = (t / a.I) % a.H, b = t / (a.I * a.H);
            float *orow = mat_w(&a.o, b, h) + i * a.o.s[2];
            for (int64_t e = 0; e < a.E; e++) orow[e * a.o.s[3]] = NAN;
        }
        return;
    }
    pk_share(total, tid, nthreads, &lo, &hi);
    if (lo >= hi) return;
    float *base = (float *)pk_scratch(st, bases, tid);
    if (base == NULL) return;
    att_scratch w;
    layout(&a, 0, base, &w);
    int64_t cached = -1; /* the (b, h) whose kᵀ is in w.kt */
    for (int64_t t = lo; t < hi; t++) {
        int64_t ib = t % a.nib, h = (t / a.nib) % a.H, b = t / (a.nib * a.H);
        int64_t i0 = ib * a.bq, nq = a.I - i0 < a.bq ? a.I - i0 : a.bq;
        if (t / a.nib != cached) {
            panels(&a, w.kt, &a.k, b, h, a.D);
            cached = t / a.nib;
        }
        forward_block(&a, &w, b, h, i0, nq);
    }
}

/* ---- backward ---- */

static void zero_mat(const att_arr *x, int64_t b, int64_t h, int64_t rows, int64_t cols) {
    float *p = mat_w(x, b, h);
    for (int64_t r = 0; r < rows; r++) {
        float *row = p + r * x->s[2];
        if (x->s[3] == 1) memset(row, 0, (size_t)cols * sizeof(float));
        else
            for (int64_t c = 0; c < cols; c++) row[c * x->s[3]] = 0.0f;
    }
}

static void backward_block(const att_ctx *a, att_scratch *w, int64_t b, int64_t h, int64_t i0, int64_t nq) {
    const int64_t bk = a->bk, D = a->D, E = a->E;
    int64_t ldq, lddo;
    const float *Q = operand(mat(&a->q, b, h), a->q.s[2], a->q.s[3], i0, nq, D, w->qp, &ldq);
    const float *dO = operand(mat(&a->dO, b, h), a->dO.s[2], a->dO.s[3], i0, nq, E, w->dOp, &lddo);

    /* Pass 1: row max and sum of exp over all keys. */
    for (int64_t r = 0; r < nq; r++) w->m[r] = -INFINITY, w->l[r] = 0.0f;
    for (int64_t jb = 0; jb < a->njb; jb++) {
        int64_t j0 = jb * bk, nk = a->J - j0 < bk ? a->J - j0 : bk;
        scores(a, w, b, h, i0, nq, j0, nk, Q, ldq);
        for (int64_t r = 0; r < nq; r++) {
            float *s = w->S + r * bk;
            float mold = w->m[r], mnew = row_max(s, nk);
            mnew = mold > mnew ? mold : mnew;
            float shift = mnew == -INFINITY ? 0.0f : mnew;
            float sum = exp_row(s, nk, shift);
            w->l[r] = w->l[r] * pk_expf(mold - shift) + sum;
            w->m[r] = mnew;
        }
    }
    /* m becomes the exp shift, l its reciprocal; D_i = Σ_e dO·o. */
    const float *o = mat(&a->o, b, h);
    for (int64_t r = 0; r < nq; r++) {
        if (w->m[r] == -INFINITY) w->m[r] = 0.0f;
        w->l[r] = 1.0f / w->l[r];
        const float *orow = o + (i0 + r) * a->o.s[2];
        const float *drow = dO + r * lddo;
        float d = 0.0f;
        if (a->o.s[3] == 1) {
#pragma omp simd reduction(+ : d)
            for (int64_t e = 0; e < E; e++) d += drow[e] * orow[e];
        } else
            for (int64_t e = 0; e < E; e++) d += drow[e] * orow[e * a->o.s[3]];
        w->Di[r] = d;
    }

    /* Pass 2. */
    float *dk = mat_w(&a->dk, b, h), *dv = mat_w(&a->dv, b, h);
    for (int64_t jb = 0; jb < a->njb; jb++) {
        int64_t j0 = jb * bk, nk = a->J - j0 < bk ? a->J - j0 : bk;
        int64_t ldk;
        scores(a, w, b, h, i0, nq, j0, nk, Q, ldq);
        const float *K = operand(mat(&a->k, b, h), a->k.s[2], a->k.s[3], j0, nk, D, w->kp, &ldk);
        /* dP = dO vᵀ */
        mm(0, 0, nq, nk, E, 1.0f, dO, lddo, w->vt + j0 * E, nk, 0.0f, w->dP, bk);
        for (int64_t r = 0; r < nq; r++) {
            float *s = w->S + r * bk, *dp = w->dP + r * bk;
            const float shift = w->m[r], inv = w->l[r], di = w->Di[r];
#pragma omp simd
            for (int64_t c = 0; c < nk; c++) {
                float p = pk_expf(s[c] - shift) * inv;
                s[c] = p;
                dp[c] = p * (dp[c] - di);
            }
            if (a->has_mask) mask_zero_row(a, dp, b, h, i0 + r, j0, nk);
            if (a->has_dbias) {
                float *db = mat_w(&a->dbias, b, h) + (i0 + r) * a->dbias.s[2] + j0 * a->dbias.s[3];
                int64_t ds = a->dbias.s[3];
                if (ds == 1) {
#pragma omp simd
                    for (int64_t c = 0; c < nk; c++) db[c] += dp[c];
                } else
                    for (int64_t c = 0; c < nk; c++) db[c * ds] += dp[c];
            }
        }
        /* dq block (+)= scale dS k */
        mm(0, 0, nq, D, nk, a->scale, w->dP, bk, K, ldk, jb == 0 ? 0.0f : 1.0f, w->acc, D);
        /* dk rows j0.. += scale dSᵀ q ; dv rows j0.. += Pᵀ dO */
        mm_acc(dk + j0 * a->dk.s[2], a->dk.s[2], a->dk.s[3], nk, D, nq, 1, 0, a->scale, w->dP, bk, Q, ldq, w->tmp);
        mm_acc(dv + j0 * a->dv.s[2], a->dv.s[2], a->dv.s[3], nk, E, nq, 1, 0, 1.0f, w->S, bk, dO, lddo, w->tmp);
    }
    float *dq = mat_w(&a->dq, b, h);
    for (int64_t r = 0; r < nq; r++) {
        float *row = dq + (i0 + r) * a->dq.s[2];
        const float *acc = w->acc + r * D;
        if (a->dq.s[3] == 1) {
#pragma omp simd
            for (int64_t d = 0; d < D; d++) row[d] += acc[d];
        } else
            for (int64_t d = 0; d < D; d++) row[d * a->dq.s[3]] += acc[d];
    }
}

/* Whether output x shares elements across axis `axis` (stride 0 with extent > 1). */
static int shared_axis(const att_arr *x, int64_t extent, int axis) { return x->p && extent > 1 && x->s[axis] == 0; }

void pk_k_attention_backward(const pk_step *st, void *const *bases, int tid, int nthreads) {
    att_ctx a;
    if (!parse(st, bases, &a, 1)) {
        if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
        return;
    }
    if (pk_cblas_sgemm == NULL && pk_blas_init() != 0) {
        if (tid == 0) pk_set_error(PK_ERR_BLAS);
        return;
    }
    /* Owners: (b, h) pairs that write common output elements go to one thread, so no element
     * has two writers and every sum has one order whatever the thread count. */
    int bshared = 0, hshared = 0;
    const att_arr *outs[4] = {&a.dq, &a.dk, &a.dv, a.has_dbias ? &a.dbias : NULL};
    for (int i = 0; i < 4; i++) {
        if (!outs[i]) continue;
        bshared |= shared_axis(outs[i], a.B, 0);
        hshared |= shared_axis(outs[i], a.H, 1);
    }
    int64_t gB = bshared ? 1 : a.B, gH = hshared ? 1 : a.H, lo, hi;
    pk_share(gB * gH, tid, nthreads, &lo, &hi);
    if (lo >= hi) return;
    float *base = NULL;
    att_scratch w;
    if (a.I > 0 && a.J > 0) {
        base = (float *)pk_scratch(st, bases, tid);
        if (base == NULL) return;
        layout(&a, 1, base, &w);
    }
    for (int64_t g = lo; g < hi; g++) {
        int64_t gb = g / gH, gh = g % gH;
        int64_t b0 = bshared ? 0 : gb, b1 = bshared ? a.B : gb + 1;
        int64_t h0 = hshared ? 0 : gh, h1 = hshared ? a.H : gh + 1;
        for (int64_t b = b0; b < b1; b++)
            for (int64_t h = h0; h < h1; h++) {
                zero_mat(&a.dq, b, h, a.I, a.D);
                zero_mat(&a.dk, b, h, a.J, a.D);
                zero_mat(&a.dv, b, h, a.J, a.E);
                if (a.has_dbias) zero_mat(&a.dbias, b, h, a.I, a.J);
            }
        if (base == NULL) continue;
        for (int64_t b = b0; b < b1; b++)
            for (int64_t h = h0; h < h1; h++) {
                panels(&a, w.kt, &a.k, b, h, a.D);
                panels(&a, w.vt, &a.v, b, h, a.E);
                for (int64_t ib = 0; ib < a.nib; ib++) {
                    int64_t i0 = ib * a.bq, nq = a.I - i0 < a.bq ? a.I - i0 : a.bq;
                    backward_block(&a, &w, b, h, i0, nq);
                }
            }
    }
}
