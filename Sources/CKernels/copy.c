/* COPY, FILL and IOTA: element-wise writes through arbitrary views, walked as innermost runs of
 * the flat output range each thread owns. */
#include "pk_internal.h"

void pk_iter_init(pk_iter *it, int rank, const int64_t *shape, int nv, const int64_t *const *strides,
                  int64_t start, int coalesce) {
    int r = 0;
    it->nv = nv;
    for (int d = 0; d < rank; d++) {
        if (coalesce && shape[d] == 1) continue;
        int merge = coalesce && r > 0;
        for (int v = 0; merge && v < nv; v++)
            if (it->strides[v][r - 1] != strides[v][d] * shape[d]) merge = 0;
        if (merge) {
            it->shape[r - 1] *= shape[d];
            for (int v = 0; v < nv; v++) it->strides[v][r - 1] = strides[v][d];
        } else {
            it->shape[r] = shape[d];
            for (int v = 0; v < nv; v++) it->strides[v][r] = strides[v][d];
            r++;
        }
    }
    if (r == 0) {
        it->shape[0] = 1;
        for (int v = 0; v < nv; v++) it->strides[v][0] = 0;
        r = 1;
    }
    it->rank = r;
    for (int v = 0; v < nv; v++) it->off[v] = 0;
    for (int d = r - 1; d >= 0; d--) {
        it->idx[d] = start % it->shape[d];
        start /= it->shape[d];
        for (int v = 0; v < nv; v++) it->off[v] += it->idx[d] * it->strides[v][d];
    }
}

void pk_copy_run(char *dst, int32_t ddt, int64_t ds, const char *src, int32_t sdt, int64_t ss, int64_t n) {
    int same = ddt == sdt || (ddt == PK_I32 && sdt == PK_BOOL);
    if (same) {
        uint32_t *restrict d = (uint32_t *)dst;
        const uint32_t *restrict s = (const uint32_t *)src;
        if (ds == 1 && ss == 1) {
            memcpy(d, s, (size_t)n * 4);
        } else if (ds == 1 && ss == 0) {
            uint32_t v = s[0];
            for (int64_t i = 0; i < n; i++) d[i] = v;
        } else if (ds == 1) {
            for (int64_t i = 0; i < n; i++) d[i] = s[i * ss];
        } else {
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) pk_store_f(dst, ddt, i * ds, pk_load_f(src, sdt, i * ss));
}

void pk_k_copy(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *out = &st->outputs[0], *in = &st->inputs[0];
    int64_t lo, hi;
    pk_share(pk_view_count(out), tid, nthreads, &lo, &hi);
    if (lo >= hi) return;
    const int64_t *strides[2] = {out->strides, in->strides};
    pk_iter it;
    pk_iter_init(&it, out->rank, out->shape, 2, strides, lo, 1);
    char *dst = pk_addr(bases, out);
    const char *src = pk_addr(bases, in);
    int last = it.rank - 1;
    for (int64_t e = lo; e < hi;) {
        int64_t n = pk_iter_run(&it);
        if (n > hi - e) n = hi - e;
        pk_copy_run(dst + 4 * it.off[0], out->ref.dtype, it.strides[0][last], src + 4 * it.off[1], in->ref.dtype,
                    it.strides[1][last], n);
        pk_iter_advance(&it, n);
        e += n;
    }
}

void pk_k_fill(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *out = &st->outputs[0];
    int64_t lo, hi;
    pk_share(pk_view_count(out), tid, nthreads, &lo, &hi);
    if (lo >= hi) return;
    uint32_t bits;
    float value = st->fattr[0];
    if (out->ref.dtype == PK_F32) memcpy(&bits, &value, 4);
    else {
        int32_t iv = out->ref.dtype == PK_I32 ? pk_f2i(value) : value != 0.0f;
        memcpy(&bits, &iv, 4);
    }
    const int64_t *strides[1] = {out->strides};
    pk_iter it;
    pk_iter_init(&it, out->rank, out->shape, 1, strides, lo, 1);
    uint32_t *dst = (uint32_t *)pk_addr(bases, out);
    int64_t s = it.strides[0][it.rank - 1];
    for (int64_t e = lo; e < hi;) {
        int64_t n = pk_iter_run(&it);
        if (n > hi - e) n = hi - e;
        uint32_t *d = dst + it.off[0];
        if (s == 1)
            for (int64_t i = 0; i < n; i++) d[i] = bits;
        else
            for (int64_t i = 0; i < n; i++) d[i * s] = bits;
        pk_iter_advance(&it, n);
        e += n;
    }
}

void pk_k_iota(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *out = &st->outputs[0];
    int axis = (int)st->iattr[0];
    if (out->rank == 0 || axis < 0 || axis >= out->rank) {
        if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
        return;
    }
    int64_t lo, hi;
    pk_share(pk_view_count(out), tid, nthreads, &lo, &hi);
    if (lo >= hi) return;
    const int64_t *strides[1] = {out->strides};
    pk_iter it;
    pk_iter_init(&it, out->rank, out->shape, 1, strides, lo, 0);
    char *dst = pk_addr(bases, out);
    int last = it.rank - 1;
    int64_t s = it.strides[0][last];
    for (int64_t e = lo; e < hi;) {
        int64_t n = pk_iter_run(&it);
        if (n > hi - e) n = hi - e;
        int64_t base = it.idx[axis];
        int step = axis == last;
        for (int64_t i = 0; i < n; i++) pk_store_d(dst, out->ref.dtype, it.off[0] + i * s, (double)(base + (step ? i : 0)));
        pk_iter_advance(&it, n);
        e += n;
    }
}
