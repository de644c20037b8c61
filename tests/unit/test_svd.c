/* Singular values (analysis/svd.h): the Gram route (eigenvalues of A^T A
 * or A A^T) against LAPACK's dgesdd on hand cases, random, low-rank and
 * ill-conditioned matrices, and the fallback that keeps svd_values within
 * 1e-9 relative of dgesdd (the tolerance svd.h states); svd_values and
 * svd_effective_rank on hand cases, and against numpy.linalg.svd where
 * python3 with numpy is installed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "common/rng.h"
#include "analysis/svd.h"

#define TOL 1e-9 /* relative, per singular value and for effective_rank */

static double uniform(struct rng *r)
{
	return (double)rng_uniform(r) - 0.5;
}

/* x -= 2 v (v . x) / (v . v) on the rows (left) or columns (right) of the
 * row-major (m, n) matrix a: an exact orthogonal map, singular values
 * kept. */
static void reflect(double *a, int m, int n, const double *v, int left)
{
	int len = left ? m : n, other = left ? n : m;
	double vv = 0;
	for (int i = 0; i < len; i++)
		vv += v[i] * v[i];
	for (int j = 0; j < other; j++) {
		double dot = 0;
		for (int i = 0; i < len; i++)
			dot += v[i] * (left ? a[i * n + j] : a[j * n + i]);
		for (int i = 0; i < len; i++)
			*(left ? &a[i * n + j] : &a[j * n + i]) -= 2 * v[i] * dot / vv;
	}
}

/* U diag(s) V^T for random orthogonal U, V (products of reflections). */
static double *with_spectrum(int m, int n, const double *s, uint64_t seed)
{
	int k = m < n ? m : n, len = m > n ? m : n;
	double *a = calloc((size_t)m * n, sizeof *a), *v = malloc(len * sizeof *v);
	struct rng r;
	rng_seed(&r, seed);
	for (int i = 0; i < k; i++)
		a[i * n + i] = s[i];
	for (int t = 0; t < 6; t++) {
		int left = t % 2 == 0;
		for (int i = 0; i < (left ? m : n); i++)
			v[i] = uniform(&r);
		reflect(a, m, n, v, left);
	}
	free(v);
	return a;
}

static double *random_matrix(int m, int n, uint64_t seed)
{
	struct rng r;
	double *a = malloc((size_t)m * n * sizeof *a);
	rng_seed(&r, seed);
	for (int i = 0; i < m * n; i++)
		a[i] = uniform(&r);
	return a;
}

static double rel(double x, double ref)
{
	return ref == 0 ? fabs(x) : fabs(x - ref) / fabs(ref);
}

/* Largest relative difference between two routes' values and ranks. */
static double worst_gap(const double *s, const double *ref, int k)
{
	double worst = rel(svd_effective_rank(s, k), svd_effective_rank(ref, k));
	for (int i = 0; i < k; i++)
		if (rel(s[i], ref[i]) > worst)
			worst = rel(s[i], ref[i]);
	return worst;
}

/* svd_values and dgesdd on `a`: returns the gap; *fell: whether
 * svd_values fell back to dgesdd. */
static double compare(const double *a, int m, int n, int *fell)
{
	int k = m < n ? m : n;
	double *s = malloc(k * sizeof *s), *ref = malloc(k * sizeof *ref);
	struct svd_work w;
	struct traj_error err;
	svd_work_init(&w);
	CHECK(svd_values(&w, a, m, n, s, &err) == 0);
	CHECK(svd_values_dgesdd(&w, a, m, n, ref, &err) == 0);
	*fell = w.fallbacks > 0;
	double gap = worst_gap(s, ref, k);
	svd_work_free(&w);
	free(s);
	free(ref);
	return gap;
}

static void test_gram_hand_cases(void)
{
	struct svd_work w;
	struct traj_error err;
	double s[2];
	svd_work_init(&w);
	/* [[3, 2, 2], [2, 3, -2]]: A A^T = [[17, 8], [8, 17]], eigenvalues 25
	 * and 9: singular values 5 and 3; its (3, 2) transpose: the same. */
	double a[6] = {3, 2, 2, 2, 3, -2}, at[6] = {3, 2, 2, 3, 2, -2};
	CHECK(svd_values_gram(&w, a, 2, 3, s, &err) == 0);
	CHECK_NEAR(s[0], 5, 1e-14);
	CHECK_NEAR(s[1], 3, 1e-14);
	CHECK(svd_values_gram(&w, at, 3, 2, s, &err) == 0);
	CHECK_NEAR(s[0], 5, 1e-14);
	CHECK_NEAR(s[1], 3, 1e-14);
	/* [[1, 1], [0, 1]]: A^T A = [[1, 1], [1, 2]], eigenvalues
	 * (3 +- sqrt 5) / 2: singular values phi and 1 / phi. */
	double shear[4] = {1, 1, 0, 1}, phi = (1 + sqrt(5)) / 2;
	CHECK(svd_values(&w, shear, 2, 2, s, &err) == 0);
	CHECK_NEAR(s[0], phi, 1e-14);
	CHECK_NEAR(s[1], 1 / phi, 1e-14);
	CHECK(w.calls == 1 && w.fallbacks == 0);
	CHECK(a[0] == 3 && at[5] == -2 && shear[1] == 1); /* inputs kept */
	svd_work_free(&w);
}

/* Random matrices of a net's shapes (and thin ones) are well conditioned:
 * the Gram route, no fallback, within 1e-12 of dgesdd. */
static void test_random_matrices(void)
{
	int shapes[][2] = {{194, 512}, {512, 97}, {7, 5}, {1, 9}, {9, 1},
			   {64, 64}, {3, 2}};
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		int m = shapes[i][0], n = shapes[i][1], fell;
		double *a = random_matrix(m, n, 100 + i);
		double gap = compare(a, m, n, &fell);
		if (gap > 1e-12 || (fell && m * n > 1))
			printf("# %dx%d: gap %.3g, fallback %d\n", m, n, gap, fell);
		CHECK(gap <= 1e-12);
		CHECK(!fell);
		free(a);
	}
}

/* Spectra from s_max = 1 down to `ratio`, geometrically, in (m, n). */
static double gap_for_ratio(int m, int n, double ratio, int *fell)
{
	int k = m < n ? m : n;
	double *s = malloc(k * sizeof *s);
	for (int i = 0; i < k; i++)
		s[i] = pow(ratio, (double)i / (k - 1));
	double *a = with_spectrum(m, n, s, 7);
	double gap = compare(a, m, n, fell);
	free(a);
	free(s);
	return gap;
}

/* Down to just above SVD_GRAM_MIN_RATIO the Gram route is kept and stays
 * within TOL; below it svd_values falls back to dgesdd. */
static void test_ill_conditioned(void)
{
	double kept[] = {0.1, 1e-2, 1.01 * SVD_GRAM_MIN_RATIO};
	double dropped[] = {0.99 * SVD_GRAM_MIN_RATIO, 1e-6, 1e-12};
	int fell;
	for (int i = 0; i < 3; i++) {
		double gap = gap_for_ratio(120, 80, kept[i], &fell);
		printf("# s_min / s_max %g: Gram route, gap %.3g\n", kept[i], gap);
		CHECK(!fell);
		CHECK(gap <= TOL);
		gap = gap_for_ratio(70, 200, kept[i], &fell);
		CHECK(!fell);
		CHECK(gap <= TOL);
		gap = gap_for_ratio(60, 150, dropped[i], &fell);
		CHECK(fell);
		CHECK(gap == 0);
	}
}

/* Where the fallback matters: the Gram route alone loses the small values
 * of an ill-conditioned matrix (so the test above would catch a missing
 * fallback). */
static void test_gram_alone_loses_small_values(void)
{
	enum { M = 40, N = 30 };
	double s[N], ref[N], want[N];
	struct svd_work w;
	struct traj_error err;
	for (int i = 0; i < N; i++)
		want[i] = pow(1e-10, (double)i / (N - 1));
	double *a = with_spectrum(M, N, want, 11);
	svd_work_init(&w);
	CHECK(svd_values_gram(&w, a, M, N, s, &err) == 0);
	CHECK(svd_values_dgesdd(&w, a, M, N, ref, &err) == 0);
	CHECK(rel(ref[N - 1], want[N - 1]) < 1e-3); /* dgesdd: still right */
	CHECK(rel(s[N - 1], want[N - 1]) > 1e-3);   /* Gram: lost */
	svd_work_free(&w);
	free(a);
}

/* Rank 4 in (50, 30), a zero matrix: exact zeros need the fallback. */
static void test_low_rank_and_zero(void)
{
	enum { M = 50, N = 30, R = 4 };
	double *l = random_matrix(M, R, 5), *r = random_matrix(R, N, 6);
	double a[M * N], s[N];
	int fell;
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			a[i * N + j] = 0;
			for (int t = 0; t < R; t++)
				a[i * N + j] += l[i * R + t] * r[t * N + j];
		}
	CHECK(compare(a, M, N, &fell) == 0);
	CHECK(fell);
	struct svd_work w;
	struct traj_error err;
	svd_work_init(&w);
	memset(a, 0, sizeof a);
	CHECK(svd_values(&w, a, M, N, s, &err) == 0);
	for (int i = 0; i < N; i++)
		CHECK(s[i] == 0);
	CHECK(svd_effective_rank(s, N) == 0);
	svd_work_free(&w);
	free(l);
	free(r);
}

static void test_svd_hand_cases(void)
{
	struct svd_work w;
	struct traj_error err;
	double s[3];
	svd_work_init(&w);
	/* [[3, 2, 2], [2, 3, -2]]: A A^T = [[17, 8], [8, 17]], eigenvalues
	 * 25 and 9, so singular values 5 and 3. */
	double a[6] = {3, 2, 2, 2, 3, -2};
	CHECK(svd_values(&w, a, 2, 3, s, &err) == 0);
	CHECK_NEAR(s[0], 5, 1e-12);
	CHECK_NEAR(s[1], 3, 1e-12);
	/* its transpose, (3, 2): the same values */
	double at[6] = {3, 2, 2, 3, 2, -2};
	CHECK(svd_values(&w, at, 3, 2, s, &err) == 0);
	CHECK_NEAR(s[0], 5, 1e-12);
	CHECK_NEAR(s[1], 3, 1e-12);
	/* rank one: [[1, 1], [1, 1]] has 2 and 0 */
	double one[4] = {1, 1, 1, 1};
	CHECK(svd_values(&w, one, 2, 2, s, &err) == 0);
	CHECK_NEAR(s[0], 2, 1e-12);
	CHECK_NEAR(s[1], 0, 1e-12);
	CHECK(a[0] == 3 && a[5] == -2); /* the input is not destroyed */
	svd_work_free(&w);
}

static void test_effective_rank(void)
{
	double eq[4] = {2, 2, 2, 2}, one[3] = {5, 0, 0}, zero[2] = {0, 0};
	double two[2] = {3, 1};
	CHECK_NEAR(svd_effective_rank(eq, 4), 4, 1e-12);
	CHECK_NEAR(svd_effective_rank(one, 3), 1, 1e-12);
	CHECK(svd_effective_rank(zero, 2) == 0);
	/* p = (3/4, 1/4): exp(-(3/4 ln 3/4 + 1/4 ln 1/4)) */
	CHECK_NEAR(svd_effective_rank(two, 2),
		   exp(-(0.75 * log(0.75) + 0.25 * log(0.25))), 1e-12);
}

/* numpy.linalg.svd of a random (7, 5) matrix, through a text file. */
static void test_svd_matches_numpy(void)
{
	if (system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
		printf("# skip: /usr/bin/python3 with numpy not found\n");
		return;
	}
	enum { M = 7, N = 5 };
	double a[M * N], s[N];
	struct rng r;
	struct svd_work w;
	struct traj_error err;
	char path[] = "/tmp/traj-test-svd-XXXXXX", cmd[256];
	rng_seed(&r, 42);
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (int i = 0; i < M * N; i++)
		fprintf(f, "%.17g%c", a[i] = rng_uniform(&r) - 0.5,
			i % N == N - 1 ? '\n' : ' ');
	fclose(f);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c 'import numpy; "
		 "print(*numpy.linalg.svd(numpy.loadtxt(\"%s\"), "
		 "compute_uv=False))'", path);
	FILE *py = popen(cmd, "r");
	svd_work_init(&w);
	CHECK(svd_values(&w, a, M, N, s, &err) == 0);
	for (int i = 0; i < N; i++) {
		double ref = NAN;
		CHECK(fscanf(py, "%lf", &ref) == 1);
		CHECK_NEAR(s[i], ref, 1e-12);
	}
	CHECK(pclose(py) == 0);
	remove(path);
	svd_work_free(&w);
}

int main(void)
{
	RUN(test_gram_hand_cases);
	RUN(test_random_matrices);
	RUN(test_ill_conditioned);
	RUN(test_gram_alone_loses_small_values);
	RUN(test_low_rank_and_zero);
	RUN(test_svd_hand_cases);
	RUN(test_effective_rank);
	RUN(test_svd_matches_numpy);
	return harness_done();
}
