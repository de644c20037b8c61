/* The normal sampler (lib/common/rng_normal.c): its floats against the
 * Box-Muller transform in double on the same draws, filling by pieces,
 * and the distribution: moments, tails, a Kolmogorov-Smirnov test and
 * independence within and across streams. The tolerances are about 5
 * standard errors, so a correct sampler fails them about once in a
 * million runs, and they are fixed by the seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "common/rng.h"

enum { N = 1 << 20 };

static float *normals(uint64_t seed, size_t n)
{
	float *z = malloc(n * sizeof *z);
	struct rng r;
	rng_seed(&r, seed);
	rng_normal_fill(&r, z, n);
	return z;
}

/* Error over radius: each of cos and sin within 9.1e-8 and the radius
 * within 9.8e-8 relative (measured over all 2^24 inputs of each), plus
 * the product's rounding. */
static void test_the_transform_in_double(void)
{
	float *z = normals(5, N);
	struct rng r;
	rng_seed(&r, 5);
	double worst = 0;
	for (size_t i = 0; i < N; i += 2) {
		uint64_t x = rng_next(&r);
		double u1 = (double)((x >> 40) + 1) / 16777216.0;
		double u2 = (double)((x >> 16) & 0xffffff) / 16777216.0;
		double rad = sqrt(-2 * log(u1));
		double e0 = fabs(z[i] - rad * cos(2 * M_PI * u2));
		double e1 = fabs(z[i + 1] - rad * sin(2 * M_PI * u2));
		double e = (e0 > e1 ? e0 : e1) / (rad > 1e-3 ? rad : 1e-3);
		if (e > worst)
			worst = e;
	}
	printf("# largest error over the radius: %.3g\n", worst);
	CHECK(worst <= 3e-7);
	free(z);
}

/* sgld_step draws by pieces; an odd fill drops its last sine. */
static void test_pieces_make_one_fill(void)
{
	enum { M = 1001 };
	float *whole = normals(9, M), piece[M];
	struct rng r;
	rng_seed(&r, 9);
	size_t sizes[] = { 2, 256, 130, 512, 101 };
	size_t at = 0;
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		rng_normal_fill(&r, piece + at, sizes[k]);
		at += sizes[k];
	}
	CHECK(at == M);
	CHECK(memcmp(whole, piece, sizeof piece) == 0);
	/* M is odd: the fill took (M + 1) / 2 draws, no more. */
	struct rng a, b;
	rng_seed(&a, 9);
	rng_seed(&b, 9);
	rng_normal_fill(&a, piece, M);
	for (int i = 0; i < (M + 1) / 2; i++)
		rng_next(&b);
	CHECK(rng_next(&a) == rng_next(&b));
	free(whole);
}

static void test_moments_and_tails(void)
{
	float *z = normals(3, N);
	double m = 0, v = 0, k = 0;
	long over3 = 0, over4 = 0;
	float top = 0;
	for (int i = 0; i < N; i++) {
		m += z[i];
		over3 += fabsf(z[i]) > 3;
		over4 += fabsf(z[i]) > 4;
		if (fabsf(z[i]) > top)
			top = fabsf(z[i]);
	}
	m /= N;
	for (int i = 0; i < N; i++) {
		double d = z[i] - m;
		v += d * d;
		k += d * d * d * d;
	}
	v /= N;
	k /= N * v * v;
	double sn = sqrt((double)N);
	CHECK_NEAR(m, 0, 5 / sn);
	CHECK_NEAR(v, 1, 5 * sqrt(2.0) / sn);
	CHECK_NEAR(k, 3, 5 * sqrt(24.0) / sn);
	/* P(|z| > 3) = 0.0026998, P(|z| > 4) = 6.334e-5 */
	CHECK_NEAR((double)over3 / N, 0.0026998, 5 * sqrt(0.0027 / N));
	CHECK_NEAR((double)over4 / N, 6.334e-5, 5 * sqrt(6.334e-5 / N));
	/* The largest radius, u1 = 2^-24, bounds every draw. */
	CHECK(top <= 5.7686f && top > 4.5f);
	free(z);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static void test_kolmogorov_smirnov(void)
{
	enum { K = 1 << 18 };
	float *z = normals(17, K);
	qsort(z, K, sizeof *z, cmp_float);
	double d = 0;
	for (int i = 0; i < K; i++) {
		double F = 0.5 * erfc(-z[i] / sqrt(2.0));
		double lo = F - (double)i / K, hi = (double)(i + 1) / K - F;
		if (lo > d)
			d = lo;
		if (hi > d)
			d = hi;
	}
	printf("# KS statistic %.3g (1%% point %.3g)\n", d, 1.63 / sqrt((double)K));
	CHECK(d <= 1.95 / sqrt((double)K)); /* the 0.1% point */
	free(z);
}

static double corr(const float *x, size_t sx, const float *y, size_t sy,
		   size_t n, int squares)
{
	double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
	for (size_t i = 0; i < n; i++) {
		double a = x[i * sx], b = y[i * sy];
		if (squares)
			a *= a, b *= b;
		mx += a, my += b;
		xx += a * a, yy += b * b, xy += a * b;
	}
	mx /= n, my /= n;
	return (xy / n - mx * my) /
	       sqrt((xx / n - mx * mx) * (yy / n - my * my));
}

/* The two halves of a pair, neighbouring pairs and streams of adjacent
 * seeds are uncorrelated, in value and in square (which catches a
 * shared radius). */
static void test_independence(void)
{
	float *a = normals(21, N), *b = normals(22, N);
	size_t h = N / 2;
	double tol = 5 / sqrt((double)h);
	for (int sq = 0; sq < 2; sq++) {
		CHECK_NEAR(corr(a, 2, a + 1, 2, h, sq), 0, tol);   /* cos, sin */
		CHECK_NEAR(corr(a + 1, 2, a + 2, 2, h - 1, sq), 0, tol);
		CHECK_NEAR(corr(a, 1, b, 1, N, sq), 0, 5 / sqrt((double)N));
	}
	free(a);
	free(b);
}

int main(void)
{
	RUN(test_the_transform_in_double);
	RUN(test_pieces_make_one_fill);
	RUN(test_moments_and_tails);
	RUN(test_kolmogorov_smirnov);
	RUN(test_independence);
	return harness_done();
}
