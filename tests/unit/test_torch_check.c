/* Cross-check against PyTorch: traj writes a transformer's weights and a
 * batch (raw float32 / int32 files and a JSON description) and
 * bench/torch_transformer.py --check computes the loss of the same model
 * from TransformerLens-style definitions; the two must agree to 1e-5
 * relative. Skipped (passing, with a "# skip" note) where /usr/bin/python3
 * cannot import torch (Debian's python3-torch). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "eval_check.h"
#include "model/model.h"
#include "common/rng.h"
#include "task/task.h"
#include "model/transformer.h"

static int have_torch(void)
{
	return system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

static int write_file(const char *dir, const char *name, const void *data,
		      size_t bytes)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, bytes, f);
	return fclose(f) == 0 && w == bytes ? 0 : -1;
}

static int write_meta(const char *dir, const struct model *m,
		      const struct transformer_config *c, int n)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddItemToObject(j, "model", transformer_config_to_json(c));
	cJSON_AddNumberToObject(j, "nparams", (double)m->nparams);
	cJSON_AddNumberToObject(j, "n", n);
	cJSON *views = cJSON_AddArrayToObject(j, "views");
	for (int i = 0; i < m->nviews; i++) {
		const struct param_view *v = &m->views[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", v->name);
		cJSON_AddNumberToObject(o, "offset", (double)v->offset);
		cJSON *shape = cJSON_AddArrayToObject(o, "shape");
		for (int k = 0; k < v->rank; k++)
			cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)v->shape[k]));
		cJSON_AddItemToArray(views, o);
	}
	char *text = cJSON_PrintUnformatted(j);
	int rc = write_file(dir, "model.json", text, strlen(text));
	free(text);
	cJSON_Delete(j);
	return rc;
}

/* Runs the reference on dir; returns its loss, NAN on failure. */
static double torch_loss(const char *dir)
{
	char cmd[1024];
	const char *root = getenv("TRAJ_ROOT");
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench/torch_transformer.py "
		 "--check %s --blas-threads 1", root ? root : ".", dir);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NAN;
	char line[256];
	double loss = NAN;
	while (fgets(line, sizeof line, p))
		if (strncmp(line, "torch_loss\t", 11) == 0)
			loss = atof(line + 11);
	if (pclose(p) != 0)
		return NAN;
	return loss;
}

static void check_config(const struct transformer_config *c, int n,
			 const int32_t *tokens, const int32_t *labels)
{
	struct traj_error err;
	struct model *m = transformer_new(c, n, &err);
	CHECK(m != NULL);
	if (!m)
		return;
	model_init(m, 5);
	struct rng r;
	rng_seed(&r, 77);
	for (size_t i = 0; i < m->nparams; i++) /* biases off zero, LN off one */
		m->params[i] += 0.2f * (rng_uniform(&r) - 0.5f);
	struct batch b = { n, tokens, NULL, labels };
	double ours = loss_model(m, &b, 0);
	char dir[] = "/tmp/traj-torch-check-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	CHECK(write_meta(dir, m, c, n) == 0);
	CHECK(write_file(dir, "params.f32", m->params, m->nparams * sizeof(float)) == 0);
	CHECK(write_file(dir, "tokens.i32", tokens, (size_t)n * c->n_ctx * 4) == 0);
	CHECK(write_file(dir, "labels.i32", labels, (size_t)n * c->n_outputs * 4) == 0);
	double theirs = torch_loss(dir);
	printf("# L%d D%d LN%d attn_only%d K%d: traj %.9g torch %.9g rel %.3g\n",
	       c->n_layers, c->d_model, c->layernorm, c->attn_only,
	       c->n_outputs, ours, theirs, fabs(ours - theirs) / theirs);
	CHECK(fabs(ours - theirs) <= 1e-5 * fabs(theirs));
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	model_free(m);
}

/* Nanda et al.'s model, scaled down, on "a b =" mod 23. */
static void test_modadd_sequence(void)
{
	struct task_config tc;
	memset(&tc, 0, sizeof tc);
	task_from_name("modadd", &tc);
	tc.p = 23;
	tc.frac = 0.3;
	tc.seed = 1;
	tc.eq_token = 1;
	struct dataset ds;
	CHECK(task_dataset_build(&tc, &ds, NULL) == 0);
	struct transformer_config c = {
		.n_layers = 1, .d_model = 32, .n_heads = 4, .d_head = 8,
		.d_mlp = 64, .d_vocab = ds.vocab, .d_vocab_out = ds.n_classes,
		.n_ctx = ds.n_inputs, .n_outputs = 1, .act = ACT_RELU,
	};
	check_config(&c, (int)ds.train.n, ds.train.tokens, ds.train.labels);
	task_dataset_free(&ds);
}

/* Deeper variants on random sequences: LayerNorm and GELU, and two
 * attention-only blocks with a label at every position. */
static void test_variants(void)
{
	enum { N = 40, T = 6, V = 11 };
	int32_t tokens[N * T], labels[N * T];
	struct rng r;
	rng_seed(&r, 3);
	for (int i = 0; i < N * T; i++) {
		tokens[i] = (int32_t)rng_below(&r, V);
		labels[i] = (int32_t)rng_below(&r, V);
	}
	struct transformer_config c = {
		.n_layers = 2, .d_model = 16, .n_heads = 2, .d_head = 5,
		.d_mlp = 24, .d_vocab = V, .d_vocab_out = V, .n_ctx = T,
		.n_outputs = 3, .act = ACT_GELU, .layernorm = 1,
	};
	check_config(&c, N, tokens, labels);
	c.attn_only = 1;
	c.layernorm = 0;
	c.n_outputs = T;
	check_config(&c, N, tokens, labels);
}

int main(void)
{
	if (!have_torch()) {
		printf("# skip: /usr/bin/python3 cannot import torch "
		       "(apt-get install python3-torch)\n");
		printf("ok 1 - torch cross-check # SKIP\n1..1\n");
		return 0;
	}
	RUN(test_modadd_sequence);
	RUN(test_variants);
	return harness_done();
}
