/* Ablation passes that reuse the clean pass's activations (ablate_fast.h,
 * ablator_reuse). When every ablated component sits in a transformer's
 * last block (its heads' hook_z, its MLP's hook_post) and the model has no
 * LayerNorm, nothing upstream of the hook changes, and of the block only
 * the labelled positions reach the logits (z at position t only feeds the
 * residual stream at t). So a pass starts from the captured hook_z,
 * hook_resid_mid and mlp.hook_post at those positions:
 *   mid  = resid_mid + (z' - z) W_O        (only if a head is ablated)
 *   post = act(mid W_in + b_in)            (only if a head is ablated)
 *   post' = post with the neurons replaced
 *   logits = (mid + b_out + post' W_out) W_U + b_U
 * which on the grokked p=113 model is a fraction of a full pass (no
 * attention, no Q/K/V, one position in three). The result equals the full
 * pass up to float rounding (tests/unit/test_ablate_fast.c). */
#include "interp/ablate_fast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/activation.h"
#include "common/linalg.h"
#include "model/transformer.h"
#include "model/xent.h"

#define FAST_CHUNK 1024 /* examples per matrix product */

struct ablate_fast {
	int hz, hmid, hpost;  /* hooks of the last block */
	int T, K, HE, D, M, U;
	enum activation act;
	const float *W_O, *W_in, *b_in, *W_out, *b_out, *W_U, *b_U;
	float *z, *mid, *pre, *post, *res, *logits; /* (FAST_CHUNK * K, .) */
	float *clean;         /* (N, K, U) clean logits, for neuron passes */
	float *u;             /* (M, U): W_out W_U, a neuron's logit direction */
};

static const float *weight(const struct model *m, const char *name)
{
	int v = model_find_view(m, name);
	return v < 0 ? NULL : m->params + m->views[v].offset;
}

static int block_hook(const struct model *m, int l, const char *leaf)
{
	char name[HOOK_NAME_MAX];
	snprintf(name, sizeof name, "blocks.%d.%s", l, leaf);
	return model_find_hook(m, name);
}

static const float *block_weight(const struct model *m, int l,
				 const char *leaf)
{
	char name[TRAJ_NAME_MAX];
	snprintf(name, sizeof name, "blocks.%d.%s", l, leaf);
	return weight(m, name);
}

/* Fills f from m; 0 when the shortcut applies to m, -1 when not. */
static int fast_setup(struct ablate_fast *f, const struct model *m)
{
	struct transformer_config c;
	if (transformer_config_of(m, &c) < 0 || c.layernorm || c.attn_only)
		return -1;
	int l = c.n_layers - 1;
	*f = (struct ablate_fast){
		.hz = block_hook(m, l, "attn.hook_z"),
		.hmid = block_hook(m, l, "hook_resid_mid"),
		.hpost = block_hook(m, l, "mlp.hook_post"),
		.T = c.n_ctx, .K = c.n_outputs, .HE = c.n_heads * c.d_head,
		.D = c.d_model, .M = c.d_mlp, .U = c.d_vocab_out, .act = c.act,
		.W_O = block_weight(m, l, "attn.W_O"),
		.W_in = block_weight(m, l, "mlp.W_in"),
		.b_in = block_weight(m, l, "mlp.b_in"),
		.W_out = block_weight(m, l, "mlp.W_out"),
		.b_out = block_weight(m, l, "mlp.b_out"),
		.W_U = weight(m, "unembed.W_U"), .b_U = weight(m, "unembed.b_U"),
	};
	if (f->hz < 0 || f->hmid < 0 || f->hpost < 0 || !f->W_O || !f->W_in ||
	    !f->b_in || !f->W_out || !f->b_out || !f->W_U || !f->b_U)
		return -1;
	return 0;
}

static float *rows_of(size_t rows, int width)
{
	return malloc(rows * (size_t)width * sizeof(float));
}

int ablator_reuse(struct ablator *a, struct traj_error *err)
{
	struct ablate_fast *f = calloc(1, sizeof *f);
	if (!f)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (fast_setup(f, a->m) < 0) {
		free(f);
		return 0;
	}
	size_t rows = (size_t)FAST_CHUNK * f->K;
	f->z = rows_of(rows, f->HE);
	f->mid = rows_of(rows, f->D);
	f->res = rows_of(rows, f->D);
	f->pre = rows_of(rows, f->M);
	f->post = rows_of(rows, f->M);
	f->logits = rows_of(rows, f->U);
	size_t numel[3] = { a->m->hooks[f->hz].numel,
			    a->m->hooks[f->hmid].numel,
			    a->m->hooks[f->hpost].numel };
	int hooks[3] = { f->hz, f->hmid, f->hpost };
	int ok = f->z && f->mid && f->res && f->pre && f->post && f->logits;
	for (int i = 0; ok && i < 3; i++) {
		int h = hooks[i];
		if (!a->cap[h])
			a->cap[h] = malloc(numel[i] * (size_t)a->data.n *
					   sizeof(float) + 1);
		if (!a->mean[h])
			a->mean[h] = malloc(numel[i] * sizeof(float));
		ok = a->cap[h] && a->mean[h];
	}
	a->fast = f;
	if (!ok) {
		ablator_reuse_free(a);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	return 0;
}

void ablator_reuse_free(struct ablator *a)
{
	struct ablate_fast *f = a->fast;
	if (!f)
		return;
	free(f->z);
	free(f->mid);
	free(f->res);
	free(f->pre);
	free(f->post);
	free(f->logits);
	free(f->clean);
	free(f->u);
	free(f);
	a->fast = NULL;
}

/* Whether the shortcut computes this pass: every component in the last
 * block's hook_z or mlp.hook_post (directions take the full pass). */
int ablator_reuse_applies(const struct ablator *a, const int *active, int n)
{
	const struct ablate_fast *f = a->fast;
	if (!f)
		return 0;
	for (int i = 0; i < n; i++) {
		const struct component *c = &a->comps[active[i]];
		if (c->kind == COMP_DIRECTION ||
		    (c->hook != f->hz && c->hook != f->hpost))
			return 0;
	}
	return 1;
}

/* The components of active[] at hook h replaced in row r (position t)
 * of example e. */
static void replace_at(const struct ablator *a, int h, const int *active,
		       int n, int64_t e, int t, float *row)
{
	const float *src = ablator_source(a, h, e);
	for (int i = 0; i < n; i++) {
		const struct component *c = &a->comps[active[i]];
		if (c->hook == h)
			ablator_replace_row(a, c, row,
					    src ? src + (size_t)t * c->width : NULL);
	}
}

/* Loads the captured rows of examples [e0, e0 + ne) at the labelled
 * positions; with heads, z' - z into f->z. */
static void load_chunk(const struct ablator *a, int64_t e0, int ne,
		       const int *active, int n, int heads)
{
	const struct ablate_fast *f = a->fast;
	const struct hook_point *hk = a->m->hooks;
	for (int e = 0; e < ne; e++)
		for (int k = 0; k < f->K; k++) {
			int t = f->T - f->K + k;
			size_t r = (size_t)e * f->K + k;
			int64_t ex = e0 + e;
			memcpy(f->mid + r * f->D, a->cap[f->hmid] +
			       (size_t)ex * hk[f->hmid].numel + (size_t)t * f->D,
			       (size_t)f->D * sizeof(float));
			if (!heads) {
				memcpy(f->post + r * f->M, a->cap[f->hpost] +
				       (size_t)ex * hk[f->hpost].numel +
				       (size_t)t * f->M, (size_t)f->M * sizeof(float));
				continue;
			}
			const float *z = a->cap[f->hz] +
					 (size_t)ex * hk[f->hz].numel +
					 (size_t)t * f->HE;
			float *dz = f->z + r * f->HE;
			memcpy(dz, z, (size_t)f->HE * sizeof *dz);
			replace_at(a, f->hz, active, n, ex, t, dz);
			for (int j = 0; j < f->HE; j++)
				dz[j] -= z[j];
		}
}

/* The logits of examples [e0, e0 + ne) with active[0..n) replaced, into
 * f->logits. */
static void chunk_logits(struct ablator *a, int64_t e0, int ne,
			 const int *active, int n, int heads)
{
	const struct ablate_fast *f = a->fast;
	int rows = ne * f->K;
	load_chunk(a, e0, ne, active, n, heads);
	if (heads) {
		linalg_matmul(rows, f->D, f->HE, f->z, f->W_O, 1.0f, f->mid);
		linalg_matmul(rows, f->M, f->D, f->mid, f->W_in, 0.0f, f->pre);
		for (int r = 0; r < rows; r++)
			activation_forward_row(f->act, f->M,
					       f->pre + (size_t)r * f->M,
					       f->b_in,
					       f->post + (size_t)r * f->M);
	}
	for (int r = 0; r < rows; r++) {
		int64_t ex = e0 + r / f->K;
		int t = f->T - f->K + r % f->K;
		replace_at(a, f->hpost, active, n, ex, t,
			   f->post + (size_t)r * f->M);
		float *res = f->res + (size_t)r * f->D;
		const float *mid = f->mid + (size_t)r * f->D;
		for (int j = 0; j < f->D; j++)
			res[j] = mid[j] + f->b_out[j];
		memcpy(f->logits + (size_t)r * f->U, f->b_U,
		       (size_t)f->U * sizeof(float));
	}
	linalg_matmul(rows, f->D, f->M, f->post, f->W_out, 1.0f, f->res);
	linalg_matmul(rows, f->U, f->D, f->res, f->W_U, 1.0f, f->logits);
}

/* Summed loss and right answers of `rows` logits rows against labels y,
 * rows of K labelled positions each, only position `label` unless it is
 * negative. */
static void add_xent(const float *logits, int rows, int U, const int32_t *y,
		     int K, int label, double *loss, int64_t *right)
{
	for (int r = 0; r < rows; r++) {
		if (label >= 0 && r % K != label)
			continue;
		const float *z = logits + (size_t)r * U;
		*loss += xent_row(z, U, y[r]);
		*right += xent_argmax(z, U) == y[r];
	}
}

static int finish(struct ablator *a, double loss, int64_t right,
		  struct eval_result *r)
{
	int64_t N = a->data.n, K = a->label >= 0 ? 1 : a->fast->K;
	*r = (struct eval_result){ NAN, NAN, N }; /* N = 0: the mean of nothing */
	if (N > 0) {
		r->loss = loss / ((double)N * K);
		r->acc = (double)right / ((double)N * K);
	}
	a->forward_passes++;
	return 0;
}

/* Whether every component is a neuron of the last block's MLP: then the
 * logits move by (r - x) u_j per neuron j, from the clean logits, since
 * nothing between hook_post and the logits is non-linear (no LN). */
static int neurons_only(const struct ablator *a, const int *active, int n)
{
	for (int i = 0; i < n; i++) {
		const struct component *c = &a->comps[active[i]];
		if (c->kind != COMP_NEURON || c->hook != a->fast->hpost)
			return 0;
	}
	return 1;
}

/* The clean logits and the neurons' logit directions, once; -1 when out
 * of memory (the caller takes the general path). */
/* The clean logits and the neurons' logit directions, on first use.
 * Errors: TRAJ_ENOMEM (not a fallback to the chunked pass, whose
 * rounding differs). */
static int neuron_setup(struct ablator *a, struct traj_error *err)
{
	struct ablate_fast *f = a->fast;
	if (f->clean)
		return 0;
	int64_t N = a->data.n;
	f->clean = malloc(((size_t)N * f->K * f->U + 1) * sizeof(float));
	f->u = malloc(((size_t)f->M * f->U + 1) * sizeof(float));
	if (!f->clean || !f->u) {
		free(f->clean);
		free(f->u);
		f->clean = f->u = NULL;
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	linalg_matmul(f->M, f->U, f->D, f->W_out, f->W_U, 0.0f, f->u);
	for (int64_t e0 = 0; e0 < N; e0 += FAST_CHUNK) {
		int ne = N - e0 < FAST_CHUNK ? (int)(N - e0) : FAST_CHUNK;
		chunk_logits(a, e0, ne, NULL, 0, 0);
		memcpy(f->clean + (size_t)e0 * f->K * f->U, f->logits,
		       (size_t)ne * f->K * f->U * sizeof(float));
	}
	return 0;
}

/* One labelled row of example e: the clean logits moved by each ablated
 * neuron's (r - x) u_j, into z. */
static void neuron_row(const struct ablator *a, const int *active, int n,
		       int64_t e, int k, float *z)
{
	const struct ablate_fast *f = a->fast;
	size_t numel = a->m->hooks[f->hpost].numel;
	int t = f->T - f->K + k;
	const float *x = a->cap[f->hpost] + (size_t)e * numel + (size_t)t * f->M;
	const float *src = ablator_source(a, f->hpost, e);
	memcpy(z, f->clean + ((size_t)e * f->K + k) * f->U,
	       (size_t)f->U * sizeof *z);
	for (int i = 0; i < n; i++) {
		const struct component *c = &a->comps[active[i]];
		for (int j = c->lo; j < c->lo + c->len; j++) {
			float d = (src ? src[(size_t)t * f->M + j] : 0.0f) - x[j];
			const float *u = f->u + (size_t)j * f->U;
			for (int v = 0; d != 0.0f && v < f->U; v++)
				z[v] += d * u[v];
		}
	}
}

static int neuron_eval(struct ablator *a, const int *active, int n,
		       struct eval_result *r)
{
	struct ablate_fast *f = a->fast;
	double loss = 0.0;
	int64_t right = 0;
	for (int64_t e = 0; e < a->data.n; e++)
		for (int k = 0; k < f->K; k++) {
			if (a->label >= 0 && k != a->label)
				continue;
			neuron_row(a, active, n, e, k, f->logits);
			add_xent(f->logits, 1, f->U,
				 a->data.labels + (size_t)e * f->K + k, 1, -1,
				 &loss, &right);
		}
	return finish(a, loss, right, r);
}

int ablator_reuse_eval(struct ablator *a, const int *active, int n,
		       struct eval_result *r, struct traj_error *err)
{
	const struct ablate_fast *f = a->fast;
	if (neurons_only(a, active, n))
		return neuron_setup(a, err) < 0 ? -1 : neuron_eval(a, active, n, r);
	int heads = 0;
	for (int i = 0; i < n; i++)
		heads |= a->comps[active[i]].hook == f->hz;
	double loss = 0.0;
	int64_t right = 0, N = a->data.n;
	for (int64_t e0 = 0; e0 < N; e0 += FAST_CHUNK) {
		int ne = N - e0 < FAST_CHUNK ? (int)(N - e0) : FAST_CHUNK;
		chunk_logits(a, e0, ne, active, n, heads);
		add_xent(f->logits, ne * f->K, f->U,
			 a->data.labels + (size_t)e0 * f->K, f->K, a->label,
			 &loss, &right);
	}
	return finish(a, loss, right, r);
}
