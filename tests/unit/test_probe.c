/* Ridge regression (hand cases and numpy), probe scores, the split of the
 * probe inputs, and the task-defined targets. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "analysis/probe.h"
#include "analysis/ridge.h"
#include "common/rng.h"
#include "analysis/targets.h"

struct rows { const double *y; int t; };

static void fill_rows(void *ctx, int64_t row, double *out)
{
	const struct rows *r = ctx;
	memcpy(out, r->y + row * r->t, (size_t)r->t * sizeof *out);
}

/* The 4-row fit of y = 1, 3, 5, 7 on x (4, d), all rows. */
static void fit_line(struct ridge *r, const float *x, int d)
{
	static const double y[4] = { 1, 3, 5, 7 };
	static const int64_t rows[4] = { 0, 1, 2, 3 };
	struct rows ctx = { y, 1 };
	struct traj_error err;
	CHECK(ridge_fit(r, x, d, 1, rows, 4, fill_rows, &ctx, &err) == 0);
}

/* y = 2x + 1 on x = 0..3: centred Sxx = 5, Sxy = 10, so the slope is
 * 10 / (5 + lambda) and the intercept 4 - 1.5 slope. */
static void test_ridge_hand(void)
{
	const float x[4] = { 0, 1, 2, 3 };
	const int64_t rows[4] = { 0, 1, 2, 3 };
	struct ridge r;
	struct traj_error err;
	fit_line(&r, x, 1);
	CHECK_NEAR(ridge_scale(&r), 5, 1e-12);
	double w, b;
	ridge_coefs(&r, 0, &w, &b);
	CHECK_NEAR(w, 2, 1e-12);
	CHECK_NEAR(b, 1, 1e-12);
	ridge_coefs(&r, 5, &w, &b);
	CHECK_NEAR(w, 1, 1e-12);
	CHECK_NEAR(b, 2.5, 1e-12);
	/* predictions through the eigenbasis agree with the coefficients */
	double p[4], pred[4];
	CHECK(ridge_project(&r, x, rows, 4, p, &err) == 0);
	ridge_predict(&r, p, 4, 5, pred);
	for (int i = 0; i < 4; i++)
		CHECK_NEAR(pred[i], 2.5 + x[i], 1e-12);
	ridge_free(&r);
}

/* Two identical columns: the Gram matrix is singular; lambda 0 gives the
 * minimum-norm solution, the slope shared equally. */
static void test_ridge_singular(void)
{
	const float x[8] = { 0, 0, 1, 1, 2, 2, 3, 3 };
	struct ridge r;
	fit_line(&r, x, 2);
	double w[2], b;
	ridge_coefs(&r, 0, w, &b);
	CHECK_NEAR(w[0], 1, 1e-9);
	CHECK_NEAR(w[1], 1, 1e-9);
	CHECK_NEAR(b, 1, 1e-9);
	ridge_free(&r);
}

enum { N = 60, D = 5, TT = 3 };

static int have_numpy(void)
{
	return system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

/* W and intercept against numpy's solve of (Xc^T Xc + lambda I) W = Xc^T Yc
 * on random data, on a subset of the rows. */
static void test_ridge_numpy(void)
{
	if (!have_numpy()) {
		printf("# skip: /usr/bin/python3 cannot import numpy\n");
		return;
	}
	static float x[N * D];
	static double y[N * TT];
	struct rng g;
	rng_seed(&g, 7);
	for (int i = 0; i < N * D; i++)
		x[i] = rng_uniform(&g) * 4 - 1;
	for (int i = 0; i < N * TT; i++)
		y[i] = rng_uniform(&g) + 0.3 * x[(i / TT) * D + i % TT];
	int64_t rows[N / 2];
	for (int i = 0; i < N / 2; i++)
		rows[i] = 2 * i + 1; /* the odd rows */
	char path[] = "/tmp/test_probe_XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	for (int i = 0; i < N / 2; i++) {
		for (int j = 0; j < D; j++)
			fprintf(f, "%.17g ", (double)x[rows[i] * D + j]);
		for (int j = 0; j < TT; j++)
			fprintf(f, "%.17g ", y[rows[i] * TT + j]);
		fprintf(f, "\n");
	}
	fclose(f);
	const double lambda = 0.75;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c 'import numpy as np\n"
		 "a = np.loadtxt(\"%s\"); X = a[:, :%d]; Y = a[:, %d:]\n"
		 "Xc = X - X.mean(0); Yc = Y - Y.mean(0)\n"
		 "W = np.linalg.solve(Xc.T @ Xc + %g * np.eye(%d), Xc.T @ Yc)\n"
		 "b = Y.mean(0) - X.mean(0) @ W\n"
		 "print(\" \".join(\"%%.17g\" %% v for v in list(W.ravel()) + list(b)))'",
		 path, D, D, lambda, D);
	FILE *p = popen(cmd, "r");
	double ref[D * TT + TT];
	int got = 0;
	while (p && got < D * TT + TT && fscanf(p, "%lf", &ref[got]) == 1)
		got++;
	if (p)
		pclose(p);
	unlink(path);
	CHECK(got == D * TT + TT);
	struct rows ctx = { y, TT };
	struct ridge r;
	struct traj_error err;
	CHECK(ridge_fit(&r, x, D, TT, rows, N / 2, fill_rows, &ctx, &err) == 0);
	double w[D * TT], b[TT], worst = 0;
	ridge_coefs(&r, lambda, w, b);
	for (int i = 0; i < D * TT && got; i++)
		worst = fmax(worst, fabs(w[i] - ref[i]));
	for (int j = 0; j < TT && got; j++)
		worst = fmax(worst, fabs(b[j] - ref[D * TT + j]));
	printf("# ridge against numpy: max abs difference %.3g\n", worst);
	CHECK(worst < 1e-11);
	ridge_free(&r);
}

static struct probe_target target(const char *name, int nclass, double *v)
{
	struct probe_target t = { "", nclass, v };
	snprintf(t.name, sizeof t.name, "%s", name);
	return t;
}

/* Accuracy takes the argmax (ties to the lowest class); R^2 is 1 - SSE/SST
 * about the scored rows' mean. */
static void test_probe_score(void)
{
	double cls[3] = { 0, 1, 1 }, num[3] = { 1, 2, 3 };
	struct probe_target t[2] = { target("c", 2, cls), target("y", 0, num) };
	struct target_set ts = { 3, 2, 2, t };
	/* width 3: classes 0, 1 of c, then y */
	const double pred[9] = { 0.9, 0.1, 1.5,
				 0.5, 0.5, 2.0,
				 0.2, 0.7, 2.0 };
	int64_t rows[3] = { 0, 1, 2 };
	double score[2];
	probe_score(&ts, pred, rows, 3, score);
	CHECK_NEAR(score[0], 2.0 / 3, 1e-15); /* row 1 is a tie: class 0 */
	/* SSE 0.25 + 0 + 1, SST 2 */
	CHECK_NEAR(score[1], 1 - 1.25 / 2, 1e-15);
}

/* A non-finite prediction has no argmax: the accuracy is NAN, not the
 * share of class 0 that ties would give. */
static void test_probe_score_nonfinite(void)
{
	double cls[2] = { 0, 1 };
	struct probe_target t[1] = { target("c", 2, cls) };
	struct target_set ts = { 2, 1, 1, t };
	const double pred[4] = { NAN, NAN, 0.1, 0.9 };
	int64_t rows[2] = { 0, 1 };
	double score[1];
	probe_score(&ts, pred, rows, 2, score);
	CHECK(isnan(score[0]));
}

/* The split is a permutation, deterministic from the seed, of the sizes
 * the fractions give. */
static void test_split(void)
{
	struct probe_opts o;
	probe_opts_default(&o);
	struct probe_split a, b;
	struct traj_error err;
	CHECK(probe_split_make(&a, 100, &o, &err) == 0);
	CHECK(a.n_test == 20 && a.n_val == 20 && a.n_fit == 60);
	CHECK(probe_split_make(&b, 100, &o, &err) == 0);
	CHECK(memcmp(a.order, b.order, 100 * sizeof *a.order) == 0);
	int seen[100] = {0};
	for (int i = 0; i < 100; i++)
		seen[a.order[i]]++;
	for (int i = 0; i < 100; i++)
		CHECK(seen[i] == 1);
	probe_split_free(&b);
	o.seed = 1;
	CHECK(probe_split_make(&b, 100, &o, &err) == 0);
	CHECK(memcmp(a.order, b.order, 100 * sizeof *a.order) != 0);
	probe_split_free(&a);
	probe_split_free(&b);
	CHECK(probe_split_make(&a, 3, &o, &err) < 0 && err.status == TRAJ_EUSAGE);
}

/* A probe recovers a linear function of the activations exactly and a
 * class that is one coordinate's sign. */
static void test_probe_run(void)
{
	enum { n = 200, d = 4 };
	static float x[n * d];
	static double lin[n], cls[n];
	struct rng g;
	rng_seed(&g, 3);
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < d; j++)
			x[i * d + j] = rng_uniform(&g) - 0.5f;
		lin[i] = 3.0 * x[i * d] - x[i * d + 2] + 0.5;
		cls[i] = x[i * d + 1] > 0;
	}
	struct probe_target t[2] = { target("lin", 0, lin), target("cls", 2, cls) };
	struct target_set ts = { n, 2, 2, t };
	struct probe_opts o;
	probe_opts_default(&o);
	struct probe_split s;
	struct probe_result res[2];
	struct traj_error err;
	CHECK(probe_split_make(&s, n, &o, &err) == 0);
	CHECK(probe_run(x, d, &ts, &s, &o, res, &err) == 0);
	CHECK_NEAR(res[0].score, 1, 1e-6);
	CHECK(res[0].lambda <= 1e-3);
	CHECK(res[1].score > 0.9);
	probe_split_free(&s);
}

/* Carries by hand: 58 + 67 = 125, 40 + 33 = 073. */
static void test_add_targets(void)
{
	/* "a + b = c": a0 a1 + b0 b1 = c0 c1 (c2 is predicted, not input) */
	const int32_t tok[2 * 8] = { 5, 8, 10, 6, 7, 11, 1, 2,
				     4, 0, 10, 3, 3, 11, 0, 7 };
	const int32_t lab[2 * 3] = { 1, 2, 5, 0, 7, 3 };
	struct task_config cfg = { .family = TASK_ADD, .digits = 2 };
	struct task_examples in = { 2, 8, tok, 0, NULL, 3, lab };
	struct target_set ts;
	struct traj_error err;
	CHECK(targets_from_task(&cfg, &in, NULL, 0, &ts, &err) == 0);
	CHECK(ts.count == 2 + 2 + 3 + 2);
	const char *names[] = { "a0", "a1", "b0", "b1", "c0", "c1", "c2",
				"carry0", "carry1" };
	const double want[9][2] = { {5, 4}, {8, 0}, {6, 3}, {7, 3}, {1, 0},
				    {2, 7}, {5, 3}, {1, 0}, {1, 0} };
	for (int i = 0; i < ts.count && i < 9; i++) {
		CHECK(strcmp(ts.t[i].name, names[i]) == 0);
		CHECK(ts.t[i].value[0] == want[i][0] && ts.t[i].value[1] == want[i][1]);
	}
	targets_free(&ts);
}

static void test_modular_targets(void)
{
	const int32_t tok[2 * 3] = { 3, 5, 7, 4, 2, 7 };
	const int32_t lab[2] = { 1, 6 };
	struct task_config cfg = { .family = TASK_MODULAR, .p = 7, .eq_token = 1 };
	struct task_examples in = { 2, 3, tok, 0, NULL, 1, lab };
	struct target_set ts;
	struct traj_error err;
	int k = 2;
	CHECK(targets_from_task(&cfg, &in, &k, 1, &ts, &err) == 0);
	CHECK(ts.count == 3 + 6);
	CHECK(strcmp(ts.t[5].name, "b_cos2") == 0 && ts.t[5].nclass == 0);
	CHECK_NEAR(ts.t[5].value[0], cos(2 * M_PI * 10 / 7), 1e-12);
	CHECK(strcmp(ts.t[8].name, "answer_sin2") == 0);
	CHECK_NEAR(ts.t[8].value[1], sin(2 * M_PI * 12 / 7), 1e-12);
	CHECK(ts.t[2].value[1] == 6 && ts.t[2].nclass == 7);
	char *glob[1] = { "*_cos*" };
	CHECK(targets_select(&ts, glob, 1, &err) == 0 && ts.count == 3);
	char *none[1] = { "zzz" };
	CHECK(targets_select(&ts, none, 1, &err) < 0 && err.status == TRAJ_EUSAGE);
	targets_free(&ts);
	k = 4;
	CHECK(targets_from_task(&cfg, &in, &k, 1, &ts, &err) < 0);
	CHECK(err.status == TRAJ_EUSAGE && strstr(err.msg, "1..3"));
}

static void test_label_file(void)
{
	struct target_set ts;
	struct traj_error err;
	FILE *f = fmemopen("2\n0\n1\n", 6, "r");
	CHECK(targets_from_file(f, 3, &ts, &err) == 0);
	CHECK(ts.t[0].nclass == 3 && ts.t[0].value[0] == 2);
	targets_free(&ts);
	fclose(f);
	f = fmemopen("0.5\n1\n", 6, "r");
	CHECK(targets_from_file(f, 2, &ts, &err) == 0 && ts.t[0].nclass == 0);
	targets_free(&ts);
	fclose(f);
	f = fmemopen("1\n2\n", 4, "r");
	CHECK(targets_from_file(f, 3, &ts, &err) < 0 && err.status == TRAJ_EDATA);
	CHECK(strstr(err.msg, "2 labels for 3") != NULL);
	fclose(f);
	f = fmemopen("1\nx\n", 4, "r");
	CHECK(targets_from_file(f, 2, &ts, &err) < 0 && strstr(err.msg, "line 2"));
	fclose(f);
}

int main(void)
{
	RUN(test_ridge_hand);
	RUN(test_ridge_singular);
	RUN(test_ridge_numpy);
	RUN(test_probe_score);
	RUN(test_probe_score_nonfinite);
	RUN(test_split);
	RUN(test_probe_run);
	RUN(test_add_targets);
	RUN(test_modular_targets);
	RUN(test_label_file);
	return harness_done();
}
