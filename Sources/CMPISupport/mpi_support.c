/* Open MPI through dlopen (see mpi_support.h). The handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM,
 * ...) are, in Open MPI's ABI, the addresses of exported globals, so dlsym finds them. */
#define _GNU_SOURCE
#include "mpi_support.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef void *pk_handle; /* MPI_Comm, MPI_Datatype, MPI_Op, MPI_Request: pointers in Open MPI */

static struct {
    void *library;
    int initialized, finalized, rank, size;
    pk_handle world, f32, f64, sum, max;
    int (*init_thread)(int *, char ***, int, int *);
    int (*comm_rank)(pk_handle, int *);
    int (*comm_size)(pk_handle, int *);
    int (*allreduce)(const void *, void *, int, pk_handle, pk_handle, pk_handle);
    int (*iallreduce)(const void *, void *, int, pk_handle, pk_handle, pk_handle, pk_handle *);
    int (*wait)(pk_handle *, void *);
    int (*barrier)(pk_handle);
    int (*abort)(pk_handle, int);
    int (*finalize)(void);
    int (*error_string)(int, char *, int *);
} mpi;

static char error_text[512];

const char *pk_mpi_error(void) { return error_text; }

static int fail(const char *what, int code) {
    char detail[256] = "";
    if (code != 0 && mpi.error_string) {
        int length = 0;
        char text[256];
        if (mpi.error_string(code, text, &length) == 0 && length > 0) snprintf(detail, sizeof detail, ": %.*s", length, text);
    }
    snprintf(error_text, sizeof error_text, "%s failed (code %d)%s", what, code, detail);
    return code == 0 ? -1 : code;
}

static int env_int(const char *name) {
    const char *value = getenv(name);
    return value ? atoi(value) : 0;
}

int pk_mpi_launched_size(void) {
    int size = env_int("OMPI_COMM_WORLD_SIZE");
    if (size == 0) size = env_int("PMIX_SIZE");
    if (size == 0) size = env_int("PMI_SIZE");
    return size;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The watchdog: the start of the collective call in flight (0: none) and its name. */
static _Atomic double call_started = 0;
static const char *_Atomic call_name = "";
static _Atomic double timeout_seconds = 0;
static pthread_t watchdog;
static int watchdog_running = 0;

static void *watch(void *unused) {
    (void)unused;
    for (;;) {
        sleep(1);
        double limit = atomic_load(&timeout_seconds), started = atomic_load(&call_started);
        if (limit > 0 && started > 0 && now_seconds() - started > limit) {
            fprintf(stderr,
                    "phenaki: rank %d of %d: %s has waited %.0f s for the other ranks (--mpi-timeout); "
                    "one of them has died or hangs. Ending this rank; the latest checkpoint is unaffected.\n",
                    mpi.rank, mpi.size, atomic_load(&call_name), now_seconds() - started);
            fflush(stderr);
            _exit(75);
        }
    }
    return NULL;
}

void pk_mpi_set_timeout(double seconds) {
    atomic_store(&timeout_seconds, seconds);
    if (seconds > 0 && !watchdog_running) {
        if (pthread_create(&watchdog, NULL, watch, NULL) == 0) {
            pthread_detach(watchdog);
            watchdog_running = 1;
        }
    }
}

static void begin_call(const char *name) {
    atomic_store(&call_name, name);
    atomic_store(&call_started, now_seconds());
}

static void end_call(void) { atomic_store(&call_started, 0); }

#define LOAD(field, symbol)                                                                           \
    do {                                                                                              \
        *(void **)(&mpi.field) = dlsym(mpi.library, symbol);                                          \
        if (!mpi.field) {                                                                             \
            snprintf(error_text, sizeof error_text, "libmpi.so.40 has no symbol %s: is it Open MPI?", symbol); \
            return -1;                                                                                \
        }                                                                                             \
    } while (0)

int pk_mpi_init(void) {
    if (mpi.initialized) return 0;
    if (mpi.finalized) {
        snprintf(error_text, sizeof error_text, "MPI was already finalized in this process");
        return -1;
    }
    /* RTLD_GLOBAL: Open MPI's own plugins, loaded later with dlopen, resolve libmpi's symbols. */
    mpi.library = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!mpi.library) {
        snprintf(error_text, sizeof error_text,
                 "cannot load Open MPI (libmpi.so.40): %s; install libopenmpi-dev and openmpi-bin", dlerror());
        return -1;
    }
    LOAD(init_thread, "MPI_Init_thread");
    LOAD(comm_rank, "MPI_Comm_rank");
    LOAD(comm_size, "MPI_Comm_size");
    LOAD(allreduce, "MPI_Allreduce");
    LOAD(iallreduce, "MPI_Iallreduce");
    LOAD(wait, "MPI_Wait");
    LOAD(barrier, "MPI_Barrier");
    LOAD(abort, "MPI_Abort");
    LOAD(finalize, "MPI_Finalize");
    LOAD(error_string, "MPI_Error_string");
    LOAD(world, "ompi_mpi_comm_world");
    LOAD(f32, "ompi_mpi_float");
    LOAD(f64, "ompi_mpi_double");
    LOAD(sum, "ompi_mpi_op_sum");
    LOAD(max, "ompi_mpi_op_max");
    int provided = 0;
    int code = mpi.init_thread(NULL, NULL, 1 /* MPI_THREAD_FUNNELED */, &provided);
    if (code != 0) return fail("MPI_Init_thread", code);
    if ((code = mpi.comm_rank(mpi.world, &mpi.rank)) != 0) return fail("MPI_Comm_rank", code);
    if ((code = mpi.comm_size(mpi.world, &mpi.size)) != 0) return fail("MPI_Comm_size", code);
    mpi.initialized = 1;
    return 0;
}

int pk_mpi_rank(void) { return mpi.initialized ? mpi.rank : 0; }
int pk_mpi_size(void) { return mpi.initialized ? mpi.size : 1; }

static int ready(void) {
    if (mpi.initialized && !mpi.finalized) return 1;
    snprintf(error_text, sizeof error_text, "MPI is not initialized (or already finalized)");
    return 0;
}

int pk_mpi_allreduce_sum_f32(float *buffer, int64_t count) {
    if (!ready()) return -1;
    begin_call("an allreduce");
    for (int64_t done = 0; done < count;) {
        int chunk = (int)(count - done > (1 << 30) ? (1 << 30) : count - done);
        int code = mpi.allreduce((void *)1 /* MPI_IN_PLACE */, buffer + done, chunk, mpi.f32, mpi.sum, mpi.world);
        if (code != 0) {
            end_call();
            return fail("MPI_Allreduce", code);
        }
        done += chunk;
    }
    end_call();
    return 0;
}

int pk_mpi_allreduce_max_f64(double *buffer, int count) {
    if (!ready()) return -1;
    begin_call("an allreduce");
    int code = mpi.allreduce((void *)1, buffer, count, mpi.f64, mpi.max, mpi.world);
    end_call();
    return code == 0 ? 0 : fail("MPI_Allreduce", code);
}

/* The staging memory of the buckets, kept between calls. */
static float *staging;
static int64_t staging_capacity;

int pk_mpi_average_f32(const float *const *src, float *const *dst, const int64_t *counts, int n,
                       int64_t bucket_elements, double *seconds) {
    double started = now_seconds();
    if (!mpi.initialized) {
        /* One process: the average is the value itself. */
        for (int i = 0; i < n; i++) memcpy(dst[i], src[i], (size_t)counts[i] * sizeof(float));
        if (seconds) *seconds = now_seconds() - started;
        return 0;
    }
    if (!ready()) return -1;
    if (bucket_elements < 1) bucket_elements = 1;
    int64_t total = 0;
    for (int i = 0; i < n; i++) total += counts[i];
    if (total > staging_capacity) {
        float *grown = realloc(staging, (size_t)total * sizeof(float));
        if (!grown) {
            snprintf(error_text, sizeof error_text, "out of memory for %lld floats of allreduce buckets", (long long)total);
            return -1;
        }
        staging = grown;
        staging_capacity = total;
    }
    /* Buckets: consecutive arrays until a bucket holds bucket_elements floats. */
    int buckets = 0;
    int *first = malloc(sizeof(int) * (size_t)(n + 1));
    pk_handle *requests = malloc(sizeof(pk_handle) * (size_t)(n + 1));
    int64_t *offsets = malloc(sizeof(int64_t) * (size_t)(n + 1));
    if (!first || !requests || !offsets) {
        free(first), free(requests), free(offsets);
        snprintf(error_text, sizeof error_text, "out of memory for the allreduce buckets");
        return -1;
    }
    int code = 0;
    begin_call("a gradient allreduce");
    int64_t offset = 0;
    for (int i = 0; i < n;) {
        int64_t start = offset, size = 0;
        first[buckets] = i;
        offsets[buckets] = start;
        while (i < n && (size == 0 || size + counts[i] <= bucket_elements)) {
            memcpy(staging + offset, src[i], (size_t)counts[i] * sizeof(float));
            offset += counts[i];
            size += counts[i];
            i++;
        }
        if (size > (1 << 30)) {
            code = -2;
            break;
        }
        code = mpi.iallreduce((void *)1, staging + start, (int)size, mpi.f32, mpi.sum, mpi.world, &requests[buckets]);
        if (code != 0) break;
        buckets++;
    }
    first[buckets] = n;
    float scale = (float)mpi.size;
    for (int b = 0; b < buckets; b++) {
        int waited = mpi.wait(&requests[b], NULL);
        if (waited != 0 && code == 0) code = waited;
        if (code != 0) continue;
        int64_t at = offsets[b];
        for (int i = first[b]; i < first[b + 1]; i++) {
            const float *s = staging + at;
            float *d = dst[i];
            for (int64_t j = 0; j < counts[i]; j++) d[j] = s[j] / scale;
            at += counts[i];
        }
    }
    end_call();
    free(first), free(requests), free(offsets);
    if (code == -2) {
        snprintf(error_text, sizeof error_text, "one gradient holds more than 2^30 floats: too large for one MPI message");
        return -1;
    }
    if (code != 0) return fail("MPI_Iallreduce", code);
    if (seconds) *seconds = now_seconds() - started;
    return 0;
}

int pk_mpi_barrier(void) {
    if (!ready()) return -1;
    begin_call("a barrier");
    int code = mpi.barrier(mpi.world);
    end_call();
    return code == 0 ? 0 : fail("MPI_Barrier", code);
}

void pk_mpi_abort(int code, const char *message) {
    fprintf(stderr, "phenaki: rank %d of %d: %s\n", pk_mpi_rank(), pk_mpi_size(), message);
    fflush(stderr);
    if (mpi.initialized && !mpi.finalized) mpi.abort(mpi.world, code);
    _exit(code);
}

int pk_mpi_finalize(void) {
    if (!mpi.initialized || mpi.finalized) return 0;
    atomic_store(&timeout_seconds, 0);
    mpi.finalized = 1;
    int code = mpi.finalize();
    return code == 0 ? 0 : fail("MPI_Finalize", code);
}
