/* Row programs: a tiny register machine over vectors of floats. Programs with a row reduction
 * run one whole row at a time (registers hold `cols` floats); the others run on tiles of at most
 * PK_TILE elements of the flattened (axis-merged) element range each thread owns. */
#include "pk_internal.h"
#include "fastmath.h"

#define MAX_VIEWS (PK_MAX_INPUTS + 4)

static int has_row_reduction(const pk_instr *p, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        if (p[i].op == PK_OP_ROW_SUM || p[i].op == PK_OP_ROW_MAX || p[i].op == PK_OP_ROW_MEAN) return 1;
    return 0;
}

int64_t pk_rowprog_scratch_bytes(const pk_instr *program, int32_t n_instr, int32_t n_registers,
                                 const pk_view *shape_view) {
    if (program == NULL || n_registers <= 0) return 0;
    int64_t cols = shape_view->rank >= 1 ? shape_view->shape[shape_view->rank - 1] : 1;
    int64_t width;
    if (has_row_reduction(program, n_instr)) width = cols;
    else {
        int64_t count = pk_view_count(shape_view);
        width = count < PK_TILE ? count : PK_TILE;
    }
    return (int64_t)n_registers * width * 4;
}

/* ---- vector helpers (len elements; `d` may equal a source) ---- */

static void load(float *d, const char *p, int32_t dt, int64_t s, int64_t n) {
    if (dt == PK_F32) {
        const float *x = (const float *)p;
        if (s == 1) memcpy(d, x, (size_t)n * 4);
        else if (s == 0) {
            float v = x[0];
            for (int64_t j = 0; j < n; j++) d[j] = v;
        } else
            for (int64_t j = 0; j < n; j++) d[j] = x[j * s];
    } else {
        const int32_t *x = (const int32_t *)p;
        if (s == 1) {
#pragma omp simd
            for (int64_t j = 0; j < n; j++) d[j] = (float)x[j];
        } else
            for (int64_t j = 0; j < n; j++) d[j] = (float)x[j * s];
    }
}

static void store(char *p, int32_t dt, int64_t s, const float *a, int64_t n) {
    if (dt == PK_F32) {
        float *y = (float *)p;
        if (s == 1) memcpy(y, a, (size_t)n * 4);
        else
            for (int64_t j = 0; j < n; j++) y[j * s] = a[j];
    } else if (dt == PK_I32) {
        int32_t *y = (int32_t *)p;
        for (int64_t j = 0; j < n; j++) y[j * s] = pk_f2i(a[j]);
    } else {
        int32_t *y = (int32_t *)p;
        for (int64_t j = 0; j < n; j++) y[j * s] = a[j] != 0.0f;
    }
}

/* Sum in double, 8 interleaved partial sums (a fixed order for a given length). */
static double row_sum_double(const float *a, int64_t n) {
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++) s[k] += (double)a[j + k];
    double t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; j < n; j++) t += (double)a[j];
    return t;
}

static float row_sum(const float *a, int64_t n) { return (float)row_sum_double(a, n); }

/* The mean divides in double before rounding, so a row of equal values has exactly that
 * value as its mean (sum * float(1/n) would be off by an ulp, which layer norm amplifies). */
static float row_mean(const float *a, int64_t n) { return n > 0 ? (float)(row_sum_double(a, n) / (double)n) : 0.0f; }

/* Largest value; NaN if any is NaN; -inf for an empty row. */
static float row_max(const float *a, int64_t n) {
    float m[8];
    int nan[8];
    for (int k = 0; k < 8; k++) m[k] = -INFINITY, nan[k] = 0;
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++) {
            float v = a[j + k];
            nan[k] |= v != v;
            m[k] = v > m[k] ? v : m[k];
        }
    int any = 0;
    float best = -INFINITY;
    for (int k = 0; k < 8; k++) {
        any |= nan[k];
        best = m[k] > best ? m[k] : best;
    }
    for (; j < n; j++) {
        float v = a[j];
        any |= v != v;
        best = v > best ? v : best;
    }
    return any ? NAN : best;
}

#define UNARY(expr)                                                                                                    \
    do {                                                                                                               \
        _Pragma("omp simd") for (int64_t j = 0; j < n; j++) {                                                          \
            float x = a[j];                                                                                            \
            d[j] = (expr);                                                                                             \
        }                                                                                                              \
    } while (0)
#define UNARY_LIBM(expr)                                                                                               \
    do {                                                                                                               \
        for (int64_t j = 0; j < n; j++) {                                                                              \
            float x = a[j];                                                                                            \
            d[j] = (expr);                                                                                             \
        }                                                                                                              \
    } while (0)
#define BINARY(expr)                                                                                                   \
    do {                                                                                                               \
        _Pragma("omp simd") for (int64_t j = 0; j < n; j++) {                                                          \
            float x = a[j], y = b[j];                                                                                  \
            d[j] = (expr);                                                                                             \
        }                                                                                                              \
    } while (0)

typedef struct {
    const pk_view *const *ins;
    const pk_view *const *outs;
    int n_ins, n_outs;
    void *const *bases;
    int64_t col_stride[MAX_VIEWS]; /* inputs first, then outputs */
} views_t;

/* Runs the program on one segment of `n` elements; off[v] = element offset of its first one. */
/* Built twice: for AVX-512 (x86-64-v4) and the baseline, chosen at load time by the CPU.
 * Both compute every element with the same IEEE operations in the same order (no FP
 * contraction, fixed accumulator lanes), so they give identical bits. */
__attribute__((target_clones("arch=x86-64-v4", "default"))) static void exec(const pk_instr *prog, int32_t n_instr, float *regs, int64_t W, int64_t n, const views_t *vw,
                 const int64_t *off) {
    for (int32_t i = 0; i < n_instr; i++) {
        const pk_instr I = prog[i];
        float *d = regs + I.dst * W;
        const float *a = regs + (I.op == PK_OP_LOAD || I.op == PK_OP_STORE ? 0 : I.a) * W;
        const float *b = regs + I.b * W;
        const float *c = regs + I.c * W;
        switch (I.op) {
        case PK_OP_LOAD: {
            const pk_view *v = vw->ins[I.a];
            load(d, pk_addr(vw->bases, v) + 4 * off[I.a], v->ref.dtype, vw->col_stride[I.a], n);
            break;
        }
        case PK_OP_CONST: {
            float k = I.imm;
            for (int64_t j = 0; j < n; j++) d[j] = k;
            break;
        }
        case PK_OP_STORE: {
            const pk_view *v = vw->outs[I.a];
            int slot = vw->n_ins + I.a;
            store(pk_addr(vw->bases, v) + 4 * off[slot], v->ref.dtype, vw->col_stride[slot], b, n);
            break;
        }
        case PK_OP_NEG: UNARY(-x); break;
        case PK_OP_EXP: UNARY(pk_expf(x)); break;
        case PK_OP_LOG: UNARY_LIBM(logf(x)); break;
        case PK_OP_SQRT: UNARY(sqrtf(x)); break;
        case PK_OP_RSQRT: UNARY(1.0f / sqrtf(x)); break;
        case PK_OP_ABS: UNARY(fabsf(x)); break;
        case PK_OP_SIGN: UNARY(x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x == 0.0f ? 0.0f : x); break;
        case PK_OP_TANH: UNARY_LIBM(tanhf(x)); break;
        case PK_OP_ERF: UNARY(pk_erff(x)); break;
        case PK_OP_SIGMOID: UNARY(pk_sigmoidf(x)); break;
        case PK_OP_RELU: UNARY(x > 0.0f || x != x ? x : 0.0f); break;
        case PK_OP_GELU: UNARY(pk_geluf(x)); break;
        case PK_OP_SIN: UNARY_LIBM(sinf(x)); break;
        case PK_OP_COS: UNARY_LIBM(cosf(x)); break;
        case PK_OP_LEAKY_RELU: {
            float k = I.imm;
            UNARY(x >= 0.0f ? x : k * x);
            break;
        }
        case PK_OP_NOT: UNARY(x == 0.0f ? 1.0f : 0.0f); break;
        case PK_OP_TRUNC:
            UNARY(x != x ? 0.0f : x >= 2147483648.0f ? 2147483648.0f : x <= -2147483648.0f ? -2147483648.0f : truncf(x));
            break;
        case PK_OP_NONZERO: UNARY(x != 0.0f ? 1.0f : 0.0f); break;
        case PK_OP_CLAMP: {
            float lo = I.imm, hi = I.imm2;
            UNARY(x != x ? x : (x < lo ? lo : x) > hi ? hi : (x < lo ? lo : x));
            break;
        }
        case PK_OP_ADD: BINARY(x + y); break;
        case PK_OP_SUB: BINARY(x - y); break;
        case PK_OP_MUL: BINARY(x * y); break;
        case PK_OP_DIV: BINARY(x / y); break;
        case PK_OP_POW:
            for (int64_t j = 0; j < n; j++) d[j] = powf(a[j], b[j]);
            break;
        case PK_OP_MAX: BINARY(x != x || y != y ? NAN : (x >= y ? x : y)); break;
        case PK_OP_MIN: BINARY(x != x || y != y ? NAN : (x <= y ? x : y)); break;
        case PK_OP_EQ: BINARY(x == y ? 1.0f : 0.0f); break;
        case PK_OP_NE: BINARY(x != y ? 1.0f : 0.0f); break;
        case PK_OP_LT: BINARY(x < y ? 1.0f : 0.0f); break;
        case PK_OP_LE: BINARY(x <= y ? 1.0f : 0.0f); break;
        case PK_OP_GT: BINARY(x > y ? 1.0f : 0.0f); break;
        case PK_OP_GE: BINARY(x >= y ? 1.0f : 0.0f); break;
        case PK_OP_AND: BINARY(x != 0.0f && y != 0.0f ? 1.0f : 0.0f); break;
        case PK_OP_OR: BINARY(x != 0.0f || y != 0.0f ? 1.0f : 0.0f); break;
        case PK_OP_SELECT:
#pragma omp simd
            for (int64_t j = 0; j < n; j++) d[j] = a[j] != 0.0f ? b[j] : c[j];
            break;
        case PK_OP_ROW_SUM: {
            float s = row_sum(a, n);
            for (int64_t j = 0; j < n; j++) d[j] = s;
            break;
        }
        case PK_OP_ROW_MEAN: {
            float s = row_mean(a, n);
            for (int64_t j = 0; j < n; j++) d[j] = s;
            break;
        }
        case PK_OP_ROW_MAX: {
            float m = row_max(a, n);
            for (int64_t j = 0; j < n; j++) d[j] = m;
            break;
        }
        default: break; /* rejected by validate() */
        }
    }
}

static int validate(const pk_instr *p, int32_t n, int32_t nreg, int n_ins, int n_outs) {
    if (p == NULL && n > 0) return 0;
    for (int32_t i = 0; i < n; i++) {
        const pk_instr I = p[i];
        if (I.op < 0 || I.op >= PK_OP_COUNT) return 0;
        if (I.op == PK_OP_STORE) {
            if (I.a < 0 || I.a >= n_outs || I.b < 0 || I.b >= nreg) return 0;
            continue;
        }
        if (I.dst < 0 || I.dst >= nreg) return 0;
        if (I.op == PK_OP_LOAD) {
            if (I.a < 0 || I.a >= n_ins) return 0;
            continue;
        }
        if (I.op == PK_OP_CONST) continue;
        if (I.a < 0 || I.a >= nreg) return 0;
        if (I.op >= PK_OP_ADD && I.op <= PK_OP_SELECT && (I.b < 0 || I.b >= nreg)) return 0;
        if (I.op == PK_OP_SELECT && (I.c < 0 || I.c >= nreg)) return 0;
    }
    return 1;
}

void pk_rowprog_range(const pk_instr *program, int32_t n_instr, int32_t n_registers, const pk_view *shape_view,
                      const pk_view *const *ins, int n_ins, const pk_view *const *outs, int n_outs,
                      void *const *bases, int64_t e0, int64_t e1, float *regs) {
    if (!validate(program, n_instr, n_registers, n_ins, n_outs) || n_ins + n_outs > MAX_VIEWS) {
        pk_set_error(PK_ERR_BAD_STEP);
        return;
    }
    int nv = n_ins + n_outs;
    views_t vw = {.ins = ins, .outs = outs, .n_ins = n_ins, .n_outs = n_outs, .bases = bases};
    const pk_view *all[MAX_VIEWS];
    for (int v = 0; v < nv; v++) all[v] = v < n_ins ? ins[v] : outs[v - n_ins];

    int reduce = has_row_reduction(program, n_instr);
    /* Axes: all but the last are row axes. Without a reduction, merge axes contiguous in every
     * view (so [4096, 3] contiguous runs as one long row) and drop extent-1 axes. */
    int rank = 0;
    int64_t shape[PK_MAX_RANK], st[MAX_VIEWS][PK_MAX_RANK];
    const int srank = shape_view->rank;
    for (int d = 0; d < srank; d++) {
        int64_t e = shape_view->shape[d];
        if (!reduce && e == 1) continue;
        int merge = !reduce && rank > 0;
        for (int v = 0; merge && v < nv; v++)
            if (st[v][rank - 1] != all[v]->strides[d] * e) merge = 0;
        if (merge) {
            shape[rank - 1] *= e;
            for (int v = 0; v < nv; v++) st[v][rank - 1] = all[v]->strides[d];
        } else {
            shape[rank] = e;
            for (int v = 0; v < nv; v++) st[v][rank] = all[v]->strides[d];
            rank++;
        }
    }
    if (rank == 0) {
        shape[0] = 1;
        for (int v = 0; v < nv; v++) st[v][0] = 0;
        rank = 1;
    }
    const int last = rank - 1;
    const int64_t cols = shape[last];
    for (int v = 0; v < nv; v++) vw.col_stride[v] = st[v][last];
    if (cols == 0) return;

    int64_t W;
    if (reduce) W = cols;
    else {
        int64_t count = pk_view_count(shape_view);
        W = count < PK_TILE ? count : PK_TILE;
    }
    /* Row odometer over axes [0, last). */
    int64_t idx[PK_MAX_RANK], rowoff[MAX_VIEWS], off[MAX_VIEWS];
    int64_t row = e0 / cols, col = e0 % cols;
    for (int v = 0; v < nv; v++) rowoff[v] = 0;
    for (int d = last - 1; d >= 0; d--) {
        idx[d] = row % shape[d];
        row /= shape[d];
        for (int v = 0; v < nv; v++) rowoff[v] += idx[d] * st[v][d];
    }
    for (int64_t e = e0; e < e1;) {
        int64_t n = cols - col;
        if (n > W) n = W;
        if (n > e1 - e) n = e1 - e;
        for (int v = 0; v < nv; v++) off[v] = rowoff[v] + col * st[v][last];
        exec(program, n_instr, regs, W, n, &vw, off);
        e += n;
        col += n;
        if (col == cols) {
            col = 0;
            for (int d = last - 1; d >= 0; d--) {
                idx[d]++;
                for (int v = 0; v < nv; v++) rowoff[v] += st[v][d];
                if (idx[d] < shape[d]) break;
                idx[d] = 0;
                for (int v = 0; v < nv; v++) rowoff[v] -= shape[d] * st[v][d];
            }
        }
    }
}

void pk_k_rowprog(const pk_step *st, void *const *bases, int tid, int nthreads) {
    const pk_view *shape_view = &st->outputs[0];
    if (st->program == NULL || st->n_registers <= 0 || st->n_instr <= 0) {
        if (tid == 0) pk_set_error(PK_ERR_BAD_STEP);
        return;
    }
    const pk_view *ins[PK_MAX_INPUTS], *outs[4];
    int n_ins = st->n_inputs < 0 ? 0 : st->n_inputs > PK_MAX_INPUTS ? PK_MAX_INPUTS : st->n_inputs;
    int n_outs = st->n_outputs < 1 ? 1 : st->n_outputs > 4 ? 4 : st->n_outputs;
    for (int i = 0; i < n_ins; i++) ins[i] = &st->inputs[i];
    for (int i = 0; i < n_outs; i++) outs[i] = &st->outputs[i];
    int64_t cols = shape_view->rank >= 1 ? shape_view->shape[shape_view->rank - 1] : 1;
    int64_t count = pk_view_count(shape_view), e0, e1;
    if (has_row_reduction(st->program, st->n_instr)) {
        /* Whole rows per thread. */
        pk_share(cols ? count / cols : 0, tid, nthreads, &e0, &e1);
        e0 *= cols, e1 *= cols;
    } else {
        pk_share(count, tid, nthreads, &e0, &e1);
    }
    if (e0 >= e1) return;
    float *regs = (float *)pk_scratch(st, bases, tid);
    if (regs == NULL) return;
    pk_rowprog_range(st->program, st->n_instr, st->n_registers, shape_view, ins, n_ins, outs, n_outs, bases, e0, e1,
                     regs);
}
