#ifndef PHENAKI_FASTMATH_H
#define PHENAKI_FASTMATH_H
/*
 * Branch-free float math that the compiler vectorises inside `omp simd` loops, for the row
 * programs' hot ops (exp, sigmoid, erf, GELU). Accuracy: exp within 2 ulp, subnormal results
 * included; erfc/erf/GELU within ~3e-7 relative over the float range (the Chebyshev erfc fit
 * of Press et al., 1.2e-7 relative, with the square in its exponent split by an fma so large
 * |x| stays accurate). NaN and ±inf follow libm. No tables, no state: every thread and run
 * computes the same bits.
 */
#include <math.h>
#include <stdint.h>

static inline float pk_pow2i(int32_t n) {
    union { uint32_t u; float f; } v = {(uint32_t)(n + 127) << 23};
    return v.f;
}

/* e^x: x = n ln2 + r with |r| <= ln2/2; e^r by its Taylor series to r^7 (truncation < 6e-9);
 * 2^n applied as two factors so that both overflow and gradual underflow come out right. */
static inline float pk_expf(float x) {
    const float log2e = 1.44269504088896341f, ln2_hi = 0.693145751953125f, ln2_lo = 1.42860682030941723212e-6f;
    /* Clamped so that NaN becomes finite too: converting a NaN n to int below is undefined
     * behaviour (UBSan). The result for NaN is x itself (the last line). */
    float xc = x < 88.7228394f ? x : 88.7228394f;
    xc = xc > -103.972084f ? xc : -103.972084f;
    float n = rintf(xc * log2e);
    float r = (xc - n * ln2_hi) - n * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t ni = (int32_t)n, n1 = ni >> 1, n2 = ni - n1;
    float y = p * pk_pow2i(n1) * pk_pow2i(n2);
    y = x > 88.7228394f ? INFINITY : y;
    y = x < -103.972084f ? 0.0f : y;
    return x != x ? x : y;
}

/* erfc(z) for z >= 0, given z² as hi + lo (hi = float(z²), lo its rounding error). */
static inline float pk_erfc_nonnegative(float z, float z2_hi, float z2_lo) {
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    return t * pk_expf(p - z2_hi) * (1.0f - z2_lo);
}

/* erf(x): an odd Taylor polynomial below |x| = 0.5 (error < 2e-8), 1 - erfc(|x|) above. */
static inline float pk_erff(float x) {
    float ax = fabsf(x);
    float x2 = x * x;
    float lo = x2 < INFINITY ? fmaf(x, x, -x2) : 0.0f;
    float big = 1.0f - pk_erfc_nonnegative(ax, x2, lo);
    big = x < 0.0f ? -big : big;
    float s = -1.0f / 1320.0f;
    s = s * x2 + 1.0f / 216.0f;
    s = s * x2 - 1.0f / 42.0f;
    s = s * x2 + 1.0f / 10.0f;
    s = s * x2 - 1.0f / 3.0f;
    s = s * x2 + 1.0f;
    float small = 1.12837916709551257f * x * s;
    float y = ax < 0.5f ? small : big;
    return x != x ? x : y;
}

/* The exact GELU 0.5·x·(1 + erf(x/√2)) = 0.5·x·erfc(-x/√2): for x < 0 through erfc directly,
 * so tiny negative outputs keep their relative accuracy. */
static inline float pk_geluf(float x) {
    float z = fabsf(x) * 0.707106781186547524f;
    float x2 = x * x;
    float half_hi = 0.5f * x2; /* z² = x²/2, exactly split into hi + lo */
    float half_lo = x2 < INFINITY ? 0.5f * fmaf(x, x, -x2) : 0.0f;
    float c = pk_erfc_nonnegative(z, half_hi, half_lo);
    float y = x < 0.0f ? 0.5f * x * c : x - 0.5f * x * c;
    /* As the reference formula: +inf stays +inf, -inf gives -inf·0 = NaN. */
    y = x == INFINITY ? x : (x == -INFINITY ? NAN : y);
    return x != x ? x : y;
}

static inline float pk_sigmoidf(float x) { return 1.0f / (1.0f + pk_expf(-x)); }

#endif
