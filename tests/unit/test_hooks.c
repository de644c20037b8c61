/* The hook mechanism on the MLP (the transformer's hooks are tested in
 * test_transformer.c): names and shapes, capture in forward passes
 * without gradients only, overwriting. */
#include <string.h>

#include "harness.h"
#include "eval_check.h"
#include "model/mlp.h"

enum { T = 2, V = 5, H = 6, C = 4, N = 7 };

static const int32_t tokens[N * T] = { 0, 1, 4, 4, 2, 0, 1, 1, 3, 2, 0, 0, 4, 1 };
static const int32_t labels[N] = { 0, 3, 1, 2, 2, 0, 1 };

struct seen { int calls; int64_t rows; int zero; };

static void hook(void *ctx, int index, int64_t e0, int n, float *act)
{
	struct seen *s = ctx;
	(void)index;
	s->calls++;
	s->rows += n;
	CHECK(e0 % 3 == 0); /* chunks of max_batch 3 */
	if (s->zero)
		memset(act, 0, (size_t)n * H * sizeof *act);
}

static void test_mlp_hook_post(void)
{
	struct mlp_config c = { T, V, H, 2, C, ACT_GELU, 1, {0} };
	struct traj_error err;
	struct model *m = mlp_new(&c, 3, &err);
	CHECK(m != NULL);
	if (!m)
		return;
	model_init(m, 4);
	CHECK(m->nhooks == 2);
	int h1 = model_find_hook(m, "layers.1.hook_post");
	CHECK(h1 == 1 && m->hooks[h1].rank == 1 && m->hooks[h1].shape[0] == H);
	CHECK(model_find_hook(m, "layers.2.hook_post") < 0);
	struct batch b = { N, tokens, NULL, labels };
	float plain[N * C], hooked[N * C];
	m->ops->logits(m, &b, plain);
	struct seen s = { 0, 0, 0 };
	model_set_hook(m, hook, &s);
	m->ops->logits(m, &b, hooked);
	CHECK(memcmp(plain, hooked, sizeof plain) == 0);
	CHECK(s.calls == 2 * 3 && s.rows == 2 * N); /* 2 layers x 3 chunks */
	s.calls = 0;
	memset(m->grads, 0, m->nparams * sizeof(float));
	loss_model(m, &b, 1);
	CHECK(s.calls == 0); /* never in a gradient pass */
	loss_model(m, &b, 0);
	CHECK(s.calls == 6);
	/* zeroed hidden activations leave only the output bias */
	s.zero = 1;
	m->ops->logits(m, &b, hooked);
	const float *ob = m->params + m->views[model_find_view(m, "layers.2.b")].offset;
	for (int i = 0; i < N * C; i++)
		CHECK(hooked[i] == ob[i % C]);
	model_set_hook(m, NULL, NULL);
	CHECK(m->hook_fn == NULL && m->hook_ctx == NULL);
	model_free(m);
}

/* Marks which examples a hook saw, by their index in the whole batch. */
struct coverage { int hits[N]; };

static void cover(void *ctx, int index, int64_t e0, int n, float *act)
{
	struct coverage *c = ctx;
	(void)act;
	for (int r = 0; index == 0 && r < n; r++)
		if (e0 + r >= 0 && e0 + r < N)
			c->hits[e0 + r]++;
}

/* model_evaluate splits a large batch into chunks of max_batch; hooks
 * must still see each example under its own index (a capture indexed by
 * e0 would otherwise overwrite its first rows). */
static void test_evaluate_passes_offsets_to_hooks(void)
{
	struct mlp_config c = { T, V, H, 1, C, ACT_RELU, 1, {0} };
	struct traj_error err;
	struct model *m = mlp_new(&c, 2, &err);
	CHECK(m != NULL);
	if (!m)
		return;
	model_init(m, 1);
	struct coverage cov = { {0} };
	model_set_hook(m, cover, &cov);
	struct batch b = { N, tokens, NULL, labels };
	eval_model(m, &b);
	for (int e = 0; e < N; e++)
		CHECK(cov.hits[e] == 1);
	CHECK(m->hook_base == 0);
	model_free(m);
}

int main(void)
{
	RUN(test_mlp_hook_post);
	RUN(test_evaluate_passes_offsets_to_hooks);
	return harness_done();
}
