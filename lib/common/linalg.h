/* Thin wrappers over OpenBLAS sgemm for row-major matrices, named by what
 * they compute so callers never juggle transposes and leading dimensions.
 * Letters: A (m, k), B (k, n), C (m, n). */
#ifndef TRAJ_LINALG_H
#define TRAJ_LINALG_H

/* Works around OpenBLAS builds (Debian's 0.3.21) whose DYNAMIC_ARCH
 * detection does not know recent Intel CPUs and falls back to the SSE3
 * "Prescott" kernels, about 8x slower than the AVX-512 ones the CPU can
 * run. When the user has not chosen OPENBLAS_CORETYPE and the detected
 * core is Prescott on a CPU with AVX-512 (or AVX2), re-runs OpenBLAS's
 * core selection with SkylakeX (or Haswell). Idempotent; call before the
 * first BLAS call from a single thread (mlp_new does). Returns the name of
 * the core in use. */
const char *linalg_init(void);

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
