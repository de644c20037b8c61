/* The Fourier spectrum of an embedding (analysis/fourier.h): a single
 * frequency lands at its k, the energies add up to the squared norm
 * (Parseval), and the cached basis agrees with the definition. */
#include <math.h>
#include <stdlib.h>

#include "analysis/fourier.h"
#include "harness.h"
#include "common/rng.h"

static void test_fourier_single_frequency(void)
{
	enum { P = 11, W = 2, K = P / 2 };
	double e[P * W], energy[(K + 1) * W] = {0}, total[K + 1];
	struct fourier_work fw;
	struct traj_error err;
	fourier_work_init(&fw);
	/* column 0: 2 cos(2 pi 3 a / p); column 1: sin(2 pi 4 a / p) */
	for (int a = 0; a < P; a++) {
		e[a * W] = 2 * cos(2 * M_PI * 3 * a / P);
		e[a * W + 1] = sin(2 * M_PI * 4 * a / P);
	}
	CHECK(fourier_add_energies(&fw, e, P, W, energy, &err) == 0);
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
	struct traj_error err;
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
		CHECK(fourier_add_energies(&fw, e, p, W, energy, &err) == 0);
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
	struct traj_error err;
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
		CHECK(fourier_add_energies(&fw, e, p, width, got, &err) == 0);
		for (int i = 0; i < n; i++)
			CHECK_NEAR(got[i] - 1, want[i], 1e-12);
	}
	fourier_work_free(&fw);
}

int main(void)
{
	RUN(test_fourier_single_frequency);
	RUN(test_fourier_parseval);
	RUN(test_fourier_matches_direct);
	return harness_done();
}
