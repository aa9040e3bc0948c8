/* REDUCE (sum, max, mean, logsumexp over any axes) and ARGMAX. Every output element is computed
 * by one thread, accumulating in double in row-major order of the reduced axes. */
#include "pk_internal.h"

enum { R_SUM = 0, R_MAX = 1, R_MEAN = 2, R_LSE = 3 };
#define CHUNK 256

typedef struct {
    int rank;
    int64_t shape[PK_MAX_RANK], xs[PK_MAX_RANK], ys[PK_MAX_RANK];
} axes_t;

/* Appends an axis, merging it into the previous one when contiguous in both stride sets. */
static void push_axis(axes_t *a, int64_t e, int64_t xs, int64_t ys) {
    if (e == 1) return;
    if (a->rank > 0 && a->xs[a->rank - 1] == xs * e && a->ys[a->rank - 1] == ys * e) {
        a->shape[a->rank - 1] *= e;
        a->xs[a->rank - 1] = xs;
        a->ys[a->rank - 1] = ys;
        return;
    }
    a->shape[a->rank] = e, a->xs[a->rank] = xs, a->ys[a->rank] = ys;
    a->rank++;
}

static int64_t count_of(const axes_t *a) {
    int64_t n = 1;
    for (int d = 0; d < a->rank; d++) n *= a->shape[d];
    return n;
}

/* Offset (in x) of reduced position number r. */
static int64_t offset_of(const axes_t *a, int64_t r, int use_y) {
    int64_t off = 0;
    for (int d = a->rank - 1; d >= 0; d--) {
        int64_t i = r % a->shape[d];
        r /= a->shape[d];
        off += i * (use_y ? a->ys[d] : a->xs[d]);
    }
    return off;
}

static void finish(int op, double acc, double m, int nan, int64_t count, char *y, int32_t ydt, int64_t yoff,
                   int wrap) {
    double v;
    switch (op) {
    case R_SUM: v = acc; break;
    case R_MEAN: v = acc / (double)count; break;
    case R_MAX: v = nan ? NAN : m; break;
    default: v = nan ? NAN : (isinf(m) ? m : m + log(acc)); break;
    }
    if (wrap && ydt == PK_I32) ((int32_t *)y)[yoff] = (int32_t)(uint32_t)(uint64_t)(int64_t)v;
    else pk_store_d(y, ydt, yoff, v);
}

/* One output element: the reduced positions walked in row-major order, innermost as a run. */
static void reduce_general(int op, const char *x, int32_t xdt, int64_t xbase, const axes_t *R, char *y, int32_t ydt,
                           int64_t yoff, int wrap) {
    int64_t total = count_of(R);
    int last = R->rank - 1;
    int64_t inner = R->rank ? R->shape[last] : 1, s = R->rank ? R->xs[last] : 0;
    int64_t outer = R->rank == 0 ? 1 : inner == 0 ? 0 : total / inner; /* an empty axis: no terms */
    double m = -INFINITY, acc = 0;
    int nan = 0;
    for (int pass = (op == R_LSE ? 0 : 1); pass < 2; pass++) {
        int maxing = op == R_MAX || (op == R_LSE && pass == 0);
        if (pass == 1 && op == R_LSE && (nan || isinf(m))) break;
        for (int64_t o = 0; o < outer; o++) {
            int64_t base = xbase + (R->rank ? offset_of(R, o * inner, 0) : 0);
            for (int64_t j = 0; j < inner; j++) {
                double v = pk_load_d(x, xdt, base + j * s);
                if (maxing) {
                    nan |= v != v;
                    m = v > m ? v : m;
                } else if (op == R_LSE) acc += exp(v - m);
                else acc += v;
            }
        }
    }
    finish(op, acc, m, nan, total, y, ydt, yoff, wrap);
}

/* `len` outputs consecutive along the innermost kept axis (x stride 1): vector accumulators. */
static void reduce_chunk(int op, const char *x, int32_t xdt, int64_t xbase, const axes_t *R, char *y, int32_t ydt,
                         int64_t yoff, int64_t ys, int64_t len, int wrap) {
    double acc[CHUNK], m[CHUNK];
    int nan[CHUNK];
    for (int64_t j = 0; j < len; j++) acc[j] = 0, m[j] = -INFINITY, nan[j] = 0;
    int64_t total = count_of(R);
    for (int pass = (op == R_LSE ? 0 : 1); pass < 2; pass++) {
        int maxing = op == R_MAX || (op == R_LSE && pass == 0);
        for (int64_t r = 0; r < total; r++) {
            int64_t base = xbase + offset_of(R, r, 0);
            if (xdt == PK_F32 && !maxing && op != R_LSE) {
                const float *p = (const float *)x + base;
#pragma omp simd
                for (int64_t j = 0; j < len; j++) acc[j] += (double)p[j];
            } else {
                for (int64_t j = 0; j < len; j++) {
                    double v = pk_load_d(x, xdt, base + j);
                    if (maxing) {
                        nan[j] |= v != v;
                        m[j] = v > m[j] ? v : m[j];
                    } else if (op == R_LSE) {
                        if (!nan[j] && !isinf(m[j])) acc[j] += exp(v - m[j]);
                    } else acc[j] += v;
                }
            }
        }
    }
    for (int64_t j = 0; j < len; j++) finish(op, acc[j], m[j], nan[j], total, y, ydt, yoff + j * ys, wrap);
}

void pk_k_reduce(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *vx = &st->inputs[0], *vy = &st->outputs[0];
    int op = (int)st->iattr[0];
    if (op < 0 || op > 3 || vx->rank != vy->rank) {
        if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
        return;
    }
    axes_t K = {0}, R = {0};
    for (int d = 0; d < vx->rank; d++) {
        if (vy->shape[d] == 1 && vx->shape[d] != 1) push_axis(&R, vx->shape[d], vx->strides[d], 0);
        else push_axis(&K, vx->shape[d], vx->strides[d], vy->strides[d]);
    }
    if (pk_view_count(vx) == 0 && pk_view_count(vy) == 0) return;
    const char *x = pk_addr(bases, vx);
    char *y = pk_addr(bases, vy);
    int wrap = vx->ref.dtype != PK_F32 && op == R_SUM;
    int64_t nk = count_of(&K), lo, hi;
    int kl = K.rank - 1;
    int chunked = K.rank > 0 && K.xs[kl] == 1 && (R.rank == 0 || R.xs[R.rank - 1] != 1);
    if (chunked) {
        /* Units are chunks of the innermost kept axis. */
        int64_t inner = K.shape[kl], per = (inner + CHUNK - 1) / CHUNK, outer = nk / inner;
        pk_share(outer * per, tid, nthreads, &lo, &hi);
        for (int64_t u = lo; u < hi; u++) {
            int64_t o = u / per, j0 = (u % per) * CHUNK;
            int64_t len = inner - j0 < CHUNK ? inner - j0 : CHUNK;
            int64_t xo = offset_of(&K, o * inner, 0) + j0, yo = offset_of(&K, o * inner, 1) + j0 * K.ys[kl];
            reduce_chunk(op, x, vx->ref.dtype, xo, &R, y, vy->ref.dtype, yo, K.ys[kl], len, wrap);
        }
        return;
    }
    pk_share(nk, tid, nthreads, &lo, &hi);
    for (int64_t k = lo; k < hi; k++)
        reduce_general(op, x, vx->ref.dtype, offset_of(&K, k, 0), &R, y, vy->ref.dtype, offset_of(&K, k, 1), wrap);
}

void pk_k_argmax(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *vx = &st->inputs[0], *vy = &st->outputs[0];
    int axis = (int)st->iattr[0];
    int keep = vy->rank == vx->rank;
    if (axis < 0 || axis >= vx->rank || (!keep && vy->rank != vx->rank - 1)) {
        if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
        return;
    }
    /* Output strides laid over the input's axes (0 on the reduced one). */
    int64_t shape[PK_MAX_RANK], ys[PK_MAX_RANK];
    int r = 0;
    for (int d = 0; d < vx->rank; d++) {
        if (d == axis) continue;
        shape[r] = vx->shape[d];
        ys[r] = vy->strides[keep ? d : (d < axis ? d : d - 1)];
        r++;
    }
    int64_t n = vx->shape[axis], s = vx->strides[axis], lanes = 1, lo, hi;
    for (int d = 0; d < r; d++) lanes *= shape[d];
    pk_share(lanes, tid, nthreads, &lo, &hi);
    const char *x = pk_addr(bases, vx);
    char *y = pk_addr(bases, vy);
    for (int64_t l = lo; l < hi; l++) {
        int64_t xo = 0, yo = 0, rem = l;
        for (int d = r - 1, xd = vx->rank - 1; d >= 0; d--, xd--) {
            if (xd == axis) xd--;
            int64_t i = rem % shape[d];
            rem /= shape[d];
            xo += i * vx->strides[xd];
            yo += i * ys[d];
        }
        int64_t best = 0;
        double b = n > 0 ? pk_load_d(x, vx->ref.dtype, xo) : 0;
        for (int64_t j = 1; j < n; j++) {
            double v = pk_load_d(x, vx->ref.dtype, xo + j * s);
            if (b == b && (v > b || v != v)) best = j, b = v;
        }
        pk_store_d(y, vy->ref.dtype, yo, (double)best);
    }
}
