/* model_input_grad against central differences of each example's own
 * loss, its per-example losses against the model's loss, and its refusal
 * of a model without continuous input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "eval_check.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "model/mlp.h"
#include "model/model.h"

enum { F = 5, H = 7, C = 4, N = 9 };

static struct model *make(int depth, enum activation act, int max_batch,
			  float *x, int32_t *y)
{
	struct mlp_config c = { F, 0, H, depth, C, act, 1, {0} };
	struct traj_error err;
	struct model *m = mlp_new(&c, max_batch, &err);
	if (!m)
		return NULL;
	model_init(m, 7);
	struct rng r;
	rng_seed(&r, 3);
	for (int i = 0; i < N * F; i++)
		x[i] = rng_uniform(&r);
	for (int e = 0; e < N; e++)
		y[e] = (int32_t)rng_below(&r, C);
	return m;
}

/* Loss of example e alone with its input x_e. */
static double loss_one(struct model *m, const float *xe, int32_t ye)
{
	struct batch b = { 1, NULL, xe, &ye };
	return loss_model(m, &b, 0);
}

static void check_against_differences(int depth, enum activation act,
				      double h, double tol)
{
	float x[N * F], dx[N * F], loss[N];
	int32_t y[N];
	struct model *m = make(depth, act, 16, x, y);
	CHECK(m != NULL);
	if (!m)
		return;
	struct batch b = { N, NULL, x, y };
	struct traj_error err;
	CHECK(model_input_grad(m, &b, dx, loss, NULL, &err) == 0);
	float z[N * C], zref[N * C];
	CHECK(model_input_grad(m, &b, dx, NULL, z, &err) == 0);
	m->ops->logits(m, &b, zref);
	for (int i = 0; i < N * C; i++)
		CHECK_NEAR(z[i], zref[i], 1e-6);
	for (int e = 0; e < N; e++) {
		CHECK_NEAR(loss[e], loss_one(m, x + e * F, y[e]), 1e-5);
		for (int i = 0; i < F; i++) {
			float xe[F];
			memcpy(xe, x + e * F, sizeof xe);
			xe[i] += (float)h;
			double up = loss_one(m, xe, y[e]);
			xe[i] -= (float)(2 * h);
			double down = loss_one(m, xe, y[e]);
			double fd = (up - down) / (2 * h);
			CHECK_NEAR(dx[e * F + i], fd, tol * (1 + fabs(fd)));
		}
	}
	model_free(m);
}

static void gelu_two_layers_matches_differences(void)
{
	check_against_differences(2, ACT_GELU, 1e-2, 2e-3);
}

static void quad_one_layer_matches_differences(void)
{
	check_against_differences(1, ACT_QUAD, 1e-2, 2e-3);
}

static void relu_three_layers_matches_differences(void)
{
	check_against_differences(3, ACT_RELU, 1e-3, 5e-3);
}

/* Chunks of max_batch examples give the same gradient as one chunk. */
static void chunking_changes_nothing(void)
{
	float x[N * F], dx1[N * F], dx4[N * F];
	int32_t y[N];
	struct model *m1 = make(2, ACT_GELU, 16, x, y);
	struct model *m4 = make(2, ACT_GELU, 4, x, y);
	CHECK(m1 && m4);
	if (!m1 || !m4)
		return;
	struct batch b = { N, NULL, x, y };
	CHECK(model_input_grad(m1, &b, dx1, NULL, NULL, NULL) == 0);
	CHECK(model_input_grad(m4, &b, dx4, NULL, NULL, NULL) == 0);
	for (int i = 0; i < N * F; i++)
		CHECK_NEAR(dx1[i], dx4[i], 1e-6);
	model_free(m1);
	model_free(m4);
}

/* Split between threads (each part in chunks of its slice of the
 * scratch), the gradients, losses and logits are the same twice, bit for
 * bit, and those of one thread up to the rounding of the products (a
 * row's sums may depend on where it falls in a product): hidden layers
 * of two widths, an activation with its own post-activation buffer, and
 * one without. */
static void threads_change_nothing(void)
{
	enum { NB = 200 };
	static const enum activation acts[] = { ACT_GELU, ACT_RELU };
	for (int a = 0; a < 2; a++) {
		struct mlp_config c = { F, 0, H, 2, C, acts[a], 1, { H, 3 } };
		struct traj_error err;
		struct model *m = mlp_new(&c, 64, &err);
		CHECK(m != NULL);
		if (!m)
			return;
		model_init(m, 7);
		static float x[NB * F], dx[3][NB * F], z[3][NB * C], l[3][NB];
		static int32_t y[NB];
		struct rng r;
		rng_seed(&r, 4);
		for (int i = 0; i < NB * F; i++)
			x[i] = rng_uniform(&r);
		for (int e = 0; e < NB; e++)
			y[e] = (int32_t)rng_below(&r, C);
		struct batch b = { NB, NULL, x, y };
		for (int k = 0; k < 3; k++) {
			parallel_set_threads(k ? 3 : 1);
			CHECK(model_input_grad(m, &b, dx[k], l[k], z[k], &err) == 0);
		}
		parallel_set_threads(0);
		CHECK(memcmp(dx[1], dx[2], sizeof dx[1]) == 0);
		CHECK(memcmp(z[1], z[2], sizeof z[1]) == 0);
		CHECK(memcmp(l[1], l[2], sizeof l[1]) == 0);
		for (int i = 0; i < NB * F; i++)
			CHECK_NEAR(dx[0][i], dx[1][i], 1e-5 * (1 + fabs(dx[0][i])));
		for (int i = 0; i < NB * C; i++)
			CHECK_NEAR(z[0][i], z[1][i], 1e-5 * (1 + fabs(z[0][i])));
		for (int e = 0; e < NB; e++)
			CHECK_NEAR(l[0][e], l[1][e], 1e-5 * (1 + fabs(l[0][e])));
		model_free(m);
	}
}

/* A worker view (model_worker_new) gives its model's gradients, losses
 * and logits, reads the parameters in place (a change shows at once),
 * and two views compute side by side on scratch of their own. */
static void worker_view_agrees(void)
{
	float x[N * F], dx[3][N * F], z[3][N * C], l[3][N];
	int32_t y[N];
	struct model *m = make(2, ACT_GELU, 16, x, y);
	CHECK(m != NULL);
	if (!m)
		return;
	struct traj_error err;
	struct model *w1 = model_worker_new(m, 4, &err);
	struct model *w2 = model_worker_new(m, 4, &err);
	CHECK(w1 && w2);
	if (!w1 || !w2)
		return;
	CHECK(w1->max_batch == 4);
	struct batch b = { N, NULL, x, y };
	CHECK(model_input_grad(m, &b, dx[0], l[0], z[0], &err) == 0);
	struct batch h1 = { N / 2, NULL, x, y };
	struct batch h2 = { N - N / 2, NULL, x + (N / 2) * F, y + N / 2 };
	CHECK(model_input_grad(w1, &h1, dx[1], l[1], z[1], &err) == 0);
	CHECK(model_input_grad(w2, &h2, dx[1] + (N / 2) * F, l[1] + N / 2,
			       z[1] + (N / 2) * C, &err) == 0);
	for (int i = 0; i < N * F; i++)
		CHECK_NEAR(dx[0][i], dx[1][i], 1e-6 * (1 + fabs(dx[0][i])));
	for (int e = 0; e < N; e++)
		CHECK_NEAR(l[0][e], l[1][e], 1e-6 * (1 + fabs(l[0][e])));
	w1->ops->logits(w1, &b, z[2]);
	for (int i = 0; i < N * C; i++)
		CHECK_NEAR(z[0][i], z[2][i], 1e-6 * (1 + fabs(z[0][i])));
	for (size_t i = 0; i < m->nparams; i++)
		m->params[i] *= 2.0f;
	CHECK(model_input_grad(m, &b, dx[0], NULL, NULL, &err) == 0);
	CHECK(model_input_grad(w1, &b, dx[2], NULL, NULL, &err) == 0);
	for (int i = 0; i < N * F; i++)
		CHECK_NEAR(dx[0][i], dx[2][i], 1e-6 * (1 + fabs(dx[0][i])));
	model_free(w1);
	model_free(w2);
	model_free(m);
}

/* Parameters and their gradients are left alone. */
static void parameters_untouched(void)
{
	float x[N * F], dx[N * F];
	int32_t y[N];
	struct model *m = make(2, ACT_RELU, 16, x, y);
	CHECK(m != NULL);
	if (!m)
		return;
	float *before = malloc(m->nparams * sizeof *before);
	memcpy(before, m->params, m->nparams * sizeof *before);
	memset(m->grads, 0, m->nparams * sizeof *m->grads);
	struct batch b = { N, NULL, x, y };
	CHECK(model_input_grad(m, &b, dx, NULL, NULL, NULL) == 0);
	CHECK(memcmp(before, m->params, m->nparams * sizeof *before) == 0);
	for (size_t i = 0; i < m->nparams; i++)
		CHECK(m->grads[i] == 0.0f);
	free(before);
	model_free(m);
}

static void token_input_refused(void)
{
	struct mlp_config c = { 2, 5, H, 1, C, ACT_RELU, 1, {0} };
	struct traj_error err;
	struct model *m = mlp_new(&c, 4, &err);
	CHECK(m != NULL);
	if (!m)
		return;
	int32_t tok[2] = { 1, 2 }, y = 0;
	float dx[2];
	struct batch b = { 1, tok, NULL, &y };
	CHECK(model_input_grad(m, &b, dx, NULL, NULL, &err) == -1);
	CHECK(err.status == TRAJ_EUSAGE);
	CHECK(strstr(err.msg, "no continuous input") != NULL);
	CHECK(model_worker_new(m, 4, &err) == NULL);
	CHECK(err.status == TRAJ_EUSAGE);
	model_free(m);
}

int main(void)
{
	RUN(gelu_two_layers_matches_differences);
	RUN(quad_one_layer_matches_differences);
	RUN(relu_three_layers_matches_differences);
	RUN(chunking_changes_nothing);
	RUN(threads_change_nothing);
	RUN(worker_view_agrees);
	RUN(parameters_untouched);
	RUN(token_input_refused);
	return harness_done();
}
