/* Ridge regression in closed form (OpenBLAS/LAPACK, double precision).
 *
 * The fit decomposes the Gram matrix of the centred inputs once,
 * Xc^T Xc = Q diag(e) Q^T, so that the solution for any regularisation
 * lambda, W = Q diag(1 / (e + lambda)) Q^T Xc^T Y, costs one product:
 * choosing lambda from a grid costs one eigendecomposition, not one
 * solve per value. An intercept is always fitted (not regularised):
 * predictions are (x - x_mean) W + y_mean.
 *
 * Letters: n rows, d features, t outputs. Matrices are row-major. */
#ifndef TRAJ_RIDGE_H
#define TRAJ_RIDGE_H

#include <stdint.h>

#include "common/error.h"

struct ridge {
	int d, t;
	double *x_mean;  /* (d) */
	double *y_mean;  /* (t) */
	double *qt;      /* (d, d) eigenvectors of the Gram matrix, as rows */
	double *eig;     /* (d) its eigenvalues, ascending, clamped at 0 */
	double *b;       /* (d, t) Q^T Xc^T Y */
	double *scratch; /* (d, t) B scaled for one lambda */
};

/* Writes the t regression targets of input `row` into out. */
typedef void ridge_row_fn(void *ctx, int64_t row, double *out);

/* Fits on the rows rows[0..n) of x (a float matrix of row stride d), the
 * targets of each row given by fill_y: no (n, t) matrix is ever built.
 * Returns 0, or -1 with err set (TRAJ_ENOMEM, or TRAJ_EINTERNAL if
 * LAPACK fails); on success the struct is owned: ridge_free. */
int ridge_fit(struct ridge *r, const float *x, int d, int t,
	      const int64_t *rows, int64_t n, ridge_row_fn *fill_y, void *ctx,
	      struct traj_error *err);
void ridge_free(struct ridge *r);

/* The mean eigenvalue of the centred Gram matrix, trace / d: the scale
 * against which relative regularisations are given. */
double ridge_scale(const struct ridge *r);

/* P = (x[rows] - x_mean) Q, (n, d): the rows in the eigenbasis, computed
 * once and reused for every lambda. */
int ridge_project(const struct ridge *r, const float *x,
		  const int64_t *rows, int64_t n, double *p,
		  struct traj_error *err);
/* Predictions (n, t) for the projected rows p with regularisation lambda. */
void ridge_predict(struct ridge *r, const double *p, int64_t n,
		   double lambda, double *out);
/* The coefficients W (d, t) and intercept (t) for lambda, in the original
 * basis: y = x W + intercept. */
void ridge_coefs(struct ridge *r, double lambda, double *w, double *intercept);

#endif
