/* SGLD and the local learning coefficient (lib/analysis/{sgld,llc}.c):
 * the normal draws and one SGLD step by hand, then estimates on
 * potentials whose learning coefficient is known in closed form, the
 * independence from the thread count, and a diverging chain. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "analysis/llc.h"
#include "analysis/sgld.h"
#include "common/rng.h"

static void test_normal_fill_by_hand(void)
{
	struct rng a, b;
	rng_seed(&a, 7);
	rng_seed(&b, 7);
	float z[3];
	rng_normal_fill(&a, z, 3);
	uint64_t x = rng_next(&b);
	double u1 = (double)((x >> 40) + 1) / 16777216.0;
	double u2 = (double)((x >> 16) & 0xffffff) / 16777216.0;
	double r = sqrt(-2 * log(u1));
	CHECK_NEAR(z[0], r * cos(2 * M_PI * u2), 1e-6);
	CHECK_NEAR(z[1], r * sin(2 * M_PI * u2), 1e-6);
	/* The odd last value takes a fresh draw's cosine. */
	x = rng_next(&b);
	u1 = (double)((x >> 40) + 1) / 16777216.0;
	u2 = (double)((x >> 16) & 0xffffff) / 16777216.0;
	CHECK_NEAR(z[2], sqrt(-2 * log(u1)) * cos(2 * M_PI * u2), 1e-6);
}

/* w = (1, 2), w0 = (0.5, 0.5), g = (0.3, -0.2), eps 0.01, nbeta 10,
 * gamma 100: drift -eps/2 (nbeta g + gamma (w - w0)) =
 * -0.005 (3 + 50, -2 + 150) = (-0.265, -0.74); noise 0.1 sigma xi. */
static void test_sgld_step_by_hand(void)
{
	struct sgld_params p = { .eps = 0.01, .nbeta = 10, .gamma = 100,
				 .sigma = 0 };
	float w[2] = { 1, 2 }, w0[2] = { 0.5f, 0.5f }, g[2] = { 0.3f, -0.2f };
	struct rng r, q;
	rng_seed(&r, 11);
	sgld_step(&p, w, g, w0, 2, &r);
	CHECK_NEAR(w[0], 1 - 0.265, 1e-6);
	CHECK_NEAR(w[1], 2 - 0.74, 1e-6);
	p.sigma = 2;
	float v[2] = { 1, 2 };
	rng_seed(&r, 11);
	sgld_step(&p, v, g, w0, 2, &r);
	float z[2];
	rng_seed(&q, 11);
	rng_normal_fill(&q, z, 2);
	CHECK_NEAR(v[0], 1 - 0.265 + 0.2 * z[0], 1e-6);
	CHECK_NEAR(v[1], 2 - 0.74 + 0.2 * z[1], 1e-6);
	CHECK(z[0] != 0 && z[1] != 0);
}

static void test_default_nbeta(void)
{
	CHECK_NEAR(sgld_default_nbeta(256), 256 / log(256.0), 1e-12);
	CHECK_NEAR(sgld_default_nbeta(1), 1, 0);
}

/* Closed-form potentials, one example (the loss is exact: no minibatch
 * noise). */
enum potential { QUADRATIC, FLAT2, QUARTIC, QUARTIC_PLUS_QUADRATIC };
struct pot { enum potential kind; float w[4], g[4]; };

static double pot_loss_grad(void *ctx, const int32_t *idx, int nidx)
{
	(void)idx, (void)nidx;
	struct pot *p = ctx;
	double L = 0;
	for (int i = 0; i < 4; i++) {
		double w = p->w[i], l = 0, g = 0;
		switch (p->kind) {
		case QUADRATIC: l = 0.5 * w * w; g = w; break;
		case FLAT2: if (i < 2) { l = 0.5 * w * w; g = w; } break;
		case QUARTIC: if (i == 0) { l = w * w * w * w; g = 4 * w * w * w; } break;
		case QUARTIC_PLUS_QUADRATIC:
			if (i == 0) { l = w * w * w * w; g = 4 * w * w * w; }
			if (i == 1) { l = 0.5 * w * w; g = w; }
			break;
		}
		L += l;
		p->g[i] = (float)g;
	}
	return L;
}

static double estimate(enum potential kind, double eps, double nbeta,
		       int draws, int nthreads, double *std)
{
	struct pot pots[4];
	struct llc_target t[4];
	for (int i = 0; i < nthreads; i++) {
		memset(&pots[i], 0, sizeof pots[i]);
		pots[i].kind = kind;
		t[i] = (struct llc_target){ .w = pots[i].w, .g = pots[i].g,
			.n = 4, .n_examples = 1, .loss_grad = pot_loss_grad,
			.ctx = &pots[i] };
	}
	struct llc_config c = { .sgld = { .eps = eps, .nbeta = nbeta,
		.gamma = 1, .sigma = 1 }, .chains = 8, .draws = draws,
		.burnin = draws / 4, .every = 1, .batch = 1, .seed = 42 };
	float w0[4] = { 0 };
	struct llc_result res;
	struct traj_error err;
	CHECK(llc_estimate(&c, t, nthreads, w0, 0, 0, &res, &err) == 0);
	CHECK(res.failed_chain == -1);
	double m = res.mean;
	if (std)
		*std = res.std;
	llc_result_free(&res);
	return m;
}

/* A regular minimum in d dimensions has lambda = d / 2; the
 * localisation (gamma 1 against nbeta 1000) and the step (eps nbeta =
 * 0.03) bias it by under 1%, the tolerance is 5 to 10 times the spread
 * over seeds. */
static void test_quadratic_is_d_over_2(void)
{
	double sd;
	double m = estimate(QUADRATIC, 3e-5, 1000, 40000, 1, &sd);
	printf("# quadratic d=4: %.4f (std across chains %.4f), exact 2\n", m, sd);
	CHECK_NEAR(m, 2, 0.1);
	m = estimate(FLAT2, 3e-5, 1000, 40000, 1, &sd);
	printf("# two flat directions: %.4f (std %.4f), exact 1\n", m, sd);
	CHECK_NEAR(m, 1, 0.1);
}

/* Singular: K = w^4 has lambda 1/4, and K = w1^4 + w2^2 has 1/4 + 1/2
 * (the coefficients add over independent coordinates). The correction
 * at finite nbeta is O(nbeta^-1/2). */
static void test_quartic_is_one_quarter(void)
{
	double sd;
	double m = estimate(QUARTIC, 1e-5, 10000, 40000, 2, &sd);
	printf("# w^4: %.4f (std %.4f), exact 0.25\n", m, sd);
	CHECK_NEAR(m, 0.25, 0.025);
	m = estimate(QUARTIC_PLUS_QUADRATIC, 1e-5, 10000, 40000, 2, &sd);
	printf("# w1^4 + w2^2: %.4f (std %.4f), exact 0.75\n", m, sd);
	CHECK_NEAR(m, 0.75, 0.06);
}

static void test_threads_do_not_change_the_estimate(void)
{
	double a = estimate(QUARTIC, 1e-4, 1000, 500, 1, NULL);
	double b = estimate(QUARTIC, 1e-4, 1000, 500, 3, NULL);
	CHECK(a == b);
}

static void test_diverging_chain_is_named(void)
{
	struct pot p = { .kind = QUADRATIC };
	struct llc_target t = { .w = p.w, .g = p.g, .n = 4, .n_examples = 1,
		.loss_grad = pot_loss_grad, .ctx = &p };
	/* eps nbeta = 100 > 4: every step multiplies w by about -49. */
	struct llc_config c = { .sgld = { .eps = 1, .nbeta = 100, .gamma = 0,
		.sigma = 1 }, .chains = 3, .draws = 100, .burnin = 0,
		.every = 1, .batch = 1, .seed = 1 };
	float w0[4] = { 0 };
	struct llc_result res;
	struct traj_error err;
	CHECK(llc_estimate(&c, &t, 1, w0, 0, 0, &res, &err) == 0);
	CHECK(res.failed_chain == 0);
	CHECK(res.failed_step > 5 && res.failed_step < 100);
	CHECK(!isfinite(res.failed_loss));
	llc_result_free(&res);
}

static void test_bad_configuration(void)
{
	struct llc_config c = { .sgld = { .eps = 1e-4, .nbeta = 10,
		.gamma = 0, .sigma = 1 }, .chains = 1, .draws = 10,
		.every = 1, .batch = 5 };
	struct traj_error err;
	CHECK(llc_config_check(&c, 10, &err) == 0);
	c.sgld.eps = 0;
	CHECK(llc_config_check(&c, 10, &err) < 0 && err.status == TRAJ_EUSAGE);
	c.sgld.eps = NAN;
	CHECK(llc_config_check(&c, 10, &err) < 0);
	c.sgld.eps = 1e-4;
	c.sgld.nbeta = -1;
	CHECK(llc_config_check(&c, 10, &err) < 0 && strstr(err.msg, "nbeta"));
	c.sgld.nbeta = 10;
	c.draws = 0;
	CHECK(llc_config_check(&c, 10, &err) < 0);
	c.draws = 10;
	CHECK(llc_config_check(&c, 4, &err) < 0 && strstr(err.msg, "batch"));
}

int main(void)
{
	RUN(test_normal_fill_by_hand);
	RUN(test_sgld_step_by_hand);
	RUN(test_default_nbeta);
	RUN(test_quadratic_is_d_over_2);
	RUN(test_quartic_is_one_quarter);
	RUN(test_threads_do_not_change_the_estimate);
	RUN(test_diverging_chain_is_named);
	RUN(test_bad_configuration);
	return harness_done();
}
