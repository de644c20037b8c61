/* The ablation engine: component lists, zero ablation against the same
 * model with the component's output weights zeroed (an independent
 * computation), attribution scores against central differences along
 * the path from the clean activation to its replacement, corruptions,
 * component weights, and the circuit search's contract. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/ablate.h"
#include "interp/attrib.h"
#include "interp/circuit.h"
#include "harness.h"
#include "eval_check.h"
#include "model/mlp.h"
#include "interp/patch.h"
#include "model/transformer.h"

enum { P = 7, N = 20, D = 8, H = 2, E = 4, M = 6 };

static int32_t tokens[N * 3], labels[N];

static void make_data(void)
{
	for (int e = 0; e < N; e++) {
		int a = e % P, b = (e * 3 + 1) % P;
		tokens[3 * e] = a;
		tokens[3 * e + 1] = b;
		tokens[3 * e + 2] = P;
		labels[e] = (a + b) % P;
	}
}

static struct model *tiny_transformer(void)
{
	struct transformer_config c = {
		.n_layers = 1, .d_model = D, .n_heads = H, .d_head = E,
		.d_mlp = M, .d_vocab = P + 1, .d_vocab_out = P, .n_ctx = 3,
		.n_outputs = 1, .act = ACT_GELU,
	};
	struct traj_error err;
	struct model *m = transformer_new(&c, 4, &err);
	if (m)
		model_init(m, 11);
	return m;
}

static void test_components(void)
{
	struct model *m = tiny_transformer();
	struct component *c;
	struct traj_error err;
	int n = ablate_components_list(m, &c, &err);
	CHECK(n == 1 + H + 1 + M);
	CHECK(strcmp(c[0].name, "blocks.0.attn") == 0 && c[0].kind == COMP_LAYER);
	CHECK(strcmp(c[2].name, "blocks.0.attn.head1") == 0);
	CHECK(c[2].lo == E && c[2].len == E && c[2].rows == 3 && c[2].width == H * E);
	int j = ablate_component_find(c, n, "blocks.0.mlp.n5");
	CHECK(j >= 0 && c[j].lo == 5 && c[j].len == 1 && c[j].width == M);
	char buf[256];
	ablate_components_describe(c, n, buf, sizeof buf);
	CHECK(strcmp(buf, "blocks.0.attn, blocks.0.attn.head0..1, blocks.0.mlp, "
		      "blocks.0.mlp.n0..5") == 0);
	struct component dir;
	CHECK(ablate_component_direction(m, "blocks.0.hook_resid_post", D, &dir, &err) == 0);
	CHECK(dir.rows == 3 && dir.width == D);
	CHECK(ablate_component_direction(m, "blocks.0.nope", D, &dir, &err) < 0 &&
	      err.status == TRAJ_EUSAGE && strstr(err.msg, "hook_resid_post"));
	free(c);
	model_free(m);
	struct mlp_config mc = { 2, P, 5, 2, P, ACT_RELU, 1, {0} };
	m = mlp_new(&mc, 8, &err);
	n = ablate_components_list(m, &c, &err);
	CHECK(n == 2 * 6 && strcmp(c[6].name, "layers.1") == 0 &&
	      strcmp(c[11].name, "layers.1.n4") == 0);
	free(c);
	model_free(m);
}

/* Loss of m with the floats of one view slice zeroed. */
static double loss_zeroed(struct model *m, const char *view, size_t off,
			  size_t count, size_t stride, size_t len)
{
	float *save = malloc(m->nparams * sizeof *save);
	memcpy(save, m->params, m->nparams * sizeof *save);
	float *w = m->params + m->views[model_find_view(m, view)].offset;
	for (size_t r = 0; r < count; r++)
		memset(w + off + r * stride, 0, len * sizeof *w);
	struct batch b = { N, tokens, NULL, labels };
	double l = eval_model(m, &b).loss;
	memcpy(m->params, save, m->nparams * sizeof *save);
	free(save);
	return l;
}

static void test_zero_equals_weights(void)
{
	struct model *m = tiny_transformer();
	struct component *c;
	struct traj_error err;
	int n = ablate_components_list(m, &c, &err);
	struct batch b = { N, tokens, NULL, labels };
	struct ablator a;
	CHECK(ablator_init(&a, m, &b, c, n, ABL_ZERO, NULL, 1, &err) == 0);
	struct eval_result base = eval_baseline(&a);
	CHECK_NEAR(base.loss, eval_model(m, &b).loss, 1e-6);
	int h1 = ablate_component_find(c, n, "blocks.0.attn.head1");
	int n4 = ablate_component_find(c, n, "blocks.0.mlp.n4");
	int attn = ablate_component_find(c, n, "blocks.0.attn"), mlp = ablate_component_find(c, n, "blocks.0.mlp");
	CHECK_NEAR(eval_ablated(&a, &h1, 1).loss,
		   loss_zeroed(m, "blocks.0.attn.W_O", E * D, 1, 0, E * D), 1e-5);
	CHECK_NEAR(eval_ablated(&a, &n4, 1).loss,
		   loss_zeroed(m, "blocks.0.mlp.W_out", 4 * D, 1, 0, D), 1e-5);
	CHECK_NEAR(eval_ablated(&a, &attn, 1).loss,
		   loss_zeroed(m, "blocks.0.attn.W_O", 0, 1, 0, H * E * D), 1e-5);
	CHECK_NEAR(eval_ablated(&a, &mlp, 1).loss,
		   loss_zeroed(m, "blocks.0.mlp.W_out", 0, 1, 0, M * D), 1e-5);
	int both[2] = { h1, n4 };
	double joint = eval_ablated(&a, both, 2).loss;
	CHECK(joint != eval_ablated(&a, &h1, 1).loss);
	CHECK(a.forward_passes == 7 && a.backward_passes == 0);
	ablator_free(&a);
	free(c);
	model_free(m);
}

/* Loss with every component of `c` moved a fraction t of the way to its
 * replacement: x + t (r - x), through a forward hook. */
struct path { struct ablator *a; const struct component *c; float t; };

static void path_hook(void *ctx, int hook, int64_t e0, int n, float *act)
{
	struct path *p = ctx;
	const struct component *c = p->c;
	if (hook != c->hook)
		return;
	size_t numel = p->a->m->hooks[hook].numel;
	for (int e = 0; e < n; e++) {
		const float *s = ablator_source(p->a, hook, e0 + e);
		float *x = act + (size_t)e * numel;
		for (int r = 0; r < c->rows; r++)
			for (int k = c->lo; k < c->lo + c->len; k++) {
				size_t o = (size_t)r * c->width + k;
				x[o] += p->t * ((s ? s[o] : 0.0f) - x[o]);
			}
	}
}

static double path_loss(struct path *p, float t)
{
	p->t = t;
	model_set_hook(p->a->m, path_hook, p);
	double l = loss_model(p->a->m, &p->a->data, 0);
	model_set_hook(p->a->m, NULL, NULL);
	return l;
}

static void test_attribution(void)
{
	struct model *m = tiny_transformer();
	struct component *c;
	struct traj_error err;
	int n = ablate_components_list(m, &c, &err);
	struct batch b = { N, tokens, NULL, labels };
	for (int method = ABL_ZERO; method <= ABL_RESAMPLE; method++) {
		struct ablator a;
		CHECK(ablator_init(&a, m, &b, c, n, (enum ablate_method)method,
				   NULL, 3, &err) == 0);
		eval_baseline(&a);
		double score[1 + H + 1 + M];
		CHECK(ablator_attribute(&a, score, &err) == 0);
		CHECK(a.forward_passes == 2 && a.backward_passes == 1);
		for (int i = 0; i < n; i++) {
			struct path p = { &a, &c[i], 0 };
			float h = 1e-2f;
			double c1 = (path_loss(&p, h) - path_loss(&p, -h)) / (2 * h);
			double c2 = (path_loss(&p, h / 2) - path_loss(&p, -h / 2)) / h;
			double fd = (4 * c2 - c1) / 3;
			CHECK_NEAR(score[i], fd, 2e-3 * (fabs(fd) + 1e-2));
		}
		ablator_free(&a);
	}
	free(c);
	model_free(m);
}

static void test_corrupt(void)
{
	struct task_config t = { .family = TASK_MODULAR, .op = MOD_DIV, .p = P };
	struct split s = { N, tokens, NULL, labels, NULL };
	int32_t *out;
	struct traj_error err;
	CHECK(patch_corrupt_tokens(&t, &s, 3, CORRUPT_B, 5, &out, &err) == 0);
	for (int e = 0; e < N; e++) {
		CHECK(out[3 * e] == tokens[3 * e] && out[3 * e + 2] == P);
		CHECK(out[3 * e + 1] != tokens[3 * e + 1]);
		CHECK(out[3 * e + 1] >= 1 && out[3 * e + 1] < P);
	}
	free(out);
	t.family = TASK_PARITY;
	snprintf(t.name, sizeof t.name, "parity");
	CHECK(patch_corrupt_tokens(&t, &s, 3, CORRUPT_A, 5, &out, &err) < 0 &&
	      err.status == TRAJ_EUSAGE);
}

/* A neuron's weights: its W_in column, b_in entry and W_out row. */
static void test_component_weights(void)
{
	struct model *m = tiny_transformer();
	struct component *c;
	struct traj_error err;
	int n = ablate_components_list(m, &c, &err);
	float *zero = malloc(m->nparams * sizeof *zero); /* 42s, in fact */
	for (size_t i = 0; i < m->nparams; i++)
		zero[i] = 42.0f;
	float *p = malloc(m->nparams * sizeof *p);
	memcpy(p, m->params, m->nparams * sizeof *p);
	struct weight_slice sl[COMP_MAX_SLICES];
	int k = patch_component_weights(m, &c[ablate_component_find(c, n, "blocks.0.mlp.n2")], sl, &err);
	CHECK(k == 3);
	patch_weights_copy(p, zero, sl, k);
	size_t changed = 0;
	for (size_t i = 0; i < m->nparams; i++)
		changed += p[i] == 42.0f;
	CHECK(changed == D + 1 + D);
	CHECK(patch_component_weights(m, &c[ablate_component_find(c, n, "blocks.0.attn.head0")], sl, &err) == 7);
	CHECK(patch_component_weights(m, &c[ablate_component_find(c, n, "blocks.0.attn")], sl, &err) == 8);
	/* a component the model lacks the weights of: an error naming them,
	 * not a silent swap of nothing */
	struct component ghost = c[ablate_component_find(c, n, "blocks.0.attn.head0")];
	ghost.layer = 7;
	err.msg[0] = '\0';
	CHECK(patch_component_weights(m, &ghost, sl, &err) == -1);
	CHECK(err.status == TRAJ_EDATA);
	CHECK(strcmp(err.msg, "the model has no weights 'blocks.7.attn.W_Q'") == 0);
	/* a patch source of another size than the ablator's data */
	struct ablator a;
	struct eval_result r;
	struct batch b = { N, tokens, NULL, labels }, half = b;
	half.n = b.n / 2;
	CHECK(ablator_init(&a, m, &b, c, n, ABL_PATCH, NULL, 1, &err) == 0);
	CHECK(ablator_capture_source(&a, m, &half, &r, &err) == -1);
	CHECK(err.status == TRAJ_EINTERNAL && strstr(err.msg, "patch source") != NULL);
	ablator_free(&a);
	free(zero);
	free(p);
	free(c);
	model_free(m);
}

static void test_circuit(void)
{
	struct model *m = tiny_transformer();
	struct component *c;
	struct traj_error err;
	int n = ablate_components_list(m, &c, &err);
	struct batch b = { N, tokens, NULL, labels };
	struct ablator a;
	CHECK(ablator_init(&a, m, &b, c, n, ABL_MEAN, NULL, 1, &err) == 0);
	struct eval_result base = eval_baseline(&a);
	int cand[H + M];
	double imp[H + M];
	int nc = 0;
	for (int i = 0; i < n; i++)
		if (ablate_component_atomic(&c[i])) {
			imp[nc] = nc;
			cand[nc++] = i;
		}
	unsigned char keep[1 + H + 1 + M];
	struct circuit_result r;
	CHECK(circuit_search(&a, cand, imp, nc, base.loss, 1e9, keep, &r, &err) == 0);
	CHECK(r.size == 0);
	CHECK(circuit_search(&a, cand, imp, nc, base.loss, 0.05, keep, &r, &err) == 0);
	CHECK(r.eval.loss - base.loss <= 0.05);
	int kept[H + M], nk = 0, rest[H + M], nr = 0;
	for (int i = 0; i < nc; i++) {
		if (keep[cand[i]])
			kept[nk++] = cand[i];
		else
			rest[nr++] = cand[i];
	}
	CHECK(nk == r.size);
	CHECK_NEAR(eval_ablated(&a, rest, nr).loss, r.eval.loss, 1e-6);
	/* minimal: ablating any one more kept component breaks the bound */
	for (int i = 0; i < nk; i++) {
		rest[nr] = kept[i];
		CHECK(eval_ablated(&a, rest, nr + 1).loss - base.loss > 0.05);
	}
	ablator_free(&a);
	free(c);
	model_free(m);
}

int main(void)
{
	make_data();
	RUN(test_components);
	RUN(test_zero_equals_weights);
	RUN(test_attribution);
	RUN(test_corrupt);
	RUN(test_component_weights);
	RUN(test_circuit);
	return harness_done();
}
