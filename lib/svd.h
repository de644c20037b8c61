/* Singular values of a matrix through LAPACK's dgesdd (OpenBLAS exports
 * the Fortran symbol; Debian ships no LAPACKE header for it, so the
 * prototype is declared in svd.c), and the effective rank that follows
 * from them. */
#ifndef TRAJ_SVD_H
#define TRAJ_SVD_H

#include <stdint.h>

#include "error.h"

struct svd_work {
	double *a;       /* a copy of the matrix: dgesdd destroys its input */
	double *work;
	int *iwork;
	int64_t a_cap, work_cap, iwork_cap;
};

void svd_work_init(struct svd_work *w);
void svd_work_free(struct svd_work *w);

/* The min(m, n) singular values of the row-major (m, n) matrix `a`, in
 * decreasing order, into s. Returns 0, or -1 with err set (TRAJ_ENOMEM,
 * or TRAJ_EINTERNAL if LAPACK fails to converge). */
int svd_values(struct svd_work *w, const double *a, int m, int n, double *s,
	       struct traj_error *err);

/* Effective rank (Roy & Vetterli 2007): exp of the Shannon entropy of the
 * singular values normalised to sum 1, p_i = s_i / sum s_j. Between 1
 * (rank one) and k (k equal singular values); 0 for a zero matrix. */
double effective_rank(const double *s, int k);

#endif
