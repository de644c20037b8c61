#include "analysis/cka.h"

#include <math.h>
#include <stdlib.h>

#include <cblas.h>

/* Column-centred copy in double precision: the Gram sums cancel. */
static double *centred(const float *x, int d, int64_t n)
{
	double *c = malloc((size_t)n * d * sizeof *c), *mean = calloc((size_t)d, sizeof *mean);
	if (!c || !mean) {
		free(c);
		free(mean);
		return NULL;
	}
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			mean[j] += x[i * d + j];
	for (int j = 0; j < d; j++)
		mean[j] /= (double)n;
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			c[i * d + j] = x[i * d + j] - mean[j];
	free(mean);
	return c;
}

/* Squared Frobenius norm of a symmetric matrix from its upper triangle. */
static double sym_frob2(const double *g, int d)
{
	double s = 0;
	for (int i = 0; i < d; i++) {
		s += g[i * d + i] * g[i * d + i];
		for (int j = i + 1; j < d; j++)
			s += 2 * g[i * d + j] * g[i * d + j];
	}
	return s;
}

static double gram_frob(const double *c, int d, int64_t n, double *g)
{
	cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, (int)n, 1.0, c,
		    d, 0.0, g, d);
	return sqrt(sym_frob2(g, d));
}

int cka_linear(const float *x, int dx, const float *y, int dy, int64_t n,
	       double *out, struct traj_error *err)
{
	int dm = dx > dy ? dx : dy;
	double *xc = centred(x, dx, n), *yc = centred(y, dy, n);
	double *g = malloc((size_t)dm * dm * sizeof *g);
	if (!xc || !yc || !g) {
		free(xc);
		free(yc);
		free(g);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for CKA");
	}
	double nx = gram_frob(xc, dx, n, g), ny = gram_frob(yc, dy, n, g);
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dy, dx, (int)n,
		    1.0, yc, dy, xc, dx, 0.0, g, dx);
	double cross = 0;
	for (int64_t i = 0; i < (int64_t)dx * dy; i++)
		cross += g[i] * g[i];
	*out = nx > 0 && ny > 0 ? cross / (nx * ny) : NAN;
	free(xc);
	free(yc);
	free(g);
	return 0;
}
