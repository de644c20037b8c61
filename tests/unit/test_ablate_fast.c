/* ablator_reuse (ablate_fast.c): passes restarted from the clean
 * activations give the loss and accuracy of full passes, for heads,
 * neurons, layers and mixtures, by zero, mean and resample ablation, in
 * 1- and 2-block transformers with one or two labelled positions; models
 * it cannot shortcut (LayerNorm) are left to the full pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/ablate.h"
#include "harness.h"
#include "eval_check.h"
#include "interp/ablate_fast.h"
#include "model/transformer.h"

enum { P = 7, N = 20, D = 8, H = 2, E = 4, M = 6 };

static int32_t tokens[N * 3], labels[N * 2];

static void make_data(void)
{
	for (int e = 0; e < N; e++) {
		int a = e % P, b = (e * 3 + 1) % P;
		tokens[3 * e] = a;
		tokens[3 * e + 1] = b;
		tokens[3 * e + 2] = P;
		labels[2 * e] = (a + b) % P;
		labels[2 * e + 1] = (a * b) % P;
	}
}

static struct model *tiny(int layers, int outputs, enum activation act,
			  int layernorm)
{
	struct transformer_config c = {
		.n_layers = layers, .d_model = D, .n_heads = H, .d_head = E,
		.d_mlp = M, .d_vocab = P + 1, .d_vocab_out = P, .n_ctx = 3,
		.n_outputs = outputs, .act = act, .layernorm = layernorm,
	};
	struct traj_error err;
	struct model *m = transformer_new(&c, 4, &err);
	if (m)
		model_init(m, 5 + (uint64_t)layers);
	return m;
}

/* The same ablations with and without reuse; returns how many passes
 * took the shortcut. */
static int compare(struct model *m, enum ablate_method method)
{
	struct component *c;
	struct traj_error err;
	int n = ablate_components_list(m, &c, &err);
	CHECK(n > 0);
	struct batch b = { .n = N, .tokens = tokens, .labels = labels };
	struct ablator full, fast;
	CHECK(ablator_init(&full, m, &b, c, n, method, NULL, 3, &err) == 0);
	CHECK(ablator_init(&fast, m, &b, c, n, method, NULL, 3, &err) == 0);
	CHECK(ablator_reuse(&fast, &err) == 0);
	struct eval_result r0 = eval_baseline(&full);
	struct eval_result r1 = eval_baseline(&fast);
	CHECK(r0.loss == r1.loss && r0.acc == r1.acc);
	int last, shortcuts = 0, changed = 0;
	char name[64];
	snprintf(name, sizeof name, "blocks.%d.attn.head1",
		 model_find_hook(m, "blocks.1.attn.hook_z") >= 0 ? 1 : 0);
	last = ablate_component_find(c, n, name);
	int sets[][4] = {
		{ ablate_component_find(c, n, "blocks.0.mlp.n2"), -1 },
		{ ablate_component_find(c, n, "blocks.0.attn.head0"), -1 },
		{ last, ablate_component_find(c, n, "blocks.0.mlp.n4"), ablate_component_find(c, n, "blocks.0.mlp.n1"), -1 },
		{ ablate_component_find(c, n, "blocks.0.mlp"), ablate_component_find(c, n, "blocks.0.attn"), -1 },
		{ last, -1 },
	};
	for (size_t s = 0; s < sizeof sets / sizeof *sets; s++) {
		int k = 0;
		while (k < 4 && sets[s][k] >= 0)
			k++;
		CHECK(k > 0);
		shortcuts += ablator_reuse_applies(&fast, sets[s], k);
		struct eval_result a = eval_ablated(&full, sets[s], k);
		struct eval_result f = eval_ablated(&fast, sets[s], k);
		CHECK(fabs(a.loss - f.loss) <= 1e-5 * (1.0 + fabs(a.loss)));
		CHECK(a.acc == f.acc && a.n == f.n);
		changed += a.loss != r0.loss;
	}
	CHECK(changed >= 3); /* the comparisons are not vacuous */
	CHECK(full.forward_passes == fast.forward_passes);
	ablator_free(&full);
	ablator_free(&fast);
	free(c);
	return shortcuts;
}

static void test_one_block(void)
{
	struct model *m = tiny(1, 1, ACT_RELU, 0);
	for (int meth = ABL_ZERO; meth <= ABL_RESAMPLE; meth++)
		CHECK(compare(m, (enum ablate_method)meth) == 5);
	model_free(m);
	m = tiny(1, 2, ACT_GELU, 0);
	CHECK(compare(m, ABL_MEAN) == 5);
	model_free(m);
}

static void test_two_blocks(void)
{
	/* block 0's components take the full pass, block 1's the shortcut */
	struct model *m = tiny(2, 2, ACT_RELU, 0);
	CHECK(compare(m, ABL_MEAN) == 1);
	CHECK(compare(m, ABL_RESAMPLE) == 1);
	model_free(m);
}

static void test_layernorm_not_shortcut(void)
{
	struct model *m = tiny(1, 1, ACT_RELU, 1);
	CHECK(compare(m, ABL_MEAN) == 0);
	model_free(m);
}

int main(void)
{
	make_data();
	RUN(test_one_block);
	RUN(test_two_blocks);
	RUN(test_layernorm_not_shortcut);
	return harness_done();
}
