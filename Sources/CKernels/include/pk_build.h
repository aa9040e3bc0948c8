#ifndef PHENAKI_PK_BUILD_H
#define PHENAKI_PK_BUILD_H
/* Small setters for pk_view / pk_step / pk_instr: the fixed arrays of pk_plan.h import into
 * Swift as tuples, which these keep out of Swift code (tests, the plan loader). */
#include "pk_plan.h"

/* A view of `rank` axes; strides == NULL means contiguous row-major. */
void pk_view_set(pk_view *v, int32_t arena, int32_t dtype, int64_t offset_bytes, int32_t rank,
                 const int64_t *shape, const int64_t *strides);
/* A zeroed step of `kind`. */
void pk_step_init(pk_step *s, int32_t kind);
void pk_step_set_input(pk_step *s, int32_t i, const pk_view *v);
void pk_step_set_output(pk_step *s, int32_t i, const pk_view *v);
void pk_step_set_iattr(pk_step *s, int32_t i, int64_t value);
void pk_step_set_fattr(pk_step *s, int32_t i, float value);
pk_instr pk_instr_make(int32_t op, int32_t dst, int32_t a, int32_t b, int32_t c, float imm, float imm2);

#endif
