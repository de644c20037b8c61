/* Linear interpolation between checkpoints: exact ends, the barrier of
 * known curves, a hand-computed path through a tiny MLP, and the refusal
 * of two different models. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/interpolate.h"
#include "harness.h"

static struct model *mlp(const char *json)
{
	struct traj_error err;
	cJSON *j = cJSON_Parse(json);
	struct model *m = j ? model_from_json(j, 16, &err) : NULL;
	cJSON_Delete(j);
	CHECK(m != NULL);
	return m;
}

#define TINY "{\"kind\":\"mlp\",\"inputs\":2,\"width\":2,\"depth\":1," \
	     "\"classes\":2,\"bias\":false}"

static void test_points_and_ends(void)
{
	CHECK(lmc_t(0, 11) == 0.0 && lmc_t(10, 11) == 1.0);
	CHECK(lmc_t(5, 11) == 0.5 && lmc_t(1, 4) == 1.0 / 3.0);
	CHECK(lmc_t(0, 2) == 0.0 && lmc_t(1, 2) == 1.0);
	/* values whose blend A + t (B - A) does not round back to B */
	float a[3] = { 0.1f, -3.7f, 1e-8f }, b[3] = { 0.3f, 1e7f, -2.2f };
	float out[3];
	lmc_blend(out, a, b, 3, 0.0);
	CHECK(memcmp(out, a, sizeof a) == 0);
	lmc_blend(out, a, b, 3, 1.0);
	CHECK(memcmp(out, b, sizeof b) == 0);
	lmc_blend(out, a, b, 3, 0.25);
	CHECK(out[0] == (float)(0.1f + 0.25 * ((double)0.3f - 0.1f)));
	/* a point and itself: that point at every t */
	for (int i = 0; i <= 30; i++) {
		lmc_blend(out, a, a, 3, lmc_t(i, 31));
		CHECK(memcmp(out, a, sizeof a) == 0);
	}
}

static void test_barrier_of_curves(void)
{
	enum { N = 21 };
	double y[N];
	struct lmc_barrier b;
	/* y = y0 + (y1 - y0) t + c t (1 - t): the rise is c t (1 - t),
	 * largest at t = 0.5 (c / 4) */
	for (int i = 0; i < N; i++) {
		double t = lmc_t(i, N);
		y[i] = 0.2 + 0.3 * t + 0.8 * t * (1 - t);
	}
	lmc_barrier(y, N, &b);
	CHECK_NEAR(b.height, 0.2, 1e-12);
	CHECK(b.t == 0.5);
	/* the mean of the ends is 0.35; the top is at d/dt = 0.3 + 0.8 - 1.6 t
	 * = 0, t = 0.6875, between the points 0.65 and 0.7 */
	double top = 0;
	for (int i = 0; i < N; i++)
		top = y[i] > top ? y[i] : top;
	CHECK_NEAR(b.above_mean, top - 0.35, 1e-12);
	CHECK_NEAR(top, 0.2 + 0.3 * 0.7 + 0.8 * 0.7 * 0.3, 1e-12);
	/* convex: no rise */
	for (int i = 0; i < N; i++) {
		double t = lmc_t(i, N);
		y[i] = (t - 0.3) * (t - 0.3);
	}
	lmc_barrier(y, N, &b);
	CHECK(b.height == 0.0 && b.t == 0.0);
	CHECK_NEAR(b.above_mean, 0.49 - (0.09 + 0.49) / 2, 1e-12);
	/* constant: every measure exactly 0 */
	for (int i = 0; i < N; i++)
		y[i] = 0.123456789;
	lmc_barrier(y, N, &b);
	CHECK(b.height == 0.0 && b.above_mean == 0.0);
	/* not finite: nan */
	y[7] = NAN;
	lmc_barrier(y, N, &b);
	CHECK(isnan(b.height) && isnan(b.t) && isnan(b.above_mean));
	/* two points: nothing between the ends */
	double two[2] = { 1.0, 3.0 };
	lmc_barrier(two, 2, &b);
	CHECK(b.height == 0.0 && b.above_mean == 1.0);
}

static void set_view(struct model *m, const char *name, const float *v)
{
	int i = model_find_view(m, name);
	CHECK(i >= 0);
	if (i >= 0)
		memcpy(m->params + m->views[i].offset, v,
		       m->views[i].numel * sizeof *v);
}

/* A: hidden = relu(x W0), W0 = I, logits = hidden W1: on x = (1, 0)
 * label 0 and x = (0, 1) label 1 both margins are 2. B = -A. Every
 * weight at t is (1 - 2t) A, so for t <= 1/2 the logits are (1 - 2t)^2
 * times A's (two layers) and the loss is ln(1 + exp(-2 (1 - 2t)^2));
 * for t >= 1/2 relu of the negated pre-activations of positive inputs
 * is 0, the logits are 0: loss ln 2, and the tie goes to class 0 (one
 * example right). */
static double hand_loss(double t)
{
	double s = 1 - 2 * t;
	return t <= 0.5 ? log1p(exp(-2 * s * s)) : log(2.0);
}

static double hand_err(double t)
{
	return t < 0.5 ? 0.0 : 0.5;
}

static void test_hand_path(void)
{
	enum { N = 11 };
	struct model *m = mlp(TINY);
	if (!m)
		return;
	const float w0[4] = { 1, 0, 0, 1 }, w1[4] = { 1, -1, -1, 1 };
	set_view(m, "layers.0.W", w0);
	set_view(m, "layers.1.W", w1);
	float *a = malloc(m->nparams * sizeof *a), *b = malloc(m->nparams * sizeof *b);
	memcpy(a, m->params, m->nparams * sizeof *a);
	for (size_t i = 0; i < m->nparams; i++)
		b[i] = -a[i];
	const float x[4] = { 1, 0, 0, 1 };
	const int32_t labels[2] = { 0, 1 };
	struct batch batch = { .n = 2, .features = x, .labels = labels };
	struct eval_result r[N];
	struct traj_error err;
	CHECK(lmc_path(m, a, b, N, &batch, 1, r, &err) == 0);
	double y[N], le[N];
	for (int i = 0; i < N; i++) {
		double t = lmc_t(i, N);
		CHECK_NEAR(r[i].loss, hand_loss(t), 1e-6);
		CHECK_NEAR(1 - r[i].acc, hand_err(t), 1e-12);
		y[i] = hand_loss(t);
		le[i] = hand_err(t);
	}
	CHECK(memcmp(m->params, b, m->nparams * sizeof *b) == 0);
	struct lmc_barrier bl, be, want;
	double scratch[N];
	lmc_path_barriers(r, N, 1, 0, scratch, &bl, &be);
	/* error: 0.5 - 0.5 t largest at t = 1/2: 0.25; above the mean 0.25 */
	CHECK_NEAR(be.height, 0.25, 1e-12);
	CHECK(be.t == 0.5);
	CHECK_NEAR(be.above_mean, 0.25, 1e-12);
	/* loss: ln(1 + e^-0.08) - (L0 + 0.4 (ln 2 - L0)) at t = 0.4, the
	 * largest of the 11 points (0.300531 against 0.283109 at t = 0.5) */
	lmc_barrier(y, N, &want);
	double l0 = log1p(exp(-2.0));
	CHECK_NEAR(want.height, log1p(exp(-0.08)) - (l0 + 0.4 * (log(2.0) - l0)),
		   1e-12);
	CHECK_NEAR(bl.height, want.height, 1e-6);
	CHECK_NEAR(bl.height, 0.3005313, 1e-6);
	CHECK(bl.t == want.t && fabs(bl.t - 0.4) < 1e-12);
	CHECK_NEAR(bl.above_mean, log(2.0) - (l0 + log(2.0)) / 2, 1e-6);
	lmc_barrier(le, N, &want);
	CHECK_NEAR(want.height, be.height, 1e-12);
	/* n < 2 is refused */
	CHECK(lmc_path(m, a, b, 1, &batch, 1, r, &err) == -1);
	CHECK(err.status == TRAJ_EUSAGE);
	/* lmc_work: the path from the loaded parameters, its buffers kept
	 * for the next; both paths give lmc_path's figures bit for bit */
	struct lmc_work w = { .points = N, .nsplits = 1 };
	for (int pass = 0; pass < 2; pass++) {
		memcpy(m->params, a, m->nparams * sizeof *a);
		CHECK(lmc_work_path(&w, m, b, &batch, &err) == 0);
		CHECK(memcmp(w.path, r, sizeof r) == 0);
		CHECK(memcmp(m->params, b, m->nparams * sizeof *b) == 0);
		struct lmc_barrier wl, we;
		lmc_work_barriers(&w, 0, &wl, &we);
		CHECK(wl.height == bl.height && we.height == be.height);
	}
	lmc_work_free(&w);
	CHECK(!w.a && !w.path && !w.scratch);
	free(a);
	free(b);
	model_free(m);
}

static const char *check(const char *ja, const char *jb)
{
	static struct traj_error err;
	struct model *a = mlp(ja), *b = mlp(jb);
	cJSON *ca = cJSON_Parse(ja), *cb = cJSON_Parse(jb);
	memset(&err, 0, sizeof err);
	int rc = a && b ? lmc_check_models(a, ca, b, cb, &err) : -1;
	CHECK(rc == 0 || err.status == TRAJ_EDATA);
	cJSON_Delete(ca);
	cJSON_Delete(cb);
	model_free(a);
	model_free(b);
	return rc == 0 ? "" : err.msg;
}

static void test_different_models(void)
{
	CHECK(strcmp(check(TINY, TINY), "") == 0);
	const char *wide = "{\"kind\":\"mlp\",\"inputs\":2,\"width\":3,"
			   "\"depth\":1,\"classes\":2,\"bias\":false}";
	CHECK(strcmp(check(TINY, wide), "tensor 'layers.0.W': shape [2, 3], "
		     "not [2, 2]") == 0);
	const char *biased = "{\"kind\":\"mlp\",\"inputs\":2,\"width\":2,"
			     "\"depth\":1,\"classes\":2}";
	CHECK(strcmp(check(biased, TINY), "tensor 'layers.0.b' is missing") == 0);
	CHECK(strcmp(check(TINY, biased), "tensor 'layers.0.b': not in the "
		     "other model") == 0);
	const char *gelu = "{\"kind\":\"mlp\",\"inputs\":2,\"width\":2,"
			   "\"depth\":1,\"classes\":2,\"bias\":false,"
			   "\"activation\":\"gelu\"}";
	CHECK(strcmp(check(TINY, gelu), "model.activation: \"gelu\", not "
		     "\"relu\"") == 0);
	/* a default written out or left out: the same model */
	const char *relu = "{\"kind\":\"mlp\",\"inputs\":2,\"width\":2,"
			   "\"depth\":1,\"classes\":2,\"bias\":false,"
			   "\"activation\":\"relu\",\"vocab\":0}";
	CHECK(strcmp(check(relu, TINY), "") == 0);
}

int main(void)
{
	RUN(test_points_and_ends);
	RUN(test_barrier_of_curves);
	RUN(test_hand_path);
	RUN(test_different_models);
	return harness_done();
}
