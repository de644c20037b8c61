/* Logistic and ridge regression by hand: the problems are tiny, and the
 * code stays readable next to the NumPy reference (tests/unit). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predict/linear.h"

int predict_cholesky_solve(double *a, double *b, int k)
{
	for (int j = 0; j < k; j++) {
		double s = a[j * k + j];
		for (int p = 0; p < j; p++)
			s -= a[j * k + p] * a[j * k + p];
		if (!(s > 0))
			return -1;
		double l = sqrt(s);
		a[j * k + j] = l;
		for (int i = j + 1; i < k; i++) {
			double t = a[i * k + j];
			for (int p = 0; p < j; p++)
				t -= a[i * k + p] * a[j * k + p];
			a[i * k + j] = t / l;
		}
	}
	for (int i = 0; i < k; i++) {   /* L z = b */
		double t = b[i];
		for (int p = 0; p < i; p++)
			t -= a[i * k + p] * b[p];
		b[i] = t / a[i * k + i];
	}
	for (int i = k - 1; i >= 0; i--) {  /* L^T x = z */
		double t = b[i];
		for (int p = i + 1; p < k; p++)
			t -= a[p * k + i] * b[p];
		b[i] = t / a[i * k + i];
	}
	return 0;
}

double predict_linear_eval(const struct predict_linear *m, const double *x)
{
	double z = m->b;
	for (int j = 0; j < m->d; j++)
		z += m->w[j] * x[j];
	return z;
}

double predict_logistic_prob(const struct predict_linear *m, const double *x)
{
	double z = predict_linear_eval(m, x);
	return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

void predict_linear_free(struct predict_linear *m)
{
	free(m->w);
	memset(m, 0, sizeof *m);
}

static int init(struct predict_linear *m, int d, struct traj_error *err)
{
	m->d = d;
	m->b = 0;
	m->w = calloc((size_t)d + 1, sizeof *m->w);
	return m->w ? 0 : traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
}

/* Newton's method on the penalised negative log-likelihood; the unknowns
 * are (w, b), k = d + 1, the intercept last. */
int predict_logistic_fit(struct predict_linear *m, const double *x, const double *y,
			 int n, int d, double lambda, struct traj_error *err)
{
	if (init(m, d, err) < 0)
		return -1;
	int k = d + 1;
	double *h = malloc((size_t)k * (size_t)k * sizeof *h);
	double *g = malloc((size_t)k * sizeof *g);
	if (!h || !g) {
		free(h);
		free(g);
		predict_linear_free(m);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	int rc = traj_fail(err, TRAJ_EDATA, -1, "logistic regression does not "
			   "converge (separable data: give --l2 > 0)");
	for (int it = 0; it < 100; it++) {
		memset(h, 0, (size_t)k * (size_t)k * sizeof *h);
		for (int j = 0; j < d; j++) {
			g[j] = lambda * m->w[j];
			h[j * k + j] = lambda;
		}
		g[d] = 0;
		for (int i = 0; i < n; i++) {
			const double *xi = x + (size_t)i * (size_t)d;
			double p = predict_logistic_prob(m, xi), r = p - y[i];
			double v = p * (1 - p) + 1e-12;
			for (int a = 0; a < k; a++) {
				double xa = a < d ? xi[a] : 1;
				g[a] += r * xa;
				for (int c = 0; c <= a; c++)
					h[a * k + c] += v * xa * (c < d ? xi[c] : 1);
			}
		}
		for (int a = 0; a < k; a++)
			for (int c = a + 1; c < k; c++)
				h[a * k + c] = h[c * k + a];
		if (predict_cholesky_solve(h, g, k) < 0)
			break;
		double step = 0;
		for (int j = 0; j < d; j++) {
			m->w[j] -= g[j];
			step = fmax(step, fabs(g[j]));
		}
		m->b -= g[d];
		step = fmax(step, fabs(g[d]));
		if (!isfinite(step))
			break;
		if (step < 1e-10) {
			rc = 0;
			break;
		}
	}
	free(h);
	free(g);
	if (rc < 0)
		predict_linear_free(m);
	return rc;
}

int predict_ridge_fit(struct predict_linear *m, const double *x, const double *y,
		      int n, int d, double lambda, struct traj_error *err)
{
	if (init(m, d, err) < 0)
		return -1;
	double *mean = calloc((size_t)d + 1, sizeof *mean);
	double *a = calloc((size_t)d * (size_t)d + 1, sizeof *a);
	if (!mean || !a || n < 1) {
		free(mean);
		free(a);
		predict_linear_free(m);
		return n < 1 ? traj_fail(err, TRAJ_EDATA, -1, "no runs to fit")
			     : traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	double ymean = 0;
	for (int i = 0; i < n; i++) {
		ymean += y[i] / n;
		for (int j = 0; j < d; j++)
			mean[j] += x[(size_t)i * (size_t)d + (size_t)j] / n;
	}
	/* (Xc^T Xc + lambda I) w = Xc^T yc */
	for (int i = 0; i < n; i++) {
		const double *xi = x + (size_t)i * (size_t)d;
		for (int j = 0; j < d; j++) {
			m->w[j] += (xi[j] - mean[j]) * (y[i] - ymean);
			for (int c = 0; c <= j; c++)
				a[j * d + c] += (xi[j] - mean[j]) * (xi[c] - mean[c]);
		}
	}
	for (int j = 0; j < d; j++) {
		a[j * d + j] += lambda > 0 ? lambda : 1e-12;
		for (int c = j + 1; c < d; c++)
			a[j * d + c] = a[c * d + j];
	}
	int rc = 0;
	if (predict_cholesky_solve(a, m->w, d) < 0) {
		rc = traj_fail(err, TRAJ_EDATA, -1, "ridge regression: singular "
			       "features (give --l2 > 0)");
		predict_linear_free(m);
	} else {
		m->b = ymean;
		for (int j = 0; j < d; j++)
			m->b -= m->w[j] * mean[j];
	}
	free(mean);
	free(a);
	return rc;
}
