/* CONV, CONV_TRANSPOSE and CONV_WEIGHT_GRAD: direct loops over 1-3 spatial dims (fewer dims are
 * padded to three with extent 1). Each kernel partitions the blocks it writes (conv: (n, out
 * channel); transpose: (n, in channel); weight grad: (out channel, in channel of its group)),
 * so every output element is summed by one thread in a fixed order. */
#include "pk_internal.h"

typedef struct {
    int64_t N, C, O, Cg, Og, groups;
    int64_t in[3], k[3], out[3], stride[3], pad[3];
    /* element strides: [0] batch, [1] channel, [2..4] spatial */
    int64_t xs[5], ws[5], ys[5];
    const char *x, *w;
    char *y;
} geom_t;

/* x: the spatial input side, w: weights, y: the spatial output side (for CONV_TRANSPOSE x is dx
 * (the step's output) and y is dy; for CONV_WEIGHT_GRAD w is dw). */
static int geometry(const pk_step *st, void *const *bases, const pk_view *vx, const pk_view *vw, const pk_view *vy,
                    geom_t *g) {
    int sd = (int)st->iattr[0];
    g->groups = st->iattr[1];
    if (sd < 1 || sd > 3 || vx->rank != sd + 2 || vw->rank != sd + 2 || vy->rank != sd + 2 || g->groups < 1) return 0;
    g->N = vx->shape[0], g->C = vx->shape[1], g->O = vw->shape[0];
    if (g->C % g->groups || g->O % g->groups || vy->shape[1] != g->O || vy->shape[0] != g->N) return 0;
    g->Cg = g->C / g->groups, g->Og = g->O / g->groups;
    if (vw->shape[1] != g->Cg) return 0;
    for (int i = 0; i < 2; i++) g->xs[i] = vx->strides[i], g->ws[i] = vw->strides[i], g->ys[i] = vy->strides[i];
    for (int i = 0; i < 3; i++) {
        int d = i - (3 - sd); /* spatial axis of the views, or < 0 for a padded one */
        if (d < 0) {
            g->in[i] = g->k[i] = g->out[i] = g->stride[i] = 1, g->pad[i] = 0;
            g->xs[2 + i] = g->ws[2 + i] = g->ys[2 + i] = 0;
            continue;
        }
        g->in[i] = vx->shape[2 + d], g->k[i] = vw->shape[2 + d], g->out[i] = vy->shape[2 + d];
        g->stride[i] = st->iattr[2 + d], g->pad[i] = st->iattr[5 + d];
        if (g->stride[i] < 1 || g->pad[i] < 0) return 0;
        g->xs[2 + i] = vx->strides[2 + d], g->ws[2 + i] = vw->strides[2 + d], g->ys[2 + i] = vy->strides[2 + d];
    }
    g->x = pk_addr(bases, vx), g->w = pk_addr(bases, vw), g->y = pk_addr(bases, vy);
    return 1;
}

/* Output positions o along axis i whose input o*stride - pad + kk lies inside: [lo, hi). */
static void valid_range(const geom_t *g, int i, int64_t kk, int64_t *lo, int64_t *hi) {
    int64_t s = g->stride[i], first = g->pad[i] - kk, lastin = g->in[i] - 1 + g->pad[i] - kk;
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    *hi = lastin < 0 ? 0 : lastin / s + 1;
    if (*hi > g->out[i]) *hi = g->out[i];
    if (*lo > *hi) *lo = *hi;
}

static void zero_block(float *p, const int64_t *shape, const int64_t *s) {
    for (int64_t a = 0; a < shape[0]; a++)
        for (int64_t b = 0; b < shape[1]; b++) {
            float *q = p + a * s[0] + b * s[1];
            for (int64_t c = 0; c < shape[2]; c++) q[c * s[2]] = 0.0f;
        }
}

static int bad(int tid) {
    if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
    return 0;
}

static int f32_views(const pk_step *st) {
    return st->inputs[0].ref.dtype == PK_F32 && st->inputs[1].ref.dtype == PK_F32 && st->outputs[0].ref.dtype == PK_F32;
}

/* One (input channel, output channel) pair of taps over every valid output position:
 * y[o] += w[k] * x[o*stride - pad + k]. The forward conv accumulates into y (to_x = 0); its
 * transpose runs the same walk accumulating into x (to_x = 1), which is exactly its adjoint. */
static void taps(const geom_t *g, const float *w, float *x, float *y, int to_x) {
    for (int64_t k0 = 0; k0 < g->k[0]; k0++) {
        int64_t a0, a1;
        valid_range(g, 0, k0, &a0, &a1);
        for (int64_t k1 = 0; k1 < g->k[1]; k1++) {
            int64_t b0, b1;
            valid_range(g, 1, k1, &b0, &b1);
            for (int64_t k2 = 0; k2 < g->k[2]; k2++) {
                int64_t c0, c1;
                valid_range(g, 2, k2, &c0, &c1);
                const float wv = w[k0 * g->ws[2] + k1 * g->ws[3] + k2 * g->ws[4]];
                const int64_t xs2 = g->xs[4] * g->stride[2], ys2 = g->ys[4];
                for (int64_t o0 = a0; o0 < a1; o0++)
                    for (int64_t o1 = b0; o1 < b1; o1++) {
                        float *xr = x + (o0 * g->stride[0] - g->pad[0] + k0) * g->xs[2] +
                                    (o1 * g->stride[1] - g->pad[1] + k1) * g->xs[3] + (k2 - g->pad[2]) * g->xs[4];
                        float *yr = y + o0 * g->ys[2] + o1 * g->ys[3];
                        if (to_x) {
                            if (xs2 == 1 && ys2 == 1) {
#pragma omp simd
                                for (int64_t o2 = c0; o2 < c1; o2++) xr[o2] += wv * yr[o2];
                            } else {
                                for (int64_t o2 = c0; o2 < c1; o2++) xr[o2 * xs2] += wv * yr[o2 * ys2];
                            }
                        } else if (xs2 == 1 && ys2 == 1) {
#pragma omp simd
                            for (int64_t o2 = c0; o2 < c1; o2++) yr[o2] += wv * xr[o2];
                        } else {
                            for (int64_t o2 = c0; o2 < c1; o2++) yr[o2 * ys2] += wv * xr[o2 * xs2];
                        }
                    }
            }
        }
    }
}

void pk_k_conv(const pk_step *st, void *const *bases, int tid, int nthreads) {
    geom_t g;
    if (!f32_views(st) || !geometry(st, bases, &st->inputs[0], &st->inputs[1], &st->outputs[0], &g)) {
        bad(tid);
        return;
    }
    int64_t lo, hi;
    pk_share(g.N * g.O, tid, nthreads, &lo, &hi);
    for (int64_t u = lo; u < hi; u++) {
        int64_t n = u / g.O, oc = u % g.O, grp = oc / g.Og;
        float *y = (float *)g.y + n * g.ys[0] + oc * g.ys[1];
        zero_block(y, g.out, g.ys + 2);
        for (int64_t icg = 0; icg < g.Cg; icg++) {
            float *x = (float *)g.x + n * g.xs[0] + (grp * g.Cg + icg) * g.xs[1];
            const float *w = (const float *)g.w + oc * g.ws[0] + icg * g.ws[1];
            taps(&g, w, x, y, 0);
        }
    }
}

void pk_k_conv_transpose(const pk_step *st, void *const *bases, int tid, int nthreads) {
    geom_t g;
    /* dy = inputs[0] plays y, w = inputs[1], dx = outputs[0] plays x. */
    if (!f32_views(st) || !geometry(st, bases, &st->outputs[0], &st->inputs[1], &st->inputs[0], &g)) {
        bad(tid);
        return;
    }
    int64_t lo, hi;
    pk_share(g.N * g.C, tid, nthreads, &lo, &hi);
    for (int64_t u = lo; u < hi; u++) {
        int64_t n = u / g.C, ic = u % g.C, grp = ic / g.Cg, icg = ic % g.Cg;
        float *dx = (float *)g.x + n * g.xs[0] + ic * g.xs[1];
        zero_block(dx, g.in, g.xs + 2);
        for (int64_t oc = grp * g.Og; oc < (grp + 1) * g.Og; oc++) {
            float *dy = (float *)g.y + n * g.ys[0] + oc * g.ys[1];
            const float *w = (const float *)g.w + oc * g.ws[0] + icg * g.ws[1];
            taps(&g, w, dx, dy, 1);
        }
    }
}

void pk_k_conv_weight_grad(const pk_step *st, void *const *bases, int tid, int nthreads) {
    geom_t g;
    /* x = inputs[0], dy = inputs[1] plays y, dw = outputs[0] plays w. */
    if (!f32_views(st) || !geometry(st, bases, &st->inputs[0], &st->outputs[0], &st->inputs[1], &g)) {
        bad(tid);
        return;
    }
    int64_t lo, hi;
    pk_share(g.O * g.Cg, tid, nthreads, &lo, &hi);
    for (int64_t u = lo; u < hi; u++) {
        int64_t oc = u / g.Cg, icg = u % g.Cg, ic = (oc / g.Og) * g.Cg + icg;
        float *dw = (float *)g.w + oc * g.ws[0] + icg * g.ws[1];
        for (int64_t k0 = 0; k0 < g.k[0]; k0++) {
            int64_t a0, a1;
            valid_range(&g, 0, k0, &a0, &a1);
            for (int64_t k1 = 0; k1 < g.k[1]; k1++) {
                int64_t b0, b1;
                valid_range(&g, 1, k1, &b0, &b1);
                for (int64_t k2 = 0; k2 < g.k[2]; k2++) {
                    int64_t c0, c1;
                    valid_range(&g, 2, k2, &c0, &c1);
                    const int64_t xs2 = g.xs[4] * g.stride[2], ys2 = g.ys[4];
                    double acc = 0;
                    for (int64_t n = 0; n < g.N; n++) {
                        const float *x = (const float *)g.x + n * g.xs[0] + ic * g.xs[1];
                        const float *dy = (const float *)g.y + n * g.ys[0] + oc * g.ys[1];
                        for (int64_t o0 = a0; o0 < a1; o0++)
                            for (int64_t o1 = b0; o1 < b1; o1++) {
                                const float *xr = x + (o0 * g.stride[0] - g.pad[0] + k0) * g.xs[2] +
                                                  (o1 * g.stride[1] - g.pad[1] + k1) * g.xs[3] +
                                                  (k2 - g.pad[2]) * g.xs[4];
                                const float *yr = dy + o0 * g.ys[2] + o1 * g.ys[3];
                                /* Four partial sums: a fixed order, and the loop pipelines. */
                                double s[4] = {0, 0, 0, 0};
                                int64_t o2 = c0;
                                for (; o2 + 4 <= c1; o2 += 4)
                                    for (int q = 0; q < 4; q++)
                                        s[q] += (double)xr[(o2 + q) * xs2] * (double)yr[(o2 + q) * ys2];
                                for (; o2 < c1; o2++) s[0] += (double)xr[o2 * xs2] * (double)yr[o2 * ys2];
                                acc += (s[0] + s[1]) + (s[2] + s[3]);
                            }
                    }
                    dw[k0 * g.ws[2] + k1 * g.ws[3] + k2 * g.ws[4]] = (float)acc;
                }
            }
        }
    }
}
