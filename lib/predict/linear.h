/* The linear models of traj predict, in double precision on small dense
 * problems (n runs, d features, d at most a few hundred):
 *
 *   predict_logistic_fit: binary logistic regression with an L2 penalty
 *   lambda/2 |w|^2 on the weights, not on the intercept, fitted by
 *   Newton's method (iteratively reweighted least squares);
 *   predict_ridge_fit: least squares with the penalty lambda |w|^2, in
 *   closed form on centred data.
 *
 * x is row-major (n, d). A model is y = x.w + b (logistic: p = 1 / (1 +
 * exp(-(x.w + b)))). */
#ifndef TRAJ_PREDICT_LINEAR_H
#define TRAJ_PREDICT_LINEAR_H

#include "common/error.h"

struct predict_linear {
	int d;
	double *w;   /* (d) */
	double b;
};

/* y[i] in {0, 1}. Returns 0, or -1 with err set (TRAJ_ENOMEM; TRAJ_EDATA
 * when Newton's method does not converge in 100 steps, which needs lambda
 * 0 and separable data). */
int predict_logistic_fit(struct predict_linear *m, const double *x, const double *y,
			 int n, int d, double lambda, struct traj_error *err);
int predict_ridge_fit(struct predict_linear *m, const double *x, const double *y,
		      int n, int d, double lambda, struct traj_error *err);
double predict_linear_eval(const struct predict_linear *m, const double *x);
double predict_logistic_prob(const struct predict_linear *m, const double *x);
void predict_linear_free(struct predict_linear *m);

/* Solves a x = b in place (b becomes x) for a symmetric positive definite
 * (k, k) matrix a, which is overwritten by its Cholesky factor. Returns 0,
 * or -1 when a is not positive definite. */
int predict_cholesky_solve(double *a, double *b, int k);

#endif
