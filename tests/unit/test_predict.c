/* traj predict's numbers: hand-computed cases, and values from an
 * independent NumPy reference (bench/predict_reference.py, gradient
 * descent and pairwise counting; tests/cli/traj-predict.bats reruns it
 * against the "# ref:" lines printed here). */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "predict/linear.h"
#include "predict/score.h"

static const double X[12][2] = {
	{0.5, 1.0}, {1.5, -0.5}, {-1.0, 0.3}, {2.0, 2.0}, {-0.7, -1.2}, {0.1, 0.4},
	{1.1, 0.9}, {-1.5, 0.8}, {0.9, -1.1}, {-0.2, -0.3}, {1.8, 0.1}, {-1.1, -0.6}};
static const double Y[12] = {1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1};
static const double T[12] = {0.3, 1.2, -0.8, 2.9, -1.4, 0.2, 1.5, -0.9, 0.1, -0.4, 1.3, -1.0};
static const double S[10] = {0.9, 0.8, 0.8, 0.3, 0.55, 0.8, 0.1, 0.4, 0.35, 0.9};
static const double L[10] = {1, 1, 0, 0, 1, 1, 0, 1, 0, 0};

static void test_cholesky_by_hand(void)
{
	/* [[4 2] [2 3]] x = [2 1]: x = [0.5 0] */
	double a[4] = {4, 2, 2, 3}, b[2] = {2, 1};
	CHECK(predict_cholesky_solve(a, b, 2) == 0);
	CHECK_NEAR(b[0], 0.5, 1e-15);
	CHECK_NEAR(b[1], 0, 1e-15);
	double c[4] = {1, 2, 2, 1}, d[2] = {1, 1};
	CHECK(predict_cholesky_solve(c, d, 2) < 0); /* indefinite */
}

static void test_ridge_by_hand(void)
{
	/* t = 2x + 1 exactly; with lambda 1: w = Sxy / (Sxx + 1) = 4 / 3 and
	 * b = mean t - w mean x = 3 - 4/3 */
	double x[3] = {0, 1, 2}, t[3] = {1, 3, 5};
	struct predict_linear m;
	struct traj_error err;
	CHECK(predict_ridge_fit(&m, x, t, 3, 1, 0, &err) == 0);
	CHECK_NEAR(m.w[0], 2, 1e-9);
	CHECK_NEAR(m.b, 1, 1e-9);
	predict_linear_free(&m);
	CHECK(predict_ridge_fit(&m, x, t, 3, 1, 1, &err) == 0);
	CHECK_NEAR(m.w[0], 4.0 / 3, 1e-12);
	CHECK_NEAR(m.b, 3 - 4.0 / 3, 1e-12);
	CHECK_NEAR(predict_linear_eval(&m, (double[]){3}), 3 - 4.0 / 3 + 4, 1e-12);
	predict_linear_free(&m);
}

static void test_logistic_by_hand(void)
{
	/* x = -1 (y 0), x = 1 (y 1), lambda 1: b = 0 by symmetry and the
	 * gradient -2 sigma(-w) + w vanishes: w = 2 sigma(-w) */
	double x[2] = {-1, 1}, y[2] = {0, 1};
	struct predict_linear m;
	struct traj_error err;
	CHECK(predict_logistic_fit(&m, x, y, 2, 1, 1, &err) == 0);
	CHECK_NEAR(m.b, 0, 1e-12);
	CHECK_NEAR(m.w[0], 2 / (1 + exp(m.w[0])), 1e-12);
	CHECK_NEAR(m.w[0], 0.6748, 1e-3);
	CHECK_NEAR(predict_logistic_prob(&m, (double[]){1}), 1 / (1 + exp(-m.w[0])), 1e-15);
	predict_linear_free(&m);
	/* separable without a penalty: refused, not an endless loop */
	CHECK(predict_logistic_fit(&m, x, y, 2, 1, 0, &err) < 0);
	CHECK(err.status == TRAJ_EDATA);
}

static void test_against_numpy(void)
{
	struct predict_linear m;
	struct traj_error err;
	CHECK(predict_logistic_fit(&m, &X[0][0], Y, 12, 2, 0.7, &err) == 0);
	/* bench/predict_reference.py */
	CHECK_NEAR(m.w[0], 0.730251533018, 1e-8);
	CHECK_NEAR(m.w[1], 0.078721009959, 1e-8);
	CHECK_NEAR(m.b, -0.216590808458, 1e-8);
	printf("# ref: logistic_w0 %.12g\n# ref: logistic_w1 %.12g\n# ref: logistic_b %.12g\n",
	       m.w[0], m.w[1], m.b);
	predict_linear_free(&m);
	CHECK(predict_ridge_fit(&m, &X[0][0], T, 12, 2, 0.7, &err) == 0);
	CHECK_NEAR(m.w[0], 0.825677846063, 1e-9);
	CHECK_NEAR(m.w[1], 0.479848806659, 1e-9);
	CHECK_NEAR(m.b, -0.0559193773835, 1e-9);
	printf("# ref: ridge_w0 %.12g\n# ref: ridge_w1 %.12g\n# ref: ridge_b %.12g\n",
	       m.w[0], m.w[1], m.b);
	predict_linear_free(&m);
	double a = predict_auroc(S, L, 10);
	/* by hand: 17.5 of the 25 (positive, negative) pairs, ties one half */
	CHECK_NEAR(a, 17.5 / 25, 1e-15);
	printf("# ref: auroc %.12g\n", a);
}

static void test_auroc_edges(void)
{
	double s[4] = {0.1, 0.2, 0.3, 0.4}, up[4] = {0, 0, 1, 1}, down[4] = {1, 1, 0, 0};
	double all[4] = {1, 1, 1, 1}, same[4] = {0.5, 0.5, 0.5, 0.5};
	CHECK_NEAR(predict_auroc(s, up, 4), 1, 0);
	CHECK_NEAR(predict_auroc(s, down, 4), 0, 0);
	CHECK_NEAR(predict_auroc(same, up, 4), 0.5, 0);
	CHECK(isnan(predict_auroc(s, all, 4)));
}

static void test_calibration_by_hand(void)
{
	double p[6] = {0.05, 0.15, 0.12, 0.95, 1.0, 0.5}, y[6] = {0, 1, 0, 1, 1, 0};
	int n[4];
	double mp[4], obs[4];
	predict_calibration(p, y, 6, 4, n, mp, obs);
	CHECK(n[0] == 3 && n[1] == 0 && n[2] == 1 && n[3] == 2);
	CHECK_NEAR(mp[0], (0.05 + 0.15 + 0.12) / 3, 1e-15);
	CHECK_NEAR(obs[0], 1.0 / 3, 1e-15);
	CHECK(isnan(mp[1]) && isnan(obs[1]));
	CHECK_NEAR(obs[2], 0, 0);
	CHECK_NEAR(mp[3], 0.975, 1e-15);
	CHECK_NEAR(obs[3], 1, 0);
}

int main(void)
{
	RUN(test_cholesky_by_hand);
	RUN(test_ridge_by_hand);
	RUN(test_logistic_by_hand);
	RUN(test_against_numpy);
	RUN(test_auroc_edges);
	RUN(test_calibration_by_hand);
	return harness_done();
}
