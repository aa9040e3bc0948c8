#ifndef PHENAKI_CKERNELS_H
#define PHENAKI_CKERNELS_H
#include <stdint.h>
#include <stddef.h>
void pk_placeholder(void);
#endif
