/* Thin wrappers over OpenBLAS sgemm for row-major matrices, named by what
 * they compute so callers never juggle transposes and leading dimensions.
 * Letters: A (m, k), B (k, n), C (m, n). */
#ifndef TRAJ_LINALG_H
#define TRAJ_LINALG_H

#include "common/error.h"

/* Works around OpenBLAS builds (Debian's 0.3.21) whose DYNAMIC_ARCH
 * detection does not know recent Intel CPUs and falls back to the SSE3
 * "Prescott" kernels, about 8x slower than the AVX-512 ones the CPU can
 * run. When the user has not chosen OPENBLAS_CORETYPE and the detected
 * core is Prescott on a CPU with AVX-512 (or AVX2), re-runs OpenBLAS's
 * core selection with SkylakeX (or Haswell). Idempotent; call before the
 * first BLAS call from a single thread (mlp_new does). Returns the name of
 * the core in use. */
const char *linalg_init(void);

/* Pins OpenBLAS to the kernel set `name` (an OpenBLAS core type: Prescott,
 * Nehalem, Sandybridge, Haswell, Zen, SkylakeX, Cooperlake; any case), so
 * that a run gives the same bits on every machine that has the core's
 * instructions: OpenBLAS otherwise picks its kernels per CPU, and the
 * kernels round differently. Refuses a name it does not know or a core
 * whose instructions this CPU lacks (TRAJ_EUSAGE), before any BLAS call
 * would fault. Call before the first BLAS call, from one thread; it takes
 * the place of linalg_init's choice. */
int linalg_set_core(const char *name, struct traj_error *err);
/* The OpenBLAS core in use and the library's build configuration
 * ("OpenBLAS 0.3.21 DYNAMIC_ARCH ..."), for the run header. */
const char *linalg_core(void);
const char *linalg_library(void);
/* The core names linalg_set_core accepts, comma-separated, for messages. */
const char *linalg_core_names(void);

/* OpenBLAS's thread count, and setting it (for the whole process):
 * code that runs products on several threads of its own sets it to 1
 * around them, then restores it. */
int linalg_threads(void);
void linalg_set_threads(int n);

/* Counting of the products below, for benchmarks that want the products'
 * own GFLOP/s: off by default, when each product costs one untaken branch.
 * linalg_count(1) zeroes the counts and starts counting (from one thread:
 * the counts are not atomic); linalg_count(0) stops. */
struct linalg_counts {
	long long calls;
	double flop;     /* 2 m n k summed over the products */
	double seconds;  /* wall time inside sgemm */
};
void linalg_count(int on);
struct linalg_counts linalg_counted(void);

/* C = A @ B + beta * C; A (m, k), B (k, n), C (m, n). */
void linalg_matmul(int m, int n, int k, const float *a, const float *b,
		   float beta, float *c);
/* C += A^T @ B; A (k, m), B (k, n), C (m, n). Weight gradients. */
void linalg_matmul_tn_acc(int m, int n, int k, const float *a, const float *b,
			  float *c);
/* C = A @ B^T; A (m, k), B (n, k), C (m, n). Input gradients. */
void linalg_matmul_nt(int m, int n, int k, const float *a, const float *b,
		      float *c);
/* C += A @ B^T; A (m, k), B (n, k), C (m, n). */
void linalg_matmul_nt_acc(int m, int n, int k, const float *a,
			  const float *b, float *c);

#endif
