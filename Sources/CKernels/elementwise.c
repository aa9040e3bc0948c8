#include "ckernels.h"

#include <math.h>

/* Below this many elements a parallel region costs more than it saves. */
#define PK_PARALLEL_MIN 32768

void pk_add_f32(size_t n, const float *restrict a, const float *restrict b, float *restrict out) {
    ptrdiff_t count = (ptrdiff_t)n;
#pragma omp parallel for simd if (count >= PK_PARALLEL_MIN)
    for (ptrdiff_t i = 0; i < count; i++) out[i] = a[i] + b[i];
}

void pk_mul_f32(size_t n, const float *restrict a, const float *restrict b, float *restrict out) {
    ptrdiff_t count = (ptrdiff_t)n;
#pragma omp parallel for simd if (count >= PK_PARALLEL_MIN)
    for (ptrdiff_t i = 0; i < count; i++) out[i] = a[i] * b[i];
}

void pk_gelu_f32(size_t n, const float *restrict in, float *restrict out) {
    ptrdiff_t count = (ptrdiff_t)n;
    const float inverseSqrt2 = 0.70710678118654752440f;
#pragma omp parallel for if (count >= PK_PARALLEL_MIN)
    for (ptrdiff_t i = 0; i < count; i++) {
        float x = in[i];
        out[i] = 0.5f * x * (1.0f + erff(x * inverseSqrt2));
    }
}

void pk_softmax_rows_f32(size_t rows, size_t cols, const float *restrict in, float *restrict out) {
    ptrdiff_t rowCount = (ptrdiff_t)rows;
#pragma omp parallel for if (rows * cols >= PK_PARALLEL_MIN)
    for (ptrdiff_t r = 0; r < rowCount; r++) {
        const float *restrict x = in + (size_t)r * cols;
        float *restrict y = out + (size_t)r * cols;
        float m = -INFINITY;
        for (size_t j = 0; j < cols; j++) m = x[j] > m ? x[j] : m;
        float total = 0.0f; /* expf has no vector form here, so this loop stays scalar */
        for (size_t j = 0; j < cols; j++) {
            y[j] = expf(x[j] - m);
            total += y[j];
        }
        float scale = 1.0f / total;
#pragma omp simd
        for (size_t j = 0; j < cols; j++) y[j] *= scale;
    }
}
