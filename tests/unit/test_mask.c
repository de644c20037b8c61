/* Masks (lottery tickets): loading and its errors, masked training (a
 * pruned weight, its gradient and its moments stay exactly 0 under every
 * optimiser; the kept weights move as in the dense model whose pruned
 * weights are 0), and pruning by magnitude and at random. */
#include "run_fixture.h"

#include "interp/prune.h"
#include "model/mask.h"

static struct model *tiny_mlp(void)
{
	cJSON *j = cJSON_Parse("{\"kind\":\"mlp\",\"inputs\":2,\"vocab\":0,"
			       "\"width\":3,\"depth\":1,\"classes\":2}");
	struct model *m = model_from_json(j, 4, NULL);
	cJSON_Delete(j);
	CHECK(m != NULL);
	return m;
}

static struct traj_tensor u8_tensor(const char *name, int rank,
				    const int64_t *shape, uint8_t *data)
{
	struct traj_tensor t = {0};
	snprintf(t.name, sizeof t.name, "%s", name);
	t.dtype = TRAJ_U8;
	t.rank = rank;
	memcpy(t.shape, shape, (size_t)rank * sizeof *shape);
	t.data = data;
	t.borrowed = 1;
	return t;
}

static void test_load_and_errors(void)
{
	struct model *m = tiny_mlp(); /* layers.0.W [2,3], 0.b, 1.W [3,2], 1.b */
	struct model_mask k;
	struct traj_error err;
	CHECK(mask_init(&k, m, NULL) == 0);
	uint8_t a[6] = {1, 0, 1, 1, 0, 0}, b[6] = {1, 2, 1, 1, 1, 1},
		z[6] = {0};
	int64_t s23[] = {2, 3}, s32[] = {3, 2};
	struct traj_tensor t[2] = {u8_tensor("mask/layers.0.W", 2, s23, a),
				   u8_tensor("layers.0.W", 2, s23, z)};
	CHECK(mask_load(&k, m, t, 2, &err) == 1);
	CHECK(mask_count(&k) == 1);
	CHECK(mask_kept(&k, m, 0) == 3);
	CHECK(k.masked[0] && !k.masked[1]);
	t[0] = u8_tensor("mask/layers.0.W", 2, s32, a);
	CHECK(mask_load(&k, m, t, 1, &err) == -1);
	CHECK(strstr(err.msg, "'mask/layers.0.W': shape [3,2], the parameter's is [2,3]"));
	t[0] = u8_tensor("mask/layers.0.W", 2, s23, b);
	CHECK(mask_load(&k, m, t, 1, &err) == -1 && strstr(err.msg, "element 1 is 2"));
	t[0] = u8_tensor("mask/layers.0.W", 2, s23, z);
	CHECK(mask_load(&k, m, t, 1, &err) == -1 && strstr(err.msg, "density 0"));
	CHECK(err.status == TRAJ_EDATA);
	t[0] = u8_tensor("mask/layers.7.W", 2, s23, a);
	CHECK(mask_load(&k, m, t, 1, &err) == -1 &&
	      strstr(err.msg, "no parameter 'layers.7.W'"));
	t[0] = u8_tensor("mask/layers.0.W", 2, s23, a);
	t[0].dtype = TRAJ_I8;
	CHECK(mask_load(&k, m, t, 1, &err) == -1 && strstr(err.msg, "expected u8"));
	CHECK(mask_kept(&k, m, 0) == 3); /* errors leave k alone */
	float x[26];
	CHECK(m->nparams == 6 + 3 + 6 + 2);
	for (int i = 0; i < 17; i++)
		x[i] = 1.0f + (float)i;
	mask_apply(&k, m, x);
	CHECK(x[0] == 1 && x[1] == 0 && x[2] == 3 && x[3] == 4 && x[4] == 0 &&
	      x[5] == 0 && x[6] == 7);
	mask_free(&k);
	model_free(m);
}

/* A trainer of the fixture's run, masked with every third weight of
 * every matrix pruned. */
static void masked_trainer(struct trainer *t, struct run_plan *p)
{
	CHECK(trainer_init(t, &p->rc, NULL) == 0);
	CHECK(trainer_mask_on(t, NULL) == 0);
	for (int i = 0; i < t->model->nviews; i++) {
		const struct param_view *v = &t->model->views[i];
		if (v->rank < 2)
			continue;
		t->mask.masked[i] = 1;
		for (size_t j = 0; j < v->numel; j++)
			t->mask.keep[v->offset + j] = j % 3 != 1;
	}
	trainer_mask_apply(t);
}

static void check_exact(const struct trainer *t, const char *what)
{
	const struct model *m = t->model;
	for (int i = 0; i < m->nviews; i++) {
		if (!t->mask.masked[i])
			continue;
		int64_t nz = mask_nonzero(m, m->params, i);
		if (nz != mask_kept(&t->mask, m, i))
			printf("#   %s: %s has %lld nonzero weights, its mask keeps "
			       "%lld\n", what, m->views[i].name, (long long)nz,
			       (long long)mask_kept(&t->mask, m, i));
		CHECK(nz == mask_kept(&t->mask, m, i));
	}
}

static void run_masked(const char *optim, double wd, int poison)
{
	struct run_plan p;
	run_plan_default(&p);
	p.names.optim = optim;
	p.weight_decay = wd;
	small_plan(&p, 30);
	struct trainer t;
	masked_trainer(&t, &p);
	size_t n = t.model->nparams;
	if (poison) /* moments of a dense run at the pruned weights: only the
		       mask re-applied after the optimiser's step holds them */
		for (size_t i = 0; i < n; i++) {
			t.opt.m[i] = 0.5f;
			if (t.opt.v)
				t.opt.v[i] = 0.25f;
		}
	for (int s = 0; s < 30; s++)
		CHECK(trainer_step(&t, NULL) == 0);
	check_exact(&t, optim);
	for (size_t i = 0; i < n; i++) {
		if (t.mask.keep[i])
			continue;
		CHECK(t.model->params[i] == 0.0f);
		CHECK(t.model->grads[i] == 0.0f);
		if (!poison) { /* masked gradients leave the moments at 0 */
			CHECK(t.opt.m[i] == 0.0f);
			CHECK(!t.opt.v || t.opt.v[i] == 0.0f);
		}
	}
	trainer_free(&t);
	run_config_free(&p.rc);
}

static void test_pruned_weights_stay_zero(void)
{
	run_masked("adamw", 1.0, 0);
	run_masked("adamw", 1.0, 1);
	run_masked("sgd", 0.01, 0);
	run_masked("sgd", 0.01, 1);
}

/* The kept weights of a masked SGD step are those of a dense step of the
 * model whose pruned weights are 0 (same forward pass, same gradient at
 * the kept weights); the dense step moves the pruned ones. */
static void test_kept_weights_move_as_dense(void)
{
	struct run_plan p;
	run_plan_default(&p);
	p.names.optim = "sgd";
	p.weight_decay = 0;
	p.momentum = 0;
	small_plan(&p, 1);
	struct trainer a, b;
	masked_trainer(&a, &p);
	CHECK(trainer_init(&b, &p.rc, NULL) == 0);
	size_t n = a.model->nparams;
	memcpy(b.model->params, a.model->params, n * sizeof(float));
	CHECK(trainer_step(&a, NULL) == 0);
	CHECK(trainer_step(&b, NULL) == 0);
	int moved = 0;
	for (size_t i = 0; i < n; i++) {
		if (a.mask.keep[i])
			CHECK(a.model->params[i] == b.model->params[i]);
		else
			moved += b.model->params[i] != 0.0f;
	}
	CHECK(moved > 0);
	trainer_free(&a);
	trainer_free(&b);
	run_config_free(&p.rc);
}

/* Weights of layers.0.W [2,3] and layers.1.W [3,2] chosen by hand. */
static void hand_weights(struct model *m, float *w)
{
	static const float w0[6] = {0.5f, -0.1f, 0.3f, -0.4f, 0.2f, 0.6f};
	static const float w1[6] = {0.05f, -0.9f, 0.7f, 0.05f, -0.02f, 0.8f};
	memset(w, 0, m->nparams * sizeof *w);
	memcpy(w + m->views[0].offset, w0, sizeof w0);
	memcpy(w + m->views[2].offset, w1, sizeof w1);
	for (size_t i = 0; i < m->views[1].numel; i++) /* biases: large */
		w[m->views[1].offset + i] = 9;
}

static void keep_of(const struct model_mask *k, const struct model *m, int v,
		    char *out)
{
	for (size_t j = 0; j < m->views[v].numel; j++)
		out[j] = (char)('0' + k->keep[m->views[v].offset + j]);
	out[m->views[v].numel] = 0;
}

static void test_prune_by_hand(void)
{
	struct model *m = tiny_mlp();
	float w[17];
	char s0[8], s1[8];
	hand_weights(m, w);
	struct model_mask k;
	struct traj_error err;
	/* per layer: 6 * 0.5 = 3 pruned in layers.0.W (0.1, 0.2, 0.3); the
	   output layer at 0.25: floor(1.5 + 0.5) = 2 (0.02, then the first
	   0.05) */
	struct prune_opts o = {.rate = 0.5, .output_rate = 0.25};
	CHECK(mask_init(&k, m, NULL) == 0);
	CHECK(prune_mask(&k, m, w, &o, &err) == 0);
	keep_of(&k, m, 0, s0);
	keep_of(&k, m, 2, s1);
	CHECK(!strcmp(s0, "100101"));
	CHECK(!strcmp(s1, "011101"));
	CHECK(!k.masked[1] && !k.masked[3] && k.masked[0] && k.masked[2]);
	/* the next round prunes half of the 3 remaining (2: 0.4, then 0.5) */
	CHECK(prune_mask(&k, m, w, &o, &err) == 0);
	keep_of(&k, m, 0, s0);
	CHECK(!strcmp(s0, "000001"));
	mask_free(&k);
	/* global over layers.0.W alone here (the output layer is apart) */
	o.global = 1;
	o.output_rate = 0.5; /* 3 of 6: 0.02, 0.05, 0.05 */
	CHECK(mask_init(&k, m, NULL) == 0);
	CHECK(prune_mask(&k, m, w, &o, &err) == 0);
	keep_of(&k, m, 2, s1);
	CHECK(!strcmp(s1, "011001"));
	mask_free(&k);
	/* random: the same counts, within the remaining weights */
	o.global = 0;
	o.random = 1;
	o.seed = 7;
	CHECK(mask_init(&k, m, NULL) == 0);
	CHECK(prune_mask(&k, m, w, &o, &err) == 0);
	CHECK(mask_kept(&k, m, 0) == 3 && mask_kept(&k, m, 2) == 3);
	struct model_mask k2;
	CHECK(mask_init(&k2, m, NULL) == 0);
	CHECK(prune_mask(&k2, m, w, &o, &err) == 0);
	CHECK(!memcmp(k.keep, k2.keep, m->nparams)); /* seeded */
	CHECK(prune_mask(&k2, m, w, &o, &err) == 0);
	for (size_t i = 0; i < m->nparams; i++)
		CHECK(k.keep[i] || !k2.keep[i]);
	mask_free(&k2);
	/* a rate that leaves a tensor empty */
	o.random = 0;
	o.rate = 0.95;
	CHECK(prune_mask(&k, m, w, &o, &err) == -1);
	CHECK(err.status == TRAJ_EDATA && strstr(err.msg, "'layers.0.W'"));
	mask_free(&k);
	model_free(m);
}

int main(void)
{
	RUN(test_load_and_errors);
	RUN(test_pruned_weights_stay_zero);
	RUN(test_kept_weights_move_as_dense);
	RUN(test_prune_by_hand);
	return harness_done();
}
