/* GATHER, SCATTER_ADD, TAKE_ALONG, SCATTER_ALONG and ONE_HOT. Scatter kernels own disjoint
 * parts of their output (the non-axis positions), zero them and add in index order, so the
 * result does not depend on the thread count. Out-of-range indices record an error and are
 * neither read nor written. */
#include "pk_internal.h"

static void bad(int tid) {
    if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
}

/* dst[0..n) (stride ds) += src (stride ss), converting through float. */
static void add_run(char *dst, int32_t ddt, int64_t ds, const char *src, int32_t sdt, int64_t ss, int64_t n) {
    if (ddt == PK_F32 && sdt == PK_F32) {
        float *d = (float *)dst;
        const float *s = (const float *)src;
        if (ds == 1 && ss == 1) {
#pragma omp simd
            for (int64_t i = 0; i < n; i++) d[i] += s[i];
        } else
            for (int64_t i = 0; i < n; i++) d[i * ds] += s[i * ss];
        return;
    }
    for (int64_t i = 0; i < n; i++)
        pk_store_d(dst, ddt, i * ds, pk_load_d(dst, ddt, i * ds) + pk_load_d(src, sdt, i * ss));
}

static void zero_run(char *dst, int64_t ds, int64_t n) {
    uint32_t *d = (uint32_t *)dst;
    if (ds == 1) memset(d, 0, (size_t)n * 4);
    else
        for (int64_t i = 0; i < n; i++) d[i * ds] = 0;
}

/* Walks `n` elements of a block of `rank` axes from flat position `start`, calling add / copy /
 * zero on runs. mode 0: dst = src; 1: dst += src; 2: dst = 0. */
static void block_op(int mode, int rank, const int64_t *shape, char *dst, int32_t ddt, const int64_t *dstrides,
                     const char *src, int32_t sdt, const int64_t *sstrides, int64_t start, int64_t n) {
    const int64_t *strides[2] = {dstrides, sstrides};
    pk_iter it;
    pk_iter_init(&it, rank, shape, mode == 2 ? 1 : 2, strides, start, 1);
    int last = it.rank - 1;
    for (int64_t e = 0; e < n;) {
        int64_t run = pk_iter_run(&it);
        if (run > n - e) run = n - e;
        char *d = dst + 4 * it.off[0];
        if (mode == 2) zero_run(d, it.strides[0][last], run);
        else if (mode == 1) add_run(d, ddt, it.strides[0][last], src + 4 * it.off[1], sdt, it.strides[1][last], run);
        else pk_copy_run(d, ddt, it.strides[0][last], src + 4 * it.off[1], sdt, it.strides[1][last], run);
        pk_iter_advance(&it, run);
        e += run;
    }
}

void pk_k_gather(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *vx = &st->inputs[0], *vi = &st->inputs[1], *vo = &st->outputs[0];
    int a = (int)st->iattr[0], q = vi->rank, rb = vx->rank - a - 1;
    if (a < 0 || a >= vx->rank || vo->rank != vx->rank - 1 + q) return bad(tid);
    int64_t nA = pk_product(a, vx->shape), nI = pk_product(q, vi->shape), nB = pk_product(rb, vx->shape + a + 1);
    int64_t n = vx->shape[a], lo, hi;
    pk_share(nA * nI, tid, nthreads, &lo, &hi);
    const char *x = pk_addr(bases, vx), *ip = pk_addr(bases, vi);
    char *o = pk_addr(bases, vo);
    for (int64_t u = lo; u < hi; u++) {
        int64_t ai = u / nI, ii = u % nI;
        int64_t k = pk_load_index(ip, vi->ref.dtype, pk_offset(q, vi->shape, vi->strides, ii));
        int64_t oo = pk_offset(a, vx->shape, vo->strides, ai) + pk_offset(q, vi->shape, vo->strides + a, ii);
        if (k < 0 || k >= n) {
            pk_set_error(PK_ERR_INDEX_OUT_OF_RANGE);
            block_op(2, rb, vx->shape + a + 1, o + 4 * oo, vo->ref.dtype, vo->strides + a + q, NULL, 0, NULL, 0, nB);
            continue;
        }
        int64_t xo = pk_offset(a, vx->shape, vx->strides, ai) + k * vx->strides[a];
        block_op(0, rb, vx->shape + a + 1, o + 4 * oo, vo->ref.dtype, vo->strides + a + q, x + 4 * xo, vx->ref.dtype,
                 vx->strides + a + 1, 0, nB);
    }
}

void pk_k_scatter_add(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *vu = &st->inputs[0], *vi = &st->inputs[1], *vo = &st->outputs[0];
    int a = (int)st->iattr[0], q = vi->rank, rb = vo->rank - a - 1;
    if (a < 0 || a >= vo->rank || vu->rank != vo->rank - 1 + q) return bad(tid);
    const int64_t *Bshape = vo->shape + a + 1;
    int64_t nA = pk_product(a, vo->shape), nI = pk_product(q, vi->shape), nB = pk_product(rb, Bshape);
    int64_t size = vo->shape[a], lo, hi;
    pk_share(nA * nB, tid, nthreads, &lo, &hi);
    const char *u = pk_addr(bases, vu), *ip = pk_addr(bases, vi);
    char *o = pk_addr(bases, vo);
    for (int64_t pos = lo; pos < hi;) {
        int64_t ai = pos / nB, b0 = pos % nB;
        int64_t len = (nB - b0 < hi - pos) ? nB - b0 : hi - pos;
        int64_t oa = pk_offset(a, vo->shape, vo->strides, ai), ua = pk_offset(a, vo->shape, vu->strides, ai);
        for (int64_t r = 0; r < size; r++)
            block_op(2, rb, Bshape, o + 4 * (oa + r * vo->strides[a]), vo->ref.dtype, vo->strides + a + 1, NULL, 0,
                     NULL, b0, len);
        for (int64_t ii = 0; ii < nI; ii++) {
            int64_t k = pk_load_index(ip, vi->ref.dtype, pk_offset(q, vi->shape, vi->strides, ii));
            if (k < 0 || k >= size) {
                pk_set_error(PK_ERR_INDEX_OUT_OF_RANGE);
                continue;
            }
            int64_t uo = ua + pk_offset(q, vi->shape, vu->strides + a, ii);
            block_op(1, rb, Bshape, o + 4 * (oa + k * vo->strides[a]), vo->ref.dtype, vo->strides + a + 1, u + 4 * uo,
                     vu->ref.dtype, vu->strides + a + q, b0, len);
        }
        pos += len;
    }
}

void pk_k_take_along(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *vx = &st->inputs[0], *vi = &st->inputs[1], *vo = &st->outputs[0];
    int a = (int)st->iattr[0], r = vi->rank;
    if (a < 0 || a >= r || vx->rank != r || vo->rank != r) return bad(tid);
    int64_t xs[PK_MAX_RANK];
    for (int d = 0; d < r; d++) xs[d] = d == a ? 0 : vx->strides[d];
    int64_t n = vx->shape[a], sa = vx->strides[a], lo, hi;
    pk_share(pk_product(r, vi->shape), tid, nthreads, &lo, &hi);
    if (lo >= hi) return;
    const int64_t *strides[3] = {vo->strides, vi->strides, xs};
    pk_iter it;
    pk_iter_init(&it, r, vi->shape, 3, strides, lo, 1);
    const char *x = pk_addr(bases, vx), *ip = pk_addr(bases, vi);
    char *o = pk_addr(bases, vo);
    int last = it.rank - 1;
    for (int64_t e = lo; e < hi;) {
        int64_t run = pk_iter_run(&it);
        if (run > hi - e) run = hi - e;
        for (int64_t j = 0; j < run; j++) {
            int64_t oo = it.off[0] + j * it.strides[0][last];
            int64_t k = pk_load_index(ip, vi->ref.dtype, it.off[1] + j * it.strides[1][last]);
            if (k < 0 || k >= n) {
                pk_set_error(PK_ERR_INDEX_OUT_OF_RANGE);
                ((uint32_t *)o)[oo] = 0;
                continue;
            }
            int64_t xo = it.off[2] + j * it.strides[2][last] + k * sa;
            pk_store_f(o, vo->ref.dtype, oo, pk_load_f(x, vx->ref.dtype, xo));
        }
        pk_iter_advance(&it, run);
        e += run;
    }
}

void pk_k_scatter_along(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *vu = &st->inputs[0], *vi = &st->inputs[1], *vo = &st->outputs[0];
    int a = (int)st->iattr[0], r = vo->rank;
    if (a < 0 || a >= r || vi->rank != r || vu->rank != r) return bad(tid);
    /* Lanes: positions of the out's non-axis axes. */
    int64_t lshape[PK_MAX_RANK], los[PK_MAX_RANK];
    int lr = 0;
    for (int d = 0; d < r; d++)
        if (d != a) lshape[lr] = vo->shape[d], los[lr] = d, lr++;
    int64_t lanes = pk_product(lr, lshape), size = vo->shape[a], m = vi->shape[a], lo, hi;
    pk_share(lanes, tid, nthreads, &lo, &hi);
    const char *u = pk_addr(bases, vu), *ip = pk_addr(bases, vi);
    char *o = pk_addr(bases, vo);
    for (int64_t l = lo; l < hi; l++) {
        int64_t oo = 0, io = 0, uo = 0, rem = l;
        int inside = 1;
        for (int k = lr - 1; k >= 0; k--) {
            int d = (int)los[k];
            int64_t c = rem % lshape[k];
            rem /= lshape[k];
            oo += c * vo->strides[d];
            io += c * vi->strides[d];
            uo += c * vu->strides[d];
            if (c >= vi->shape[d]) inside = 0;
        }
        for (int64_t j = 0; j < size; j++) ((uint32_t *)o)[oo + j * vo->strides[a]] = 0;
        if (!inside) continue;
        for (int64_t j = 0; j < m; j++) {
            int64_t k = pk_load_index(ip, vi->ref.dtype, io + j * vi->strides[a]);
            if (k < 0 || k >= size) {
                pk_set_error(PK_ERR_INDEX_OUT_OF_RANGE);
                continue;
            }
            int64_t dst = oo + k * vo->strides[a];
            pk_store_d(o, vo->ref.dtype, dst,
                       pk_load_d(o, vo->ref.dtype, dst) + pk_load_d(u, vu->ref.dtype, uo + j * vu->strides[a]));
        }
    }
}

void pk_k_one_hot(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *vi = &st->inputs[0], *vo = &st->outputs[0];
    int q = vi->rank;
    if (vo->rank != q + 1) return bad(tid);
    int64_t depth = vo->shape[q], ds = vo->strides[q], lo, hi;
    pk_share(pk_product(q, vi->shape), tid, nthreads, &lo, &hi);
    const char *ip = pk_addr(bases, vi);
    char *o = pk_addr(bases, vo);
    for (int64_t e = lo; e < hi; e++) {
        int64_t k = pk_load_index(ip, vi->ref.dtype, pk_offset(q, vi->shape, vi->strides, e));
        int64_t oo = pk_offset(q, vi->shape, vo->strides, e);
        for (int64_t j = 0; j < depth; j++) pk_store_f(o, vo->ref.dtype, oo + j * ds, j == k ? 1.0f : 0.0f);
        if (k < 0 || k >= depth) pk_set_error(PK_ERR_INDEX_OUT_OF_RANGE);
    }
}
