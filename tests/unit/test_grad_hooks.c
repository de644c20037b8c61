/* Gradient hooks (model_set_grad_hook), the backward half of attribution
 * patching: d loss / d activation at every hook point with has_grad,
 * checked against central differences of the loss taken by nudging one
 * activation element with a forward hook. Transformers with and without
 * LayerNorm and MLPs, 1 and 2 blocks, 1 to T labelled positions, and
 * MLPs of depth 1 and 2, in chunks (max_batch 2) so e0 offsets matter. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "eval_check.h"
#include "model/mlp.h"
#include "model/model.h"
#include "model/transformer.h"

enum { T = 4, V = 7, U = 5, N = 5, CHUNK = 2 };

static const int32_t tokens[N * T] = {
	0, 3, 6, 2,  1, 1, 4, 5,  6, 0, 2, 3,  5, 5, 5, 0,  2, 4, 1, 6,
};
static const int32_t labels[N * T] = {
	1, 4, 0, 2,  3, 3, 1, 0,  4, 2, 2, 1,  0, 1, 3, 4,  2, 0, 4, 3,
};

/* Captured gradients of one hook, (N, numel). */
struct grab { int hook; size_t numel; float *grad; float *act; int calls; };

static void grab_grad(void *ctx, int hook, int64_t e0, int n,
		      const float *act, const float *grad)
{
	struct grab *g = ctx;
	g->calls++;
	if (hook != g->hook)
		return;
	memcpy(g->grad + (size_t)e0 * g->numel, grad,
	       (size_t)n * g->numel * sizeof *grad);
	memcpy(g->act + (size_t)e0 * g->numel, act,
	       (size_t)n * g->numel * sizeof *act);
}

/* A forward hook adding `eps` to element k of example e of one hook. */
struct nudge { int hook; size_t numel; int64_t e; size_t k; float eps; };

static void nudge_act(void *ctx, int hook, int64_t e0, int n, float *act)
{
	struct nudge *d = ctx;
	if (hook == d->hook && d->e >= e0 && d->e < e0 + n)
		act[(size_t)(d->e - e0) * d->numel + d->k] += d->eps;
}

static double nudged_loss(struct model *m, const struct batch *b,
			  struct nudge *d, float eps)
{
	d->eps = eps;
	model_set_hook(m, nudge_act, d);
	double l = loss_model(m, b, 0);
	model_set_hook(m, NULL, NULL);
	return l;
}

/* Central differences at eps and eps/2 combined by Richardson
 * extrapolation, which cancels the eps^2 error term: the softmax's
 * curvature is large next to the small gradient of one element. */
static double richardson(struct model *m, const struct batch *b,
			 struct nudge *d, float eps)
{
	double c1 = (nudged_loss(m, b, d, eps) - nudged_loss(m, b, d, -eps)) /
		    (2.0 * eps);
	double c2 = (nudged_loss(m, b, d, eps / 2) -
		     nudged_loss(m, b, d, -eps / 2)) / eps;
	return (4.0 * c2 - c1) / 3.0;
}

/* Every hook with has_grad: gradients at a few elements of every example
 * against central differences; returns the number of hooks checked. */
static int check_model(struct model *m, const struct batch *b)
{
	int checked = 0;
	for (int h = 0; h < m->nhooks; h++) {
		if (!m->hooks[h].has_grad)
			continue;
		size_t numel = m->hooks[h].numel;
		struct grab g = { h, numel, calloc(N * numel, sizeof(float)),
				  calloc(N * numel, sizeof(float)), 0 };
		model_set_grad_hook(m, grab_grad, &g);
		double loss = loss_model(m, b, 1);
		model_set_grad_hook(m, NULL, NULL);
		CHECK_NEAR(loss, loss_model(m, b, 0), 1e-5);
		CHECK(g.calls > 0);
		double worst = 0.0;
		for (int e = 0; e < N; e++)
			for (size_t k = e % 3; k < numel; k += 5) {
				struct nudge d = { h, numel, e, k, 0 };
				double fd = richardson(m, b, &d, 1e-2f);
				double an = g.grad[(size_t)e * numel + k];
				double diff = fabs(fd - an) / (fabs(an) + 1e-3);
				if (diff > worst)
					worst = diff;
			}
		if (worst > 0.02)
			printf("# hook %s: worst relative difference %g\n",
			       m->hooks[h].name, worst);
		CHECK(worst <= 0.02);
		free(g.grad);
		free(g.act);
		checked++;
	}
	return checked;
}

static void check_transformer(int layers, int ln, int attn_only, int k)
{
	struct transformer_config c = {
		.n_layers = layers, .d_model = 6, .n_heads = 2, .d_head = 3,
		.d_mlp = 8, .d_vocab = V, .d_vocab_out = U, .n_ctx = T,
		.n_outputs = k, .act = ACT_GELU, .layernorm = ln,
		.attn_only = attn_only,
	};
	struct traj_error err;
	struct model *m = transformer_new(&c, CHUNK, &err);
	CHECK(m != NULL);
	if (!m)
		return;
	model_init(m, 7);
	int32_t lab[N * T];
	for (int e = 0; e < N; e++)
		for (int i = 0; i < k; i++)
			lab[e * k + i] = labels[e * T + T - k + i];
	struct batch b = { N, tokens, NULL, lab };
	int per_block = attn_only ? 3 : 5; /* resid_pre, z, (resid_mid,
					      mlp post,) resid_post */
	CHECK(check_model(m, &b) == layers * per_block);
	model_free(m);
}

static void test_transformer_grads(void)
{
	check_transformer(1, 0, 0, 1);
	check_transformer(2, 1, 0, 1);
	check_transformer(2, 1, 0, 3);
	check_transformer(1, 0, 1, T);
	check_transformer(2, 0, 1, 2);
}

static void test_mlp_grads(void)
{
	for (int depth = 1; depth <= 2; depth++) {
		struct mlp_config c = { 2, V, 6, depth, U, ACT_GELU, 1, {0} };
		struct traj_error err;
		struct model *m = mlp_new(&c, CHUNK, &err);
		CHECK(m != NULL);
		if (!m)
			return;
		model_init(m, 3);
		int32_t tok[N * 2], lab[N];
		for (int e = 0; e < N; e++) {
			tok[2 * e] = tokens[e * T];
			tok[2 * e + 1] = tokens[e * T + 1];
			lab[e] = labels[e * T];
		}
		struct batch b = { N, tok, NULL, lab };
		CHECK(check_model(m, &b) == depth);
		model_free(m);
	}
}

/* Gradient passes with a gradient hook give the same parameter gradients
 * as without (every position computed instead of the last ones). */
static void test_same_param_grads(void)
{
	struct transformer_config c = {
		.n_layers = 2, .d_model = 6, .n_heads = 2, .d_head = 3,
		.d_mlp = 8, .d_vocab = V, .d_vocab_out = U, .n_ctx = T,
		.n_outputs = 1, .act = ACT_RELU, .layernorm = 1,
	};
	struct traj_error err;
	struct model *m = transformer_new(&c, CHUNK, &err);
	CHECK(m != NULL);
	if (!m)
		return;
	model_init(m, 5);
	int32_t lab[N];
	for (int e = 0; e < N; e++)
		lab[e] = labels[e * T + T - 1];
	struct batch b = { N, tokens, NULL, lab };
	float *plain = malloc(m->nparams * sizeof *plain);
	memset(m->grads, 0, m->nparams * sizeof(float));
	loss_model(m, &b, 1);
	memcpy(plain, m->grads, m->nparams * sizeof *plain);
	struct grab g = { -1, 0, NULL, NULL, 0 };
	model_set_grad_hook(m, grab_grad, &g);
	memset(m->grads, 0, m->nparams * sizeof(float));
	loss_model(m, &b, 1);
	model_set_grad_hook(m, NULL, NULL);
	double worst = 0.0;
	for (size_t i = 0; i < m->nparams; i++) {
		double d = fabs(plain[i] - m->grads[i]);
		if (d > worst)
			worst = d;
	}
	CHECK(worst < 1e-5);
	CHECK(g.calls == 2 * 5 * 3); /* 5 hooks x 2 blocks x 3 chunks */
	free(plain);
	model_free(m);
}

int main(void)
{
	RUN(test_transformer_grads);
	RUN(test_mlp_grads);
	RUN(test_same_param_grads);
	return harness_done();
}
