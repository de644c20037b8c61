/* Linear CKA: 1 for a representation against itself, invariant to an
 * orthogonal transform and an isotropic scaling, a hand case, and numpy. */
#include <stdlib.h>

#include "analysis/cka.h"
#include "harness.h"
#include "common/rng.h"

enum { N = 50, D = 4 };

static void random_matrix(float *x, int n, uint64_t seed)
{
	struct rng g;
	rng_seed(&g, seed);
	for (int i = 0; i < n; i++)
		x[i] = rng_uniform(&g) * 2 - 1;
}

static double cka(const float *x, int dx, const float *y, int dy, int n)
{
	double v = NAN;
	struct traj_error err;
	CHECK(cka_linear(x, dx, y, dy, n, &v, &err) == 0);
	return v;
}

static void test_self(void)
{
	static float x[N * D];
	random_matrix(x, N * D, 1);
	CHECK_NEAR(cka(x, D, x, D, N), 1, 1e-12);
}

/* Y = 3 X R + c with R a rotation in the (0, 1) and (2, 3) planes. */
static void test_invariance(void)
{
	static float x[N * D], y[N * D], z[N * D];
	random_matrix(x, N * D, 2);
	random_matrix(z, N * D, 3);
	double c = cos(0.7), s = sin(0.7);
	for (int i = 0; i < N; i++) {
		const float *a = x + i * D;
		float *b = y + i * D;
		b[0] = (float)(3 * (c * a[0] - s * a[1]) + 5);
		b[1] = (float)(3 * (s * a[0] + c * a[1]) - 1);
		b[2] = (float)(3 * (c * a[2] + s * a[3]));
		b[3] = (float)(3 * (-s * a[2] + c * a[3]) + 2);
	}
	CHECK_NEAR(cka(x, D, y, D, N), 1, 1e-6);
	double xz = cka(x, D, z, D, N);
	CHECK(xz < 0.5);
	CHECK_NEAR(cka(z, D, x, D, N), xz, 1e-12); /* symmetric */
	/* an anisotropic scaling is not invariant */
	for (int i = 0; i < N; i++)
		y[i * D] = 10 * x[i * D];
	for (int i = 0; i < N; i++)
		for (int j = 1; j < D; j++)
			y[i * D + j] = x[i * D + j];
	CHECK(cka(x, D, y, D, N) < 0.99);
}

/* x = (1, 2, 3, 4) against y = (0, 0, 1, 1), one feature each:
 * centred x = (-1.5, -.5, .5, 1.5), y = (-.5, -.5, .5, .5); x.y = 2,
 * |x|^2 = 5, |y|^2 = 1: CKA = 4 / (5 * 1) = 0.8 (the squared
 * correlation, as for any two single features); (1, 0, 0, 1) is
 * uncorrelated with x: 0. */
static void test_hand(void)
{
	const float x[4] = { 1, 2, 3, 4 }, y[4] = { 0, 0, 1, 1 };
	const float u[4] = { 1, 0, 0, 1 };
	CHECK_NEAR(cka(x, 1, y, 1, 4), 0.8, 1e-12);
	CHECK_NEAR(cka(x, 1, u, 1, 4), 0, 1e-12);
	const float k[4] = { 2, 2, 2, 2 };
	CHECK(isnan(cka(x, 1, k, 1, 4)));
}

static int have_numpy(void)
{
	return system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

/* Different widths, against numpy's n x n kernel formula (HSIC form):
 * tr(K H L H) / sqrt(tr(K H K H) tr(L H L H)). */
static void test_numpy(void)
{
	if (!have_numpy()) {
		printf("# skip: /usr/bin/python3 cannot import numpy\n");
		return;
	}
	enum { n = 20, dx = 3, dy = 5 };
	static float x[n * dx], y[n * dy];
	random_matrix(x, n * dx, 4);
	random_matrix(y, n * dy, 5);
	for (int i = 0; i < n; i++)
		y[i * dy] += 2 * x[i * dx]; /* some shared structure */
	char cmd[8192];
	int len = snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c 'import numpy as np\n"
			   "X = np.array([");
	for (int i = 0; i < n * dx; i++)
		len += snprintf(cmd + len, sizeof cmd - len, "%.17g,", (double)x[i]);
	len += snprintf(cmd + len, sizeof cmd - len, "]).reshape(%d, %d)\nY = np.array([", n, dx);
	for (int i = 0; i < n * dy; i++)
		len += snprintf(cmd + len, sizeof cmd - len, "%.17g,", (double)y[i]);
	snprintf(cmd + len, sizeof cmd - len, "]).reshape(%d, %d)\n"
		 "H = np.eye(%d) - 1 / %d; K = H @ X @ X.T @ H; L = H @ Y @ Y.T @ H\n"
		 "print(\"%%.17g\" %% (np.trace(K @ L) / np.sqrt(np.trace(K @ K) * np.trace(L @ L))))'",
		 n, dy, n, n);
	FILE *p = popen(cmd, "r");
	double ref = NAN;
	CHECK(p && fscanf(p, "%lf", &ref) == 1);
	if (p)
		pclose(p);
	double v = cka(x, dx, y, dy, n);
	printf("# cka %.17g, numpy %.17g\n", v, ref);
	CHECK_NEAR(v, ref, 1e-10);
}

int main(void)
{
	RUN(test_self);
	RUN(test_invariance);
	RUN(test_hand);
	RUN(test_numpy);
	return harness_done();
}
