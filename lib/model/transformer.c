/* The transformer behind the model interface: configuration, parameter
 * layout, hook table, scratch memory, initialisation, loss and logits.
 * The passes themselves are in transformer_pass.c. */
#include "model/transformer_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/activation.h"
#include "common/linalg.h"
#include "common/rng.h"
#include "common/vecops.h"
#include "model/xent.h"

#define TF_MAX_PARAMS ((size_t)1 << 31)
#define TF_MAX_BATCH (1 << 24)

/* Summed (not mean) loss over the K labels of examples [e0, e0 + n);
 * with grad, adds scale * d loss / d params to the gradients. */
static double loss_chunk(struct model *m, const struct batch *b, int e0,
			 int n, int grad, float scale)
{
	struct transformer *t = impl(m);
	int T = t->cfg.n_ctx, K = t->cfg.n_outputs, U = t->cfg.d_vocab_out;
	t->live = !grad && m->hook_fn;
	t->full = grad && m->grad_fn;
	const int32_t *tok = b->tokens + (size_t)e0 * T;
	transformer_forward(m, tok, e0, n);
	double sum = 0.0;
	const int32_t *y = b->labels + (size_t)e0 * K;
	for (size_t r = 0; r < (size_t)n * K; r++) {
		float *z = t->logits + r * U;
		sum += grad ? xent_row_grad(z, U, y[r], scale)
			    : xent_row(z, U, y[r]);
	}
	if (grad)
		transformer_backward(m, tok, n);
	t->live = 0;
	t->full = 0;
	return sum;
}

/* Checks input ranges once per call, so the inner loops index freely. */
static int tf_loss(struct model *m, const struct batch *b, int grad,
		   float *loss, struct traj_error *err)
{
	if (model_batch_check(m, b, 1, err) < 0)
		return -1;
	if (b->n == 0)
		return traj_fail(err, TRAJ_EDATA, -1, "batch: no examples");
	float scale = 1.0f / ((float)b->n * (float)m->n_outputs);
	double sum = 0.0;
	for (int e0 = 0; e0 < b->n; e0 += m->max_batch) {
		int n = b->n - e0 < m->max_batch ? b->n - e0 : m->max_batch;
		sum += loss_chunk(m, b, e0, n, grad, scale);
	}
	*loss = (float)(sum / ((double)b->n * m->n_outputs));
	return 0;
}

static void tf_logits(struct model *m, const struct batch *b, float *out)
{
	struct transformer *t = impl(m);
	int T = t->cfg.n_ctx;
	size_t KU = (size_t)t->cfg.n_outputs * t->cfg.d_vocab_out;
	struct traj_error err;
	if (model_batch_check(m, b, 0, &err) < 0) {
		for (size_t i = 0; i < (size_t)(b->n > 0 ? b->n : 0) * KU; i++)
			out[i] = NAN;
		return;
	}
	for (int e0 = 0; e0 < b->n; e0 += m->max_batch) {
		int n = b->n - e0 < m->max_batch ? b->n - e0 : m->max_batch;
		t->live = m->hook_fn != NULL;
		transformer_forward(m, b->tokens + (size_t)e0 * T, e0, n);
		t->live = 0;
		memcpy(out + (size_t)e0 * KU, t->logits, n * KU * sizeof *out);
	}
}

/* A standard normal deviate (Box-Muller), reproducible from the rng. */
static double normal(struct rng *r)
{
	double u1 = ((double)(rng_next(r) >> 11) + 1.0) * 0x1p-53;
	double u2 = (double)(rng_next(r) >> 11) * 0x1p-53;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Nanda et al.'s initialisation: weights normal with standard deviation
 * 1/sqrt(d_model), W_U 1/sqrt(d_vocab_out); biases 0; LayerNorm w 1, b 0.
 * Views are filled in order from one generator. */
static void tf_init(struct model *m, uint64_t seed)
{
	const struct transformer_config *c = &impl(m)->cfg;
	struct rng r;
	rng_seed(&r, seed);
	for (int i = 0; i < m->nviews; i++) {
		const struct param_view *v = &m->views[i];
		float *p = m->params + v->offset;
		const char *leaf = strrchr(v->name, '.') + 1;
		if (v->rank == 1 || (v->rank == 2 && leaf[0] == 'b')) {
			float val = strcmp(leaf, "w") == 0 ? 1.0f : 0.0f;
			for (size_t k = 0; k < v->numel; k++)
				p[k] = val;
			continue;
		}
		double sd = 1.0 / sqrt(strcmp(leaf, "W_U") == 0 ?
				       c->d_vocab_out : c->d_model);
		for (size_t k = 0; k < v->numel; k++)
			p[k] = (float)(sd * normal(&r));
	}
}

static void tf_free(struct model *m)
{
	struct transformer *t = m->impl;
	if (t) {
		free(t->scratch);
		free(t->hooks);
		free(t->qrow);
	}
	free(t);
	free(m->views);
	free(m->params);
	free(m->grads);
	free(m);
}

static const struct model_ops tf_ops = {
	.loss = tf_loss, .logits = tf_logits, .free = tf_free, .init = tf_init,
};

/* Builds the view table (when m->views is set) and returns the parameter
 * count; counts views in m->nviews. */
struct layout { struct model *m; size_t off; };

static size_t add_view(struct layout *lo, const char *name, int rank,
		       int64_t d0, int64_t d1, int64_t d2)
{
	struct model *m = lo->m;
	int64_t shape[3] = { d0, d1, d2 };
	size_t numel = 1, off = lo->off;
	for (int k = 0; k < rank; k++)
		numel *= (size_t)shape[k];
	if (m->views) {
		struct param_view *v = &m->views[m->nviews];
		snprintf(v->name, sizeof v->name, "%s", name);
		v->rank = rank;
		memcpy(v->shape, shape, (size_t)rank * sizeof *shape);
		v->offset = off;
		v->numel = numel;
	}
	m->nviews++;
	lo->off += numel;
	return off;
}

static size_t add_block_view(struct layout *lo, int l, const char *leaf,
			     int rank, int64_t d0, int64_t d1, int64_t d2)
{
	char name[TRAJ_NAME_MAX];
	snprintf(name, sizeof name, "blocks.%d.%s", l, leaf);
	return add_view(lo, name, rank, d0, d1, d2);
}

static void layout_block(struct layout *lo, struct transformer *t, int l)
{
	const struct transformer_config *c = &t->cfg;
	int64_t D = c->d_model, H = c->n_heads, E = c->d_head, M = c->d_mlp;
	struct tf_layer *p = &t->lp[l];
	if (c->layernorm) {
		p->ln1_w = add_block_view(lo, l, "ln1.w", 1, D, 0, 0);
		p->ln1_b = add_block_view(lo, l, "ln1.b", 1, D, 0, 0);
	}
	p->W_Q = add_block_view(lo, l, "attn.W_Q", 3, H, D, E);
	p->W_K = add_block_view(lo, l, "attn.W_K", 3, H, D, E);
	p->W_V = add_block_view(lo, l, "attn.W_V", 3, H, D, E);
	p->W_O = add_block_view(lo, l, "attn.W_O", 3, H, E, D);
	p->b_Q = add_block_view(lo, l, "attn.b_Q", 2, H, E, 0);
	p->b_K = add_block_view(lo, l, "attn.b_K", 2, H, E, 0);
	p->b_V = add_block_view(lo, l, "attn.b_V", 2, H, E, 0);
	p->b_O = add_block_view(lo, l, "attn.b_O", 1, D, 0, 0);
	if (!has_mlp(c))
		return;
	if (c->layernorm) {
		p->ln2_w = add_block_view(lo, l, "ln2.w", 1, D, 0, 0);
		p->ln2_b = add_block_view(lo, l, "ln2.b", 1, D, 0, 0);
	}
	p->W_in = add_block_view(lo, l, "mlp.W_in", 2, D, M, 0);
	p->b_in = add_block_view(lo, l, "mlp.b_in", 1, M, 0, 0);
	p->W_out = add_block_view(lo, l, "mlp.W_out", 2, M, D, 0);
	p->b_out = add_block_view(lo, l, "mlp.b_out", 1, D, 0, 0);
}

static size_t layout(struct model *m, struct transformer *t)
{
	const struct transformer_config *c = &t->cfg;
	struct layout lo = { m, 0 };
	m->nviews = 0;
	t->W_E = add_view(&lo, "embed.W_E", 2, c->d_vocab, c->d_model, 0);
	t->W_pos = add_view(&lo, "pos_embed.W_pos", 2, c->n_ctx, c->d_model, 0);
	for (int l = 0; l < c->n_layers; l++)
		layout_block(&lo, t, l);
	if (c->layernorm) {
		t->lnf_w = add_view(&lo, "ln_final.w", 1, c->d_model, 0, 0);
		t->lnf_b = add_view(&lo, "ln_final.b", 1, c->d_model, 0, 0);
	}
	t->W_U = add_view(&lo, "unembed.W_U", 2, c->d_model, c->d_vocab_out, 0);
	t->b_U = add_view(&lo, "unembed.b_U", 1, c->d_vocab_out, 0, 0);
	return lo.off;
}

/* Hook table, in forward order; a NULL table only counts. */
static int add_hook(struct transformer *t, int *n, const char *name,
		    int rank, int64_t d0, int64_t d1, int64_t d2)
{
	if (t->hooks) {
		struct hook_point *h = &t->hooks[*n];
		int64_t shape[3] = { d0, d1, d2 };
		snprintf(h->name, sizeof h->name, "%s", name);
		h->rank = rank;
		h->numel = 1;
		for (int k = 0; k < rank; k++) {
			h->shape[k] = shape[k];
			h->numel *= (size_t)shape[k];
		}
	}
	return (*n)++;
}

static int add_block_hook(struct transformer *t, int *n, int l,
			  const char *leaf, int rank, int64_t d0, int64_t d1,
			  int64_t d2)
{
	char name[HOOK_NAME_MAX];
	snprintf(name, sizeof name, "blocks.%d.%s", l, leaf);
	return add_hook(t, n, name, rank, d0, d1, d2);
}

static void block_hooks(struct transformer *t, int *n, int l)
{
	const struct transformer_config *c = &t->cfg;
	int64_t T = c->n_ctx, D = c->d_model, H = c->n_heads, E = c->d_head;
	int *hk = t->hook[l];
	for (int i = 0; i < NHK; i++)
		hk[i] = -1;
	hk[HK_RESID_PRE] = add_block_hook(t, n, l, "hook_resid_pre", 2, T, D, 0);
	if (c->layernorm)
		hk[HK_LN1] = add_block_hook(t, n, l, "ln1.hook_normalized", 2, T, D, 0);
	hk[HK_Q] = add_block_hook(t, n, l, "attn.hook_q", 3, T, H, E);
	hk[HK_K] = add_block_hook(t, n, l, "attn.hook_k", 3, T, H, E);
	hk[HK_V] = add_block_hook(t, n, l, "attn.hook_v", 3, T, H, E);
	hk[HK_SCORES] = add_block_hook(t, n, l, "attn.hook_attn_scores", 3, H, T, T);
	hk[HK_PATTERN] = add_block_hook(t, n, l, "attn.hook_pattern", 3, H, T, T);
	hk[HK_Z] = add_block_hook(t, n, l, "attn.hook_z", 3, T, H, E);
	if (has_mlp(c)) {
		hk[HK_RESID_MID] = add_block_hook(t, n, l, "hook_resid_mid", 2, T, D, 0);
		if (c->layernorm)
			hk[HK_LN2] = add_block_hook(t, n, l, "ln2.hook_normalized", 2, T, D, 0);
		hk[HK_MLP_PRE] = add_block_hook(t, n, l, "mlp.hook_pre", 2, T, c->d_mlp, 0);
		hk[HK_MLP_POST] = add_block_hook(t, n, l, "mlp.hook_post", 2, T, c->d_mlp, 0);
	}
	hk[HK_RESID_POST] = add_block_hook(t, n, l, "hook_resid_post", 2, T, D, 0);
	/* the activations whose gradients the backward pass computes */
	static const int with_grad[] = { HK_RESID_PRE, HK_Z, HK_RESID_MID,
					 HK_MLP_POST, HK_RESID_POST };
	for (size_t i = 0; t->hooks && i < sizeof with_grad / sizeof *with_grad; i++)
		if (hk[with_grad[i]] >= 0)
			t->hooks[hk[with_grad[i]]].has_grad = 1;
}

static int build_hooks(struct transformer *t)
{
	const struct transformer_config *c = &t->cfg;
	int n = 0;
	t->hook_embed = add_hook(t, &n, "hook_embed", 2, c->n_ctx, c->d_model, 0);
	t->hook_pos_embed = add_hook(t, &n, "hook_pos_embed", 2, c->n_ctx, c->d_model, 0);
	for (int l = 0; l < c->n_layers; l++)
		block_hooks(t, &n, l);
	t->hook_lnf = -1;
	if (c->layernorm)
		t->hook_lnf = add_hook(t, &n, "ln_final.hook_normalized", 2,
				       c->n_ctx, c->d_model, 0);
	return n;
}

/* Carves the scratch buffers out of one allocation (or, with base NULL,
 * only counts floats), sized for max_batch examples at every position. */
static size_t carve(struct transformer *t, size_t B, float *base)
{
	const struct transformer_config *c = &t->cfg;
	size_t T = (size_t)c->n_ctx, D = (size_t)c->d_model, K = (size_t)c->n_outputs;
	size_t HE = (size_t)c->n_heads * c->d_head, M = (size_t)c->d_mlp;
	size_t H = (size_t)c->n_heads, U = (size_t)c->d_vocab_out;
	size_t off = 0;
#define TAKE(ptr, count) do { ptr = base ? base + off : NULL; off += (count); } while (0)
	for (int l = 0; l < c->n_layers; l++) {
		struct tf_acts *a = &t->act[l];
		if (l == 0)
			TAKE(a->resid_pre, B * T * D);
		else
			a->resid_pre = t->act[l - 1].resid_post;
		a->ln1 = a->resid_pre;
		if (c->layernorm) {
			TAKE(a->ln1, B * T * D);
			TAKE(a->ln1_stats, B * T * 2);
		}
		TAKE(a->q, B * T * HE);
		TAKE(a->k, B * T * HE);
		TAKE(a->v, B * T * HE);
		TAKE(a->pattern, B * H * T * T);
		TAKE(a->z, B * T * HE);
		TAKE(a->resid_mid, B * T * D);
		a->resid_post = a->ln2 = a->resid_mid;
		if (!has_mlp(c))
			continue;
		if (c->layernorm) {
			TAKE(a->ln2, B * T * D);
			TAKE(a->ln2_stats, B * T * 2);
		}
		TAKE(a->pre, B * T * M);
		a->post = a->pre;
		if (c->act != ACT_RELU)
			TAKE(a->post, B * T * M);
		TAKE(a->resid_post, B * T * D);
	}
	TAKE(t->packed, (size_t)c->n_layers * 3 * D * HE);
	TAKE(t->dpacked, D * HE);
	TAKE(t->xa, B * K * D);
	TAKE(t->dxa, B * K * D);
	if (c->layernorm) {
		TAKE(t->lnf, B * T * D);
		TAKE(t->lnf_stats, B * T * 2);
	}
	TAKE(t->urows, B * K * D);
	TAKE(t->logits, B * K * U);
	TAKE(t->dA, B * T * D);
	TAKE(t->dB, B * T * D);
	TAKE(t->dtmp, B * T * D);
	TAKE(t->dmlp, has_mlp(c) ? B * T * M : 0);
	TAKE(t->dq, B * T * HE);
	TAKE(t->dk, B * T * HE);
	TAKE(t->dv, B * T * HE);
	TAKE(t->dz, B * T * HE);
	struct tf_table *tb = &t->tab;
	size_t R = T * (size_t)c->d_vocab;
	tb->rows = R <= TF_TABLE_MAX_ROWS ? R : 0;
	R = tb->rows;
	TAKE(tb->x, R * D);
	tb->ln = tb->x;
	if (c->layernorm) {
		TAKE(tb->ln, R * D);
		TAKE(tb->stats, R * 2);
	}
	TAKE(tb->dq, R * HE); /* dq, dk, dv adjacent: one memset */
	TAKE(tb->dk, R * HE);
	TAKE(tb->dv, R * HE);
	TAKE(tb->q, R * HE);
	TAKE(tb->k, R * HE);
	TAKE(tb->v, R * HE);
	TAKE(tb->dx, R * D);
#undef TAKE
	return off;
}

static int check_config(const struct transformer_config *c, int max_batch,
			struct traj_error *err)
{
	const char *bad = NULL;
	if (c->n_layers < 1 || c->n_layers > TF_MAX_LAYERS)
		bad = "n_layers";
	else if (c->d_model < 1 || c->d_model > TF_MAX_DIM)
		bad = "d_model";
	else if (c->n_heads < 1 || c->n_heads > TF_MAX_DIM)
		bad = "n_heads";
	else if (c->d_head < 1 || c->d_head > TF_MAX_DIM ||
		 (size_t)c->n_heads * c->d_head > TF_MAX_DIM)
		bad = "d_head";
	else if (!c->attn_only && (c->d_mlp < 1 || c->d_mlp > TF_MAX_DIM))
		bad = "d_mlp";
	else if (c->d_vocab < 1 || c->d_vocab > TF_MAX_DIM)
		bad = "d_vocab";
	else if (c->d_vocab_out < 2 || c->d_vocab_out > TF_MAX_DIM)
		bad = "d_vocab_out";
	else if (c->n_ctx < 1 || c->n_ctx > TF_MAX_CTX)
		bad = "n_ctx";
	else if (c->n_outputs < 1 || c->n_outputs > c->n_ctx)
		bad = "n_outputs";
	else if (c->act != ACT_RELU && c->act != ACT_GELU)
		bad = "act_fn";
	if (bad)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "model.%s: value out of range", bad);
	if (max_batch < 1 || max_batch > TF_MAX_BATCH)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "model: batch size %d not in 1..%d",
				 max_batch, TF_MAX_BATCH);
	return 0;
}

/* Allocates everything after the config is checked; -1 when out of
 * memory, the parameter limit having been checked by the caller. */
static int alloc_model(struct model *m, struct transformer *t)
{
	m->views = calloc((size_t)m->nviews, sizeof *m->views);
	m->params = calloc(m->nparams, sizeof(float));
	m->grads = calloc(m->nparams, sizeof(float));
	int nh = build_hooks(t);
	t->hooks = calloc((size_t)nh, sizeof *t->hooks);
	size_t nscratch = carve(t, (size_t)m->max_batch, NULL);
	t->scratch = malloc(nscratch * sizeof(float));
	size_t nrow = (size_t)m->max_batch * t->cfg.n_ctx;
	t->qrow = malloc(2 * nrow * sizeof *t->qrow);
	t->kvrow = t->qrow ? t->qrow + nrow : NULL;
	if (!m->views || !m->params || !m->grads || !t->hooks || !t->scratch ||
	    !t->qrow)
		return -1;
	carve(t, (size_t)m->max_batch, t->scratch);
	layout(m, t);
	m->nhooks = build_hooks(t);
	m->hooks = t->hooks;
	return 0;
}

struct model *transformer_new(const struct transformer_config *cfg,
			      int max_batch, struct traj_error *err)
{
	if (check_config(cfg, max_batch, err) < 0)
		return NULL;
	linalg_init();
	struct model *m = calloc(1, sizeof *m);
	struct transformer *t = calloc(1, sizeof *t);
	if (!m || !t) {
		free(m);
		free(t);
		traj_fail(err, TRAJ_ENOMEM, -1, "model: out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	t->table_mode = -1;
	if (cfg->attn_only)
		t->cfg.d_mlp = 0;
	*m = (struct model){
		.ops = &tf_ops, .kind = "transformer", .n_inputs = cfg->n_ctx,
		.vocab = cfg->d_vocab, .n_classes = cfg->d_vocab_out,
		.n_outputs = cfg->n_outputs, .max_batch = max_batch, .impl = t,
	};
	m->nparams = layout(m, t);
	if (m->nparams > TF_MAX_PARAMS) {
		traj_fail(err, TRAJ_EDATA, -1,
			  "model: %zu parameters, more than the limit %zu",
			  m->nparams, TF_MAX_PARAMS);
		tf_free(m);
		return NULL;
	}
	if (alloc_model(m, t) < 0) {
		tf_free(m);
		traj_fail(err, TRAJ_ENOMEM, -1, "model: out of memory");
		return NULL;
	}
	return m;
}

int transformer_config_from_json(const cJSON *json,
				 struct transformer_config *cfg,
				 struct traj_error *err)
{
	memset(cfg, 0, sizeof *cfg);
	const cJSON *attn_only = cJSON_GetObjectItemCaseSensitive(json, "attn_only");
	if (attn_only && !cJSON_IsBool(attn_only))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "model.attn_only: expected true or false");
	cfg->attn_only = cJSON_IsTrue(attn_only);
	if (model_json_int(json, "n_layers", 1, TF_MAX_LAYERS, 0, &cfg->n_layers, err) < 0 ||
	    model_json_int(json, "d_model", 1, TF_MAX_DIM, 0, &cfg->d_model, err) < 0 ||
	    model_json_int(json, "n_heads", 1, TF_MAX_DIM, 0, &cfg->n_heads, err) < 0 ||
	    model_json_int(json, "d_head", 1, TF_MAX_DIM, 0, &cfg->d_head, err) < 0 ||
	    model_json_int(json, "d_mlp", cfg->attn_only ? 0 : 1, TF_MAX_DIM,
			   cfg->attn_only ? 0 : -1, &cfg->d_mlp, err) < 0 ||
	    model_json_int(json, "d_vocab", 1, TF_MAX_DIM, 0, &cfg->d_vocab, err) < 0 ||
	    model_json_int(json, "d_vocab_out", 2, TF_MAX_DIM, 0, &cfg->d_vocab_out, err) < 0 ||
	    model_json_int(json, "n_ctx", 1, TF_MAX_CTX, 0, &cfg->n_ctx, err) < 0 ||
	    model_json_int(json, "n_outputs", 1, cfg->n_ctx, 1, &cfg->n_outputs, err) < 0)
		return -1;
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(json, "act_fn");
	cfg->act = ACT_RELU;
	if (act && (!cJSON_IsString(act) ||
		    activation_from_name(act->valuestring, &cfg->act) < 0 ||
		    cfg->act == ACT_QUAD))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "model.act_fn: expected \"relu\" or \"gelu\"");
	const cJSON *norm = cJSON_GetObjectItemCaseSensitive(json,
							     "normalization_type");
	if (norm && !cJSON_IsNull(norm) &&
	    !(cJSON_IsString(norm) && strcmp(norm->valuestring, "LN") == 0))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "model.normalization_type: expected null or \"LN\"");
	cfg->layernorm = cJSON_IsString(norm);
	return 0;
}

cJSON *transformer_config_to_json(const struct transformer_config *cfg)
{
	cJSON *j = cJSON_CreateObject();
	if (!j)
		return NULL;
	int ok = cJSON_AddStringToObject(j, "kind", "transformer") &&
		 cJSON_AddNumberToObject(j, "n_layers", cfg->n_layers) &&
		 cJSON_AddNumberToObject(j, "d_model", cfg->d_model) &&
		 cJSON_AddNumberToObject(j, "n_heads", cfg->n_heads) &&
		 cJSON_AddNumberToObject(j, "d_head", cfg->d_head) &&
		 cJSON_AddNumberToObject(j, "d_mlp", cfg->attn_only ? 0 : cfg->d_mlp) &&
		 cJSON_AddNumberToObject(j, "d_vocab", cfg->d_vocab) &&
		 cJSON_AddNumberToObject(j, "d_vocab_out", cfg->d_vocab_out) &&
		 cJSON_AddNumberToObject(j, "n_ctx", cfg->n_ctx) &&
		 cJSON_AddNumberToObject(j, "n_outputs", cfg->n_outputs) &&
		 cJSON_AddStringToObject(j, "act_fn", activation_name(cfg->act)) &&
		 (cfg->layernorm ? cJSON_AddStringToObject(j, "normalization_type", "LN")
				 : cJSON_AddNullToObject(j, "normalization_type")) &&
		 cJSON_AddBoolToObject(j, "attn_only", cfg->attn_only);
	if (!ok) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

void transformer_set_table(struct model *m, int mode)
{
	impl(m)->table_mode = mode;
}

int transformer_config_of(const struct model *m,
			  struct transformer_config *out)
{
	if (m->ops != &tf_ops)
		return -1;
	*out = impl(m)->cfg;
	return 0;
}
