/* Neurons grouped by the frequency of their logit direction
 * (neuron_freq.h): hand-built weights whose directions are known
 * mixtures of two frequencies; the groups and their members; the models
 * it refuses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "interp/logit_freq.h"
#include "interp/neuron_freq.h"
#include "model/transformer.h"

enum { P = 11, D = 10, M = 6 };

static struct model *tiny(int classes, int attn_only)
{
	struct transformer_config c = {
		.n_layers = 1, .d_model = D, .n_heads = 2, .d_head = 4,
		.d_mlp = M, .d_vocab = classes + 1, .d_vocab_out = classes,
		.n_ctx = 3, .n_outputs = 1, .act = ACT_RELU,
		.attn_only = attn_only,
	};
	struct traj_error err;
	struct model *m = transformer_new(&c, 4, &err);
	CHECK(m != NULL);
	return m;
}

static float *param(struct model *m, const char *name)
{
	int v = model_find_view(m, name);
	CHECK(v >= 0);
	return m->params + m->views[v].offset;
}

/* W_U's rows are cos_k, sin_k for k = 1..5; neuron j writes a main
 * frequency main[j] with weight 2 and a second one with weight 1. */
static const int main_k[M] = { 3, 1, 3, 5, 2, 3 };
static const int other_k[M] = { 1, 4, 2, 1, 5, 4 };

static void set_weights(struct model *m)
{
	float *W_U = param(m, "unembed.W_U"), *W_out = param(m, "blocks.0.mlp.W_out");
	memset(W_U, 0, (size_t)D * P * sizeof *W_U);
	memset(W_out, 0, (size_t)M * D * sizeof *W_out);
	for (int k = 1; k <= 5; k++) {
		double co[P], si[P];
		logit_freq_basis(P, k, co, si);
		for (int c = 0; c < P; c++) {
			W_U[(2 * (k - 1)) * P + c] = (float)co[c];
			W_U[(2 * (k - 1) + 1) * P + c] = (float)si[c];
		}
	}
	for (int j = 0; j < M; j++) {
		W_out[j * D + 2 * (main_k[j] - 1) + j % 2] = 2.0f;
		W_out[j * D + 2 * (other_k[j] - 1)] = 1.0f;
	}
}

static void test_assign(void)
{
	struct model *m = tiny(P, 0);
	set_weights(m);
	struct neuron_freq nf;
	struct traj_error err;
	CHECK(neuron_freq_assign(m, &nf, &err) == 0);
	CHECK(nf.layer == 0 && nf.nneurons == M && nf.p == P);
	for (int j = 0; j < M; j++) {
		CHECK(nf.freq[j] == main_k[j]);
		CHECK_NEAR(nf.share[j], 4.0 / 5.0, 1e-6); /* 2^2 / (2^2 + 1) */
	}
	/* groups: frequencies 1, 2, 3, 5 have main neurons, 4 has none */
	struct component *comps, *groups;
	int *start, *members;
	int nc = ablate_components_list(m, &comps, &err);
	int ng = neuron_freq_groups(&nf, comps, nc, NULL, 0, &groups, &start,
				    &members, &err);
	CHECK(ng == 4);
	CHECK(strcmp(groups[2].name, "blocks.0.mlp.freq3") == 0);
	CHECK(groups[2].kind == COMP_GROUP && groups[2].index == 3);
	CHECK(start[2] == 2 && start[3] == 5 && start[4] == M);
	const char *want[3] = { "blocks.0.mlp.n0", "blocks.0.mlp.n2",
				"blocks.0.mlp.n5" };
	for (int i = 0; i < 3; i++)
		CHECK(strcmp(comps[members[start[2] + i]].name, want[i]) == 0);
	free(groups);
	free(start);
	free(members);
	char *globs[1] = { "*freq[15]" };
	ng = neuron_freq_groups(&nf, comps, nc, globs, 1, &groups, &start,
				&members, &err);
	CHECK(ng == 2 && groups[1].index == 5 && start[2] == 2);
	free(groups);
	free(start);
	free(members);
	free(comps);
	neuron_freq_free(&nf);
	model_free(m);
}

static void test_refused(void)
{
	struct neuron_freq nf;
	struct traj_error err;
	struct model *m = tiny(P, 1);
	CHECK(neuron_freq_assign(m, &nf, &err) < 0 && err.status == TRAJ_EUSAGE);
	model_free(m);
	m = tiny(10, 0);
	CHECK(neuron_freq_assign(m, &nf, &err) < 0 && err.status == TRAJ_EUSAGE);
	CHECK(strstr(err.msg, "odd") != NULL);
	model_free(m);
}

int main(void)
{
	RUN(test_assign);
	RUN(test_refused);
	return harness_done();
}
