/* Singular values of a matrix, and the effective rank that follows from
 * them. Two routes through LAPACK (OpenBLAS exports the Fortran symbols;
 * Debian ships no LAPACKE header for them, so the prototypes are declared
 * in svd.c):
 *
 * - Gram: the eigenvalues lambda_i of the Gram matrix of the smaller side
 *   (A^T A or A A^T, dsyrk, then dsyevd without vectors), s_i =
 *   sqrt(max(lambda_i, 0)). Mostly level-3 work: several times faster than
 *   bidiagonalisation on the weight matrices of a net. Squaring the matrix
 *   squares its condition number: lambda_i carries an absolute error of
 *   about c eps s_max^2 (c a small multiple of the dimension), so s_i has
 *   a relative error of about (c eps / 2) (s_max / s_i)^2.
 * - dgesdd (bidiagonalisation, no vectors): every s_i to a relative error
 *   of a few eps times s_max / s_i.
 *
 * svd_values takes the Gram route and falls back to dgesdd when the
 * spectrum it found has s_min < SVD_GRAM_MIN_RATIO s_max. So each s_i it
 * returns is within about 1e-9 of dgesdd's relative to s_i (tests/unit/
 * test_svd.c checks random, low-rank and ill-conditioned matrices), and
 * effective_rank of its values within 1e-9 relative: equal to the printed
 * %.9g digits but for the last one. */
#ifndef TRAJ_SVD_H
#define TRAJ_SVD_H

#include <stdint.h>

#include "common/error.h"

/* Below this s_min / s_max the Gram route's smallest values could be off
 * by more than 1e-9 relative (c eps / (2 ratio^2) with c up to ~20; the
 * test measures 3e-12 at this ratio). */
#define SVD_GRAM_MIN_RATIO 1e-3

struct svd_work {
	double *a;       /* a copy of the matrix (dgesdd destroys its input),
			  * or the Gram matrix */
	double *work;
	int *iwork;
	int64_t a_cap, work_cap, iwork_cap;
	int64_t calls, fallbacks; /* svd_values calls; how many of them
				   * fell back to dgesdd */
};

/* Also selects OpenBLAS's fastest kernels for this CPU (linalg_init):
 * call before other threads use BLAS. */
void svd_work_init(struct svd_work *w);
void svd_work_free(struct svd_work *w);

/* The min(m, n) singular values of the row-major (m, n) matrix `a`, in
 * decreasing order, into s, by the Gram route, through dgesdd when the
 * matrix is ill-conditioned (see above). Returns 0, or -1 with err set
 * (TRAJ_ENOMEM, or TRAJ_EINTERNAL if LAPACK fails to converge). */
int svd_values(struct svd_work *w, const double *a, int m, int n, double *s,
	       struct traj_error *err);
/* The same by one route only (the reference for the tests). */
int svd_values_gram(struct svd_work *w, const double *a, int m, int n,
		    double *s, struct traj_error *err);
int svd_values_dgesdd(struct svd_work *w, const double *a, int m, int n,
		      double *s, struct traj_error *err);

/* Effective rank (Roy & Vetterli 2007): exp of the Shannon entropy of the
 * singular values normalised to sum 1, p_i = s_i / sum s_j. Between 1
 * (rank one) and k (k equal singular values); 0 for a zero matrix. */
double svd_effective_rank(const double *s, int k);

#endif
