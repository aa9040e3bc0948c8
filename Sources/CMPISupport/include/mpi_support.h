#ifndef PK_MPI_SUPPORT_H
#define PK_MPI_SUPPORT_H

/* Open MPI behind dlopen: the binary neither links nor needs libmpi until a process started by
 * mpirun asks for the process group. Only Open MPI's ABI (libmpi.so.40, whose handles are
 * pointers to exported globals) is supported. Every call is made from one thread.
 *
 * Functions return 0 on success; on failure a nonzero code and pk_mpi_error() says why. */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the environment says mpirun (or another PMIx launcher) started this process with more
 * than one rank in its job: OMPI_COMM_WORLD_SIZE, else PMIX_SIZE / PMI_SIZE. */
int pk_mpi_launched_size(void);

/* Loads libmpi.so.40 and calls MPI_Init_thread(FUNNELED). Idempotent. */
int pk_mpi_init(void);
int pk_mpi_rank(void);
int pk_mpi_size(void);
const char *pk_mpi_error(void);

/* Sums `count` floats over all ranks into every rank's `buffer` (in place). */
int pk_mpi_allreduce_sum_f32(float *buffer, int64_t count);
/* Takes the element-wise maximum of `count` doubles over all ranks, in place. */
int pk_mpi_allreduce_max_f64(double *buffer, int count);

/* Averages n float arrays over all ranks: dst[i][j] = (sum over ranks of src[i][j]) / size.
 * The arrays are packed into buckets of at most bucket_elements floats (an array larger than
 * that is a bucket of its own); every bucket's MPI_Iallreduce is started before the first is
 * waited on, and each is unpacked (and scaled) as soon as it completes, so Open MPI can pipeline
 * the buckets. Without MPI initialised it copies src to dst. `seconds`, when not NULL, gets the
 * wall time from the first start to the last unpack. */
int pk_mpi_average_f32(const float *const *src, float *const *dst, const int64_t *counts, int n,
                       int64_t bucket_elements, double *seconds);

int pk_mpi_barrier(void);
/* Writes `message` to standard error with the rank and calls MPI_Abort(world, code). */
void pk_mpi_abort(int code, const char *message);
/* MPI_Finalize; after it no other call may be made. */
int pk_mpi_finalize(void);

/* A watchdog thread that ends the process (exit status 75, with a message naming the rank and
 * the stalled operation) when one collective call has been waiting longer than `seconds`.
 * 0 turns it off. */
void pk_mpi_set_timeout(double seconds);

#ifdef __cplusplus
}
#endif

#endif
