/* traj-diff's engine: distances between tensors, singular values and
 * effective rank (hand cases, and numpy.linalg.svd where python3 with
 * numpy is installed), the Fourier spectrum of an embedding. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/fourier.h"
#include "harness.h"
#include "common/rng.h"
#include "analysis/svd.h"
#include "analysis/weightstats.h"

static void test_pair_stats_hand_case(void)
{
	double a[2] = {3, 4}, b[2] = {0, 4}, z[2] = {0, 0};
	struct pair_stats ps;
	weightstats_pair(a, b, 2, &ps);
	CHECK_NEAR(ps.l2, 3, 1e-15);
	CHECK_NEAR(ps.rel_change, 0.75, 1e-15);      /* 3 / ||b|| = 3 / 4 */
	CHECK_NEAR(ps.cos, 16.0 / 20.0, 1e-15);      /* <a,b> / (5 * 4) */
	CHECK_NEAR(ps.norm_a, 5, 1e-15);
	weightstats_pair(a, z, 2, &ps);
	CHECK(isinf(ps.rel_change) && isnan(ps.cos));
	weightstats_pair(z, z, 2, &ps);
	CHECK(ps.rel_change == 0 && ps.l2 == 0);
}

/* Every element counts, whether in the unrolled body or the tail: a
 * single nonzero element at each position of n = 1 .. 9 (hand values:
 * norm 2, distance 2 from zero, cos 1 with itself). */
static void test_pair_stats_every_position(void)
{
	double a[9], z[9] = {0};
	struct pair_stats ps;
	for (int n = 1; n <= 9; n++)
		for (int i = 0; i < n; i++) {
			memset(a, 0, sizeof a);
			a[i] = -2;
			CHECK(weightstats_norm(a, (size_t)n) == 2);
			weightstats_pair(a, z, (size_t)n, &ps);
			CHECK(ps.norm_a == 2 && ps.l2 == 2 && ps.norm_b == 0);
			weightstats_pair(a, a, (size_t)n, &ps);
			CHECK(ps.cos == 1 && ps.l2 == 0);
		}
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

static void test_fourier_single_frequency(void)
{
	enum { P = 11, W = 2, K = P / 2 };
	double e[P * W], energy[(K + 1) * W] = {0}, total[K + 1];
	struct fourier_work fw;
	fourier_work_init(&fw);
	/* column 0: 2 cos(2 pi 3 a / p); column 1: sin(2 pi 4 a / p) */
	for (int a = 0; a < P; a++) {
		e[a * W] = 2 * cos(2 * M_PI * 3 * a / P);
		e[a * W + 1] = sin(2 * M_PI * 4 * a / P);
	}
	CHECK(fourier_add_energies(&fw, e, P, W, energy) == 0);
	fourier_total(energy, K, W, total);
	/* sum_a (2 cos)^2 = 4 p / 2; sum_a sin^2 = p / 2: all of it at k */
	for (int k = 0; k <= K; k++)
		CHECK_NEAR(total[k], k == 3 ? 2.0 * P : k == 4 ? P / 2.0 : 0, 1e-9);
	CHECK_NEAR(energy[3 * W], 2.0 * P, 1e-9);
	CHECK_NEAR(energy[3 * W + 1], 0, 1e-9);
	CHECK_NEAR(fourier_top_frac(total, K, 1), 2.0 / 2.5, 1e-12);
	CHECK_NEAR(fourier_top_frac(total, K, 5), 1, 1e-12);
	CHECK_NEAR(fourier_ipr(total, K), 0.8 * 0.8 + 0.2 * 0.2, 1e-12);
	CHECK_NEAR(fourier_column_top1(energy, K, W), 1, 1e-12);
	fourier_work_free(&fw);
}

/* The basis is orthonormal: the energies add up to ||E||^2 (Parseval),
 * for odd and even p (with its Nyquist frequency). */
static void test_fourier_parseval(void)
{
	struct fourier_work fw;
	fourier_work_init(&fw);
	for (int p = 11; p <= 12; p++) {
		enum { W = 3 };
		double e[12 * W], energy[7 * W] = {0}, total[7], sq = 0, sum = 0;
		struct rng r;
		rng_seed(&r, (uint64_t)p);
		for (int i = 0; i < p * W; i++) {
			e[i] = rng_uniform(&r) - 0.5;
			sq += e[i] * e[i];
		}
		CHECK(fourier_add_energies(&fw, e, p, W, energy) == 0);
		fourier_total(energy, p / 2, W, total);
		for (int k = 0; k <= p / 2; k++)
			sum += total[k];
		CHECK_NEAR(sum, sq, 1e-12);
	}
	fourier_work_free(&fw);
	double flat[4] = {0, 1, 1, 1};
	CHECK_NEAR(fourier_ipr(flat, 3), 1.0 / 3, 1e-12);
	double none[3] = {5, 0, 0};
	CHECK(isnan(fourier_ipr(none, 2)) && isnan(fourier_top_frac(none, 2, 1)));
}

/* The energies by the definition, one frequency at a time: c_k and s_k
 * the sums of cos and sin (2 pi k a / p) e[a], energy (c^2 + s^2) 2 / p,
 * or c^2 / p for k = 0 and p/2. */
static void direct_energies(const double *e, int p, int width, double *energy)
{
	for (int k = 0; k <= p / 2; k++)
		for (int w = 0; w < width; w++) {
			double c = 0, s = 0;
			for (int a = 0; a < p; a++) {
				c += cos(2 * M_PI * k * a / p) * e[a * width + w];
				s += sin(2 * M_PI * k * a / p) * e[a * width + w];
			}
			double scale = (k == 0 || 2 * k == p ? 1.0 : 2.0) / p;
			energy[k * width + w] = scale * (c * c + (2 * k == p ? 0 : s * s));
		}
}

/* The cached basis against the definition, for odd, even and tiny p and
 * several widths, p changing from call to call (the basis is rebuilt)
 * and repeating (it is reused); energies add up over calls. */
static void test_fourier_matches_direct(void)
{
	enum { PMAX = 23, WMAX = 9 };
	static const int ps[] = {23, 2, 12, 12, 3, 23, 11};
	static const int widths[] = {9, 1, 4, 9, 2, 5, 7};
	double e[PMAX * WMAX], got[(PMAX / 2 + 1) * WMAX], want[(PMAX / 2 + 1) * WMAX];
	struct fourier_work fw;
	struct rng r;
	fourier_work_init(&fw);
	rng_seed(&r, 7);
	for (size_t t = 0; t < sizeof ps / sizeof *ps; t++) {
		int p = ps[t], width = widths[t], n = (p / 2 + 1) * width;
		for (int i = 0; i < p * width; i++)
			e[i] = rng_uniform(&r) - 0.5;
		direct_energies(e, p, width, want);
		for (int i = 0; i < n; i++)
			got[i] = 1; /* added to, not overwritten */
		CHECK(fourier_add_energies(&fw, e, p, width, got) == 0);
		for (int i = 0; i < n; i++)
			CHECK_NEAR(got[i] - 1, want[i], 1e-12);
	}
	fourier_work_free(&fw);
}

int main(void)
{
	RUN(test_pair_stats_hand_case);
	RUN(test_pair_stats_every_position);
	RUN(test_svd_hand_cases);
	RUN(test_effective_rank);
	RUN(test_svd_matches_numpy);
	RUN(test_fourier_single_frequency);
	RUN(test_fourier_parseval);
	RUN(test_fourier_matches_direct);
	return harness_done();
}
