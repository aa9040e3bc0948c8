/* Loads OpenBLAS with dlopen after pinning its kernel choice for AVX-512 CPUs (see pk_plan.h). */
#define _GNU_SOURCE
#include "pk_internal.h"

#include <cpuid.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

pk_cblas_sgemm_fn pk_cblas_sgemm = NULL;
static void (*set_num_threads)(int) = NULL;
static int (*get_num_threads)(void) = NULL;
static char *(*get_corename)(void) = NULL;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_status = -1;
static char error_text[512] = "pk_blas_init has not run";

/* AVX-512 F/DQ/BW/VL in cpuid leaf 7 and ZMM/opmask/YMM/XMM state enabled by the OS in XCR0. */
static int cpu_has_avx512(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0; /* OSXSAVE */
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    if ((b & need) != need) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    const unsigned xcr0 = (1u << 1) | (1u << 2) | (1u << 5) | (1u << 6) | (1u << 7);
    return (lo & xcr0) == xcr0;
}

static void load(void) {
    if (cpu_has_avx512() && getenv("OPENBLAS_CORETYPE") == NULL) setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    void *lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) lib = dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *why = dlerror();
        snprintf(error_text, sizeof error_text,
                 "OpenBLAS not found (%s): install libopenblas-dev (or libopenblas0)", why ? why : "dlopen failed");
        init_status = 1;
        return;
    }
    *(void **)&pk_cblas_sgemm = dlsym(lib, "cblas_sgemm");
    *(void **)&set_num_threads = dlsym(lib, "openblas_set_num_threads");
    *(void **)&get_num_threads = dlsym(lib, "openblas_get_num_threads");
    *(void **)&get_corename = dlsym(lib, "openblas_get_corename");
    if (!pk_cblas_sgemm || !set_num_threads || !get_num_threads || !get_corename) {
        snprintf(error_text, sizeof error_text,
                 "the loaded libopenblas lacks cblas_sgemm or openblas_* symbols: install libopenblas-dev (or libopenblas0)");
        pk_cblas_sgemm = NULL;
        init_status = 2;
        return;
    }
    /* The executor parallelises GEMMs itself and several plans may run at once on different
     * threads: OpenBLAS's own pool is not safe for concurrent callers, so it stays at one
     * thread for the life of the process (the sgemm micro-benchmark alone raises it). */
    set_num_threads(1);
    error_text[0] = '\0';
    init_status = 0;
}

int pk_blas_init(void) {
    pthread_once(&once, load);
    return init_status;
}

const char *pk_blas_error(void) {
    pk_blas_init();
    return error_text;
}

const char *pk_blas_corename(void) {
    if (pk_blas_init() != 0) return "unavailable";
    return get_corename();
}

void pk_blas_set_threads(int n) {
    if (pk_blas_init() == 0) set_num_threads(n < 1 ? 1 : n);
}

int pk_blas_get_threads(void) {
    return pk_blas_init() == 0 ? get_num_threads() : 0;
}
