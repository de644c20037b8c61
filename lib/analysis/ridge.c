#include "analysis/ridge.h"

#include <stdlib.h>
#include <string.h>

#include <cblas.h>

/* LAPACK, column-major; the trailing size_t are gfortran's hidden lengths
 * of the character arguments. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
	     const int *lda, double *w, double *work, const int *lwork,
	     int *iwork, const int *liwork, int *info, size_t jobz_len,
	     size_t uplo_len);

void ridge_free(struct ridge *r)
{
	free(r->x_mean);
	free(r->y_mean);
	free(r->qt);
	free(r->eig);
	free(r->b);
	free(r->scratch);
	memset(r, 0, sizeof *r);
}

static void column_means(const float *x, int d, const int64_t *rows,
			 int64_t n, double *mean)
{
	memset(mean, 0, (size_t)d * sizeof *mean);
	for (int64_t i = 0; i < n; i++) {
		const float *row = x + rows[i] * d;
		for (int j = 0; j < d; j++)
			mean[j] += row[j];
	}
	for (int j = 0; j < d; j++)
		mean[j] /= n > 0 ? (double)n : 1.0;
}

/* The rows of x, centred, as doubles (n, d). */
static void gather_centred(const float *x, int d, const double *mean,
			   const int64_t *rows, int64_t n, double *out)
{
	for (int64_t i = 0; i < n; i++) {
		const float *row = x + rows[i] * d;
		for (int j = 0; j < d; j++)
			out[i * d + j] = row[j] - mean[j];
	}
}

/* Eigendecomposition of the symmetric (d, d) matrix g, in place: on
 * return its rows are the eigenvectors. */
static int eigen(double *g, int d, double *eig, struct traj_error *err)
{
	int n = d, info = 0, lwork = -1, liwork = -1, iquery;
	double query;
	/* Row-major upper triangle = column-major lower. */
	dsyevd_("V", "L", &n, g, &n, eig, &query, &lwork, &iquery, &liwork,
		&info, 1, 1);
	if (info != 0)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "dsyevd workspace query: info %d", info);
	lwork = (int)query + 1;
	liwork = iquery;
	double *work = malloc((size_t)lwork * sizeof *work);
	int *iwork = malloc((size_t)liwork * sizeof *iwork);
	if (!work || !iwork) {
		free(work);
		free(iwork);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	dsyevd_("V", "L", &n, g, &n, eig, work, &lwork, iwork, &liwork,
		&info, 1, 1);
	free(work);
	free(iwork);
	if (info != 0)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "dsyevd: no convergence (info %d)", info);
	for (int j = 0; j < d; j++)
		if (!(eig[j] > 0))
			eig[j] = 0; /* rounding below a zero eigenvalue */
	return 0;
}

static int ridge_alloc(struct ridge *r, int d, int t)
{
	memset(r, 0, sizeof *r);
	r->d = d;
	r->t = t;
	r->x_mean = malloc((size_t)d * sizeof *r->x_mean);
	r->y_mean = malloc((size_t)t * sizeof *r->y_mean);
	r->qt = malloc((size_t)d * d * sizeof *r->qt);
	r->eig = malloc((size_t)d * sizeof *r->eig);
	r->b = malloc((size_t)d * t * sizeof *r->b);
	r->scratch = malloc((size_t)d * t * sizeof *r->scratch);
	return r->x_mean && r->y_mean && r->qt && r->eig && r->b && r->scratch
	       ? 0 : -1;
}

/* Rows per block in the fit and the projection: bounded scratch,
 * BLAS-sized products. */
#define RIDGE_BLOCK 256

/* Accumulates the centred Gram matrix (upper triangle) into r->qt, and
 * Xc^T Y (= Xc^T Yc: the columns of Xc sum to zero) into xty, and the
 * column sums of Y into r->y_mean, a block of rows at a time. */
static void accumulate(struct ridge *r, const float *x, const int64_t *rows,
		       int64_t n, ridge_row_fn *fill_y, void *ctx,
		       double *xc, double *yg, double *xty)
{
	int d = r->d, t = r->t;
	for (int64_t i = 0; i < n; i += RIDGE_BLOCK) {
		int m = (int)(n - i < RIDGE_BLOCK ? n - i : RIDGE_BLOCK);
		gather_centred(x, d, r->x_mean, rows + i, m, xc);
		for (int k = 0; k < m; k++) {
			fill_y(ctx, rows[i + k], yg + (size_t)k * t);
			for (int j = 0; j < t; j++)
				r->y_mean[j] += yg[(size_t)k * t + j];
		}
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, m, 1.0,
			    xc, d, 1.0, r->qt, d);
		cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, t, m,
			    1.0, xc, d, yg, t, 1.0, xty, t);
	}
}

int ridge_fit(struct ridge *r, const float *x, int d, int t,
	      const int64_t *rows, int64_t n, ridge_row_fn *fill_y, void *ctx,
	      struct traj_error *err)
{
	double *xc = malloc((size_t)RIDGE_BLOCK * d * sizeof *xc);
	double *yg = malloc((size_t)RIDGE_BLOCK * t * sizeof *yg);
	double *xty = calloc((size_t)d * t, sizeof *xty);
	int rc = -1;
	if (ridge_alloc(r, d, t) < 0 || !xc || !yg || !xty) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for a probe");
		goto out;
	}
	column_means(x, d, rows, n, r->x_mean);
	memset(r->y_mean, 0, (size_t)t * sizeof *r->y_mean);
	memset(r->qt, 0, (size_t)d * d * sizeof *r->qt);
	accumulate(r, x, rows, n, fill_y, ctx, xc, yg, xty);
	for (int j = 0; j < t; j++)
		r->y_mean[j] /= n > 0 ? (double)n : 1.0;
	if (eigen(r->qt, d, r->eig, err) < 0)
		goto out;
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, t, d, 1.0,
		    r->qt, d, xty, t, 0.0, r->b, t);
	rc = 0;
out:
	free(xc);
	free(yg);
	free(xty);
	if (rc < 0)
		ridge_free(r);
	return rc;
}

double ridge_scale(const struct ridge *r)
{
	double s = 0;
	for (int j = 0; j < r->d; j++)
		s += r->eig[j];
	return r->d > 0 ? s / r->d : 0;
}

int ridge_project(const struct ridge *r, const float *x,
		  const int64_t *rows, int64_t n, double *p,
		  struct traj_error *err)
{
	int d = r->d;
	double *xc = malloc((size_t)RIDGE_BLOCK * d * sizeof *xc);
	if (!xc)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for a probe");
	for (int64_t i = 0; i < n; i += RIDGE_BLOCK) {
		int64_t m = n - i < RIDGE_BLOCK ? n - i : RIDGE_BLOCK;
		gather_centred(x, d, r->x_mean, rows + i, m, xc);
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, d,
			    d, 1.0, xc, d, r->qt, d, 0.0, p + i * d, d);
	}
	free(xc);
	return 0;
}

/* scratch = diag(1 / (e + lambda)) B; a zero direction (e + lambda = 0)
 * contributes nothing, the minimum-norm solution. */
static void scale_b(struct ridge *r, double lambda)
{
	for (int i = 0; i < r->d; i++) {
		double s = r->eig[i] + lambda > 0 ? 1 / (r->eig[i] + lambda) : 0;
		for (int j = 0; j < r->t; j++)
			r->scratch[i * r->t + j] = s * r->b[i * r->t + j];
	}
}

void ridge_predict(struct ridge *r, const double *p, int64_t n,
		   double lambda, double *out)
{
	int t = r->t;
	scale_b(r, lambda);
	for (int64_t i = 0; i < n; i++)
		memcpy(out + i * t, r->y_mean, (size_t)t * sizeof *out);
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, t, r->d,
		    1.0, p, r->d, r->scratch, t, 1.0, out, t);
}

void ridge_coefs(struct ridge *r, double lambda, double *w, double *intercept)
{
	int d = r->d, t = r->t;
	scale_b(r, lambda);
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, t, d, 1.0,
		    r->qt, d, r->scratch, t, 0.0, w, t);
	for (int j = 0; j < t; j++) {
		double s = r->y_mean[j];
		for (int i = 0; i < d; i++)
			s -= r->x_mean[i] * w[i * t + j];
		intercept[j] = s;
	}
}
