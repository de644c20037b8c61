/* Fourier-frequency components of the logits (traj-ablate --by freq):
 * hand cases of the projection and of the ablated loss and accuracy. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "interp/logit_freq.h"

#define P 7

/* z[c] = base + amp cos(2 pi k c / p) */
static void pure_cos(float *z, int k, double base, double amp)
{
	for (int c = 0; c < P; c++)
		z[c] = (float)(base + amp * cos(2 * M_PI * k * c / P));
}

static void test_basis_orthonormal(void)
{
	double b[3][2][P];
	for (int k = 1; k <= 3; k++)
		logit_freq_basis(P, k, b[k - 1][0], b[k - 1][1]);
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 6; j++) {
			const double *u = b[i / 2][i % 2], *v = b[j / 2][j % 2];
			double dot = 0, sum = 0;
			for (int c = 0; c < P; c++) {
				dot += u[c] * v[c];
				sum += u[c];
			}
			CHECK_NEAR(dot, i == j ? 1.0 : 0.0, 1e-12);
			CHECK_NEAR(sum, 0.0, 1e-12); /* orthogonal to k = 0 */
		}
	CHECK(logit_freq_count(7) == 3);
	CHECK(logit_freq_count(113) == 56);
}

static void test_pure_cos(void)
{
	float z[P], orig[P];
	pure_cos(orig, 2, 3.0, 2.0);
	for (int k = 1; k <= 3; k++) {
		double co[P], si[P], a, s;
		logit_freq_basis(P, k, co, si);
		memcpy(z, orig, sizeof z);
		logit_freq_coef(co, si, P, z, &a, &s);
		/* 2 cos = 2 sqrt(p/2) cos_k: coefficient sqrt(2 p) */
		CHECK_NEAR(a, k == 2 ? sqrt(2.0 * P) : 0.0, 1e-5);
		CHECK_NEAR(s, 0.0, 1e-5);
		logit_freq_replace(co, si, P, z, a, s, 0.0, 0.0);
		for (int c = 0; c < P; c++) /* k = 2 leaves the constant 3 */
			CHECK_NEAR(z[c], k == 2 ? 3.0 : orig[c], 1e-5);
	}
}

static void test_eval(void)
{
	/* Two examples: a cos peak at class 0 (label 0) and at class 0
	 * with label 1, on top of different constants. */
	float logits[2 * P];
	int32_t labels[2] = { 0, 1 };
	pure_cos(logits, 1, 5.0, 1.0);
	pure_cos(logits + P, 1, -2.0, 1.0);
	struct freq_logits f;
	struct traj_error err;
	CHECK(logit_freq_set(&f, logits, 2, P, labels, 1, &err) == 0);
	struct eval_result r = logit_freq_eval(&f, NULL, 0);
	double lse = 0;
	for (int c = 0; c < P; c++)
		lse += exp(cos(2 * M_PI * c / P));
	lse = log(lse);
	CHECK_NEAR(r.loss, ((lse - 1.0) + (lse - cos(2 * M_PI / P))) / 2, 1e-5);
	CHECK_NEAR(r.acc, 0.5, 1e-12);
	int k1 = 0, k3 = 2;
	r = logit_freq_eval(&f, &k1, 1); /* zero: only the constant is left */
	CHECK_NEAR(r.loss, log((double)P), 1e-5);
	struct eval_result other = logit_freq_eval(&f, &k3, 1);
	CHECK_NEAR(other.loss, logit_freq_eval(&f, NULL, 0).loss, 1e-6);
	logit_freq_free(&f);
	/* Mean ablation: both examples have the same coefficients, so
	 * replacing them by the mean changes nothing. */
	CHECK(logit_freq_set(&f, logits, 2, P, labels, 0, &err) == 0);
	r = logit_freq_eval(&f, &k1, 1);
	CHECK_NEAR(r.loss, logit_freq_eval(&f, NULL, 0).loss, 1e-6);
	logit_freq_free(&f);
	CHECK(logit_freq_set(&f, logits, 2, 8, labels, 0, &err) < 0);
	CHECK(err.status == TRAJ_EUSAGE);
}

/* Patching: every frequency from logits B into logits A gives B's loss
 * and accuracy (only A's constant part stays, and softmax ignores it);
 * one frequency moves only that frequency's coefficients. */
static void test_patch_source(void)
{
	enum { N = 4 };
	float a[N * P], b[N * P];
	int32_t labels[N] = { 0, 3, 5, 6 };
	for (int e = 0; e < N; e++) {
		pure_cos(a + e * P, 1 + e % 3, 0.5 * e, 2.0);
		pure_cos(b + e * P, 3 - e % 3, -1.0, 1.5 + e);
		b[e * P + labels[e]] += 10.0f; /* B is right where A is not */
	}
	struct freq_logits fa, fb;
	struct traj_error err;
	CHECK(logit_freq_set(&fa, a, N, P, labels, 0, &err) == 0);
	CHECK(logit_freq_set(&fb, b, N, P, labels, 0, &err) == 0);
	fa.source = &fb;
	int all[3] = { 0, 1, 2 };
	struct eval_result patched = logit_freq_eval(&fa, all, 3);
	struct eval_result want = logit_freq_eval(&fb, NULL, 0);
	CHECK_NEAR(patched.loss, want.loss, 1e-6);
	CHECK(patched.acc == want.acc && want.acc == 1.0);
	CHECK(logit_freq_eval(&fa, NULL, 0).acc < 1.0);
	/* one frequency: A's logits with frequency 2 taken from B */
	int two = 1;
	struct eval_result one = logit_freq_eval(&fa, &two, 1);
	double loss = 0.0;
	for (int e = 0; e < N; e++) {
		double ca, sa, cb, sb, cos2[P], sin2[P];
		float z[P];
		memcpy(z, a + e * P, sizeof z);
		logit_freq_basis(P, 2, cos2, sin2);
		logit_freq_coef(cos2, sin2, P, a + e * P, &ca, &sa);
		logit_freq_coef(cos2, sin2, P, b + e * P, &cb, &sb);
		for (int c = 0; c < P; c++)
			z[c] += (float)((cb - ca) * cos2[c] + (sb - sa) * sin2[c]);
		double sum = 0.0;
		for (int c = 0; c < P; c++)
			sum += exp(z[c]);
		loss += log(sum) - z[labels[e]];
	}
	CHECK_NEAR(one.loss, loss / N, 1e-6);
	logit_freq_free(&fa);
	logit_freq_free(&fb);
}

int main(void)
{
	RUN(test_basis_orthonormal);
	RUN(test_pure_cos);
	RUN(test_eval);
	RUN(test_patch_source);
	return harness_done();
}
