/* RANDOM_UNIFORM, RANDOM_NORMAL and FOLD_IN: the counter-based generator of RNG.swift, bit for
 * bit (SplitMix64 finalizer; uniform = top 24 bits / 2^24; Box-Muller in double). */
#include "pk_internal.h"

#define GAMMA 0x9e3779b97f4a7c15ull

static inline uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t stream_seed(const pk_step *st, void *const *bases) {
    const pk_view *k = &st->inputs[0];
    const int32_t *p = (const int32_t *)pk_addr(bases, k);
    int64_t s = k->rank >= 1 ? k->strides[0] : 1;
    uint64_t packed = (uint64_t)(uint32_t)p[0] << 32 | (uint64_t)(uint32_t)p[s];
    return mix(packed + GAMMA);
}

static inline double uniform(uint64_t seed, uint64_t i) {
    return (double)(mix(seed + (i + 1) * GAMMA) >> 40) / 16777216.0;
}

static void fill(const pk_step *st, void *const *bases, int tid, int nthreads, int normal) {
    const pk_view *out = &st->outputs[0];
    uint64_t seed = stream_seed(st, bases);
    int64_t lo, hi;
    pk_share(pk_view_count(out), tid, nthreads, &lo, &hi);
    if (lo >= hi) return;
    const int64_t *strides[1] = {out->strides};
    pk_iter it;
    pk_iter_init(&it, out->rank, out->shape, 1, strides, lo, 1);
    char *y = pk_addr(bases, out);
    int64_t s = it.strides[0][it.rank - 1];
    const double two_pi = 2.0 * 3.14159265358979323846;
    for (int64_t e = lo; e < hi;) {
        int64_t n = pk_iter_run(&it);
        if (n > hi - e) n = hi - e;
        for (int64_t j = 0; j < n; j++) {
            uint64_t i = (uint64_t)(e + j);
            double v;
            if (normal) {
                double u1 = uniform(seed, 2 * i), u2 = uniform(seed, 2 * i + 1);
                v = sqrt(-2.0 * log(1.0 - u1)) * cos(two_pi * u2);
            } else {
                v = uniform(seed, i);
            }
            pk_store_d(y, out->ref.dtype, it.off[0] + j * s, v);
        }
        pk_iter_advance(&it, n);
        e += n;
    }
}

void pk_k_random_uniform(const pk_step *st, void *const *bases, int tid, int nthreads) {
    fill(st, bases, tid, nthreads, 0);
}

void pk_k_random_normal(const pk_step *st, void *const *bases, int tid, int nthreads) {
    fill(st, bases, tid, nthreads, 1);
}

void pk_k_fold_in(const pk_step *st, void *const *bases, int tid, int nthreads) {
    (void)nthreads;
    if (tid != 0) return;
    uint64_t d = mix((uint64_t)st->iattr[0] + 2 * GAMMA);
    uint64_t k = mix(stream_seed(st, bases) ^ d);
    const pk_view *out = &st->outputs[0];
    int32_t *y = (int32_t *)pk_addr(bases, out);
    int64_t s = out->rank >= 1 ? out->strides[0] : 1;
    y[0] = (int32_t)(uint32_t)(k >> 32);
    y[s] = (int32_t)(uint32_t)k;
}
