/* TOPK and ARGSORT: per lane, indices ordered by value (NaN above every number) with ties by
 * lower index: a strict total order, so the result is unique whatever the algorithm. Lanes
 * are split among threads; a lane's values and index buffers live in scratch. */
#include "pk_internal.h"

/* Small k: insertion into a sorted list of k (most candidates fail the first comparison). */
#define TOPK_INSERTION_MAX 16

typedef struct {
    const float *v;
    int descending;
} order_t;

/* Whether value a sorts strictly below b (NaN is largest). */
static inline int below(float a, float b) { return a == a && (b != b || a < b); }

static inline int before(const order_t *o, int32_t i, int32_t j) {
    float a = o->v[i], b = o->v[j];
    if (o->descending ? below(b, a) : below(a, b)) return 1;
    if (o->descending ? below(a, b) : below(b, a)) return 0;
    return i < j;
}

/* Bottom-up merge sort of idx[0..n) using tmp; the result is left in idx. */
static void merge_sort(const order_t *o, int32_t *idx, int32_t *tmp, int64_t n) {
    int32_t *src = idx, *dst = tmp;
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = before(o, src[j], src[i]) ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        int32_t *t = src;
        src = dst, dst = t;
    }
    if (src != idx) memcpy(idx, src, (size_t)n * 4);
}

int64_t pk_sort_scratch_bytes(const pk_step *st) {
    int axis = (int)(st->kind == PK_STEP_TOPK ? st->iattr[1] : st->iattr[0]);
    const pk_view *x = &st->inputs[0];
    if (axis < 0 || axis >= x->rank) return 0;
    return x->shape[axis] * 12;
}

/* Lane bookkeeping shared by both kernels. */
static void lane_offsets(const pk_view *x, const pk_view *y, int axis, int64_t l, int64_t *xo, int64_t *yo) {
    *xo = 0, *yo = 0;
    for (int d = x->rank - 1; d >= 0; d--) {
        if (d == axis) continue;
        int64_t c = l % x->shape[d];
        l /= x->shape[d];
        *xo += c * x->strides[d];
        *yo += c * y->strides[d];
    }
}

static void run(const pk_step *st, void *const *bases, int tid, int nthreads, int axis, int64_t k, int descending) {
    const pk_view *vx = &st->inputs[0], *vy = &st->outputs[0];
    if (axis < 0 || axis >= vx->rank || vy->rank != vx->rank || k < 0 || k > vx->shape[axis]) {
        if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
        return;
    }
    int64_t n = vx->shape[axis], lanes = 1, lo, hi;
    for (int d = 0; d < vx->rank; d++)
        if (d != axis) lanes *= vx->shape[d];
    pk_share(lanes, tid, nthreads, &lo, &hi);
    if (lo >= hi || n == 0 || k == 0) return;
    char *scratch = (char *)pk_scratch(st, bases, tid);
    if (scratch == NULL) return;
    float *v = (float *)scratch;
    int32_t *idx = (int32_t *)(scratch + 4 * n), *tmp = idx + n;
    const char *x = pk_addr(bases, vx);
    char *y = pk_addr(bases, vy);
    int64_t xs = vx->strides[axis], ys = vy->strides[axis];
    order_t o = {v, descending};
    for (int64_t l = lo; l < hi; l++) {
        int64_t xo, yo;
        lane_offsets(vx, vy, axis, l, &xo, &yo);
        for (int64_t j = 0; j < n; j++) v[j] = pk_load_f(x, vx->ref.dtype, xo + j * xs);
        int64_t count = 0;
        if (k <= TOPK_INSERTION_MAX && k < n) {
            for (int32_t j = 0; j < n; j++) {
                if (count == k && !before(&o, j, idx[k - 1])) continue;
                int64_t p = count < k ? count++ : k - 1;
                while (p > 0 && before(&o, j, idx[p - 1])) idx[p] = idx[p - 1], p--;
                idx[p] = j;
            }
        } else {
            for (int32_t j = 0; j < n; j++) idx[j] = j;
            merge_sort(&o, idx, tmp, n);
        }
        for (int64_t j = 0; j < k; j++) pk_store_d(y, vy->ref.dtype, yo + j * ys, (double)idx[j]);
    }
}

void pk_k_topk(const pk_step *st, void *const *bases, int tid, int nthreads) {
    run(st, bases, tid, nthreads, (int)st->iattr[1], st->iattr[0], 1);
}

void pk_k_argsort(const pk_step *st, void *const *bases, int tid, int nthreads) {
    int axis = (int)st->iattr[0];
    int64_t n = axis >= 0 && axis < st->inputs[0].rank ? st->inputs[0].shape[axis] : -1;
    run(st, bases, tid, nthreads, axis, n, st->iattr[1] != 0);
}
