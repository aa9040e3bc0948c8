/* Setters for plan structs (pk_build.h). */
#include "pk_build.h"

#include <string.h>

void pk_view_set(pk_view *v, int32_t arena, int32_t dtype, int64_t offset_bytes, int32_t rank, const int64_t *shape,
                 const int64_t *strides) {
    memset(v, 0, sizeof *v);
    v->ref.arena = arena;
    v->ref.dtype = dtype;
    v->ref.offset = offset_bytes;
    v->rank = rank;
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        v->shape[d] = shape[d];
        v->strides[d] = strides ? strides[d] : s;
        s *= shape[d];
    }
}

void pk_step_init(pk_step *s, int32_t kind) {
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->n_outputs = 1;
}

void pk_step_set_input(pk_step *s, int32_t i, const pk_view *v) {
    s->inputs[i] = *v;
    if (s->n_inputs < i + 1) s->n_inputs = i + 1;
}

void pk_step_set_output(pk_step *s, int32_t i, const pk_view *v) {
    s->outputs[i] = *v;
    if (s->n_outputs < i + 1) s->n_outputs = i + 1;
}

void pk_step_set_iattr(pk_step *s, int32_t i, int64_t value) { s->iattr[i] = value; }

void pk_step_set_fattr(pk_step *s, int32_t i, float value) { s->fattr[i] = value; }

pk_instr pk_instr_make(int32_t op, int32_t dst, int32_t a, int32_t b, int32_t c, float imm, float imm2) {
    pk_instr I = {(int16_t)op, (int16_t)dst, (int16_t)a, (int16_t)b, (int16_t)c, 0, imm, imm2};
    return I;
}
