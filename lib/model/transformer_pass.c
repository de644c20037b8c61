/* The transformer's forward and backward passes (see transformer.h and
 * transformer_impl.h for the letters). Matrices are row-major; a
 * (n, T, D) buffer is also the (n * T, D) matrix that BLAS sees. */
#include "model/transformer_impl.h"

#include <string.h>

#include "model/activation.h"
#include "model/attention.h"
#include "model/layernorm.h"
#include "common/linalg.h"
#include "common/vecops.h"

static void fire(const struct model *m, int hook, int64_t e0, int n,
		 float *act)
{
	if (impl(m)->live && hook >= 0)
		m->hook_fn(m->hook_ctx, hook, m->hook_base + e0, n, act);
}

/* Gradient hooks: d loss / d act of a hook, in the backward pass. */
static void fire_grad(const struct model *m, int hook, int n,
		      const float *act, const float *grad)
{
	if (impl(m)->full && hook >= 0)
		m->grad_fn(m->grad_ctx, hook, impl(m)->e0, n, act, grad);
}

/* out[r] = bias for each of rows rows of d floats. */
static void fill_rows(size_t rows, int d, const float *bias, float *out)
{
	for (size_t r = 0; r < rows; r++)
		memcpy(out + r * d, bias, (size_t)d * sizeof *out);
}

/* acc += sum of the rows of x (rows, d): a bias gradient. */
static void add_colsum(size_t rows, int d, const float *x, float *acc)
{
	for (size_t r = 0; r < rows; r++)
		vec_add(d, acc, x + r * d);
}

/* Rows [T - P, T) of each example of x (n, T, D) into out (n, P, D). */
static void gather_last(int n, int T, int P, int D, const float *x,
			float *out)
{
	for (int b = 0; b < n; b++)
		memcpy(out + (size_t)b * P * D,
		       x + ((size_t)b * T + T - P) * D,
		       (size_t)P * D * sizeof *out);
}

/* The transpose of gather_last: y (n, T, D) rows [T - P, T) += x. */
static void scatter_add_last(int n, int T, int P, int D, const float *x,
			     float *y)
{
	for (int b = 0; b < n; b++)
		for (int i = 0; i < P; i++)
			vec_add(D, y + ((size_t)b * T + T - P + i) * D,
				x + ((size_t)b * P + i) * D);
}

/* W_Q, W_K, W_V [H, D, E] of every block as (D, H*E) matrices, so each
 * projection is one product for all heads. */
static void pack_qkv(struct model *m)
{
	struct transformer *t = impl(m);
	int D = t->cfg.d_model, H = t->cfg.n_heads, E = t->cfg.d_head;
	size_t HE = (size_t)H * E;
	for (int l = 0; l < t->cfg.n_layers; l++) {
		size_t src[3] = { t->lp[l].W_Q, t->lp[l].W_K, t->lp[l].W_V };
		for (int w = 0; w < 3; w++) {
			float *dst = t->packed + ((size_t)l * 3 + w) * D * HE;
			const float *s = m->params + src[w];
			for (int h = 0; h < H; h++)
				for (int d = 0; d < D; d++)
					memcpy(dst + d * HE + (size_t)h * E,
					       s + ((size_t)h * D + d) * E,
					       (size_t)E * sizeof *dst);
		}
	}
}

static const float *packed(const struct transformer *t, int l, int w)
{
	size_t HE = (size_t)t->cfg.n_heads * t->cfg.d_head;
	return t->packed + ((size_t)l * 3 + w) * t->cfg.d_model * HE;
}

/* grad [H, D, E] += dpacked (D, H*E). */
static void unpack_add(const struct transformer *t, float *grad)
{
	int D = t->cfg.d_model, H = t->cfg.n_heads, E = t->cfg.d_head;
	size_t HE = (size_t)H * E;
	for (int h = 0; h < H; h++)
		for (int d = 0; d < D; d++)
			vec_add(E, grad + ((size_t)h * D + d) * E,
				t->dpacked + d * HE + (size_t)h * E);
}

/* resid_pre of block 0 = W_E[token] + W_pos[position]. With live hooks
 * the two terms pass through hook_embed and hook_pos_embed first, in the
 * (otherwise idle) backward buffers. */
static void embed_forward(struct model *m, const int32_t *tok, int64_t e0,
			  int n)
{
	struct transformer *t = impl(m);
	int T = t->cfg.n_ctx, D = t->cfg.d_model;
	const float *we = m->params + t->W_E, *wp = m->params + t->W_pos;
	float *x = t->act[0].resid_pre;
	if (!t->live) {
		/* From tables, block 0 reads its input only for the residual
		 * at the positions it computes. */
		int first = t->use_table ? T - block_positions(t, 0) : 0;
		for (size_t r = 0; r < (size_t)n * T; r++) {
			if ((int)(r % T) < first)
				continue;
			memcpy(x + r * D, we + (size_t)tok[r] * D,
			       (size_t)D * sizeof *x);
			vec_add(D, x + r * D, wp + (r % T) * D);
		}
		return;
	}
	for (size_t r = 0; r < (size_t)n * T; r++) {
		memcpy(t->dA + r * D, we + (size_t)tok[r] * D, (size_t)D * sizeof *x);
		memcpy(t->dB + r * D, wp + (r % T) * D, (size_t)D * sizeof *x);
	}
	fire(m, t->hook_embed, e0, n, t->dA);
	fire(m, t->hook_pos_embed, e0, n, t->dB);
	for (size_t r = 0; r < (size_t)n * T; r++) {
		memcpy(x + r * D, t->dA + r * D, (size_t)D * sizeof *x);
		vec_add(D, x + r * D, t->dB + r * D);
	}
}

/* The rows that block l takes queries from: its LN1 output at its
 * computed positions. */
static const float *query_rows(struct transformer *t, int l, int n)
{
	int T = t->cfg.n_ctx, P = block_positions(t, l);
	if (P == T)
		return t->act[l].ln1;
	gather_last(n, T, P, t->cfg.d_model, t->act[l].ln1, t->xa);
	return t->xa;
}

/* Q, K, V projections, attention, W_O, and the residual: resid_mid. */
/* The row maps of block l's attention inputs: the tables' when block 0
 * reads them, else NULL (each example's own rows). */
static const struct attn_rows *attn_rows(struct transformer *t, int l)
{
	static _Thread_local struct attn_rows rows;
	if (l != 0 || !t->use_table)
		return NULL;
	rows.q = t->qrow;
	rows.kv = t->kvrow;
	return &rows;
}

/* y (rows, HE) = x (rows, D) @ w (D, HE) + b. */
static void proj_forward(size_t rows, int d, int he, const float *x,
			 const float *w, const float *b, float *y)
{
	fill_rows(rows, he, b, y);
	linalg_matmul((int)rows, he, d, x, w, 1.0f, y);
}

/* Weight gradient of one projection: grad [H, D, E] += x^T @ dy. */
static void proj_grad(struct transformer *t, int rows, const float *x,
		      const float *dy, float *grad)
{
	int D = t->cfg.d_model, HE = t->cfg.n_heads * t->cfg.d_head;
	memset(t->dpacked, 0, (size_t)D * HE * sizeof *t->dpacked);
	linalg_matmul_tn_acc(D, HE, rows, x, dy, t->dpacked);
	unpack_add(t, grad);
}

/* Block 0's input is W_E[token] + W_pos[position], a function of the
 * (position, token) pair, and so are its LN1 output, queries, keys and
 * values. When the batch has more token positions than there are pairs,
 * computing the T * V table rows once, and letting attention read each
 * example's rows from them (row maps, see attention.h), is the same
 * arithmetic for far fewer products: for p = 113 and 3830 examples, 342
 * rows instead of 11490. Never used while hooks are live, so hooks see
 * every activation. */
static void table_forward(struct model *m, const int32_t *tok, int n)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	struct tf_table *tb = &t->tab;
	const struct tf_layer *lp = &t->lp[0];
	const float *w = m->params;
	int T = c->n_ctx, V = c->d_vocab, D = c->d_model;
	int HE = c->n_heads * c->d_head, P = block_positions(t, 0);
	for (size_t r = 0; r < tb->rows; r++) {
		memcpy(tb->x + r * D, w + t->W_E + (r % V) * D, (size_t)D * sizeof(float));
		vec_add(D, tb->x + r * D, w + t->W_pos + (r / V) * D);
	}
	if (c->layernorm)
		layernorm_forward((int)tb->rows, D, tb->x, w + lp->ln1_w,
				  w + lp->ln1_b, tb->ln, tb->stats);
	proj_forward(tb->rows, D, HE, tb->ln, packed(t, 0, 0), w + lp->b_Q, tb->q);
	proj_forward(tb->rows, D, HE, tb->ln, packed(t, 0, 1), w + lp->b_K, tb->k);
	proj_forward(tb->rows, D, HE, tb->ln, packed(t, 0, 2), w + lp->b_V, tb->v);
	for (int b = 0; b < n; b++)
		for (int j = 0; j < T; j++) {
			int32_t r = j * V + tok[b * T + j];
			t->kvrow[b * T + j] = r;
			if (j >= T - P)
				t->qrow[b * P + j - (T - P)] = r;
		}
}

/* The transpose of table_forward: with dq, dk, dv summed into the table
 * rows by attention_backward, the projections' and LN1's gradients on
 * T * V rows, and the input gradient into W_E and W_pos. */
static void table_backward(struct model *m)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	struct tf_table *tb = &t->tab;
	const struct tf_layer *lp = &t->lp[0];
	float *g = m->grads;
	int V = c->d_vocab, D = c->d_model, HE = c->n_heads * c->d_head;
	int R = (int)tb->rows;
	add_colsum(tb->rows, HE, tb->dq, g + lp->b_Q);
	add_colsum(tb->rows, HE, tb->dk, g + lp->b_K);
	add_colsum(tb->rows, HE, tb->dv, g + lp->b_V);
	proj_grad(t, R, tb->ln, tb->dq, g + lp->W_Q);
	proj_grad(t, R, tb->ln, tb->dk, g + lp->W_K);
	proj_grad(t, R, tb->ln, tb->dv, g + lp->W_V);
	linalg_matmul_nt(R, D, HE, tb->dq, packed(t, 0, 0), tb->dx);
	linalg_matmul_nt_acc(R, D, HE, tb->dk, packed(t, 0, 1), tb->dx);
	linalg_matmul_nt_acc(R, D, HE, tb->dv, packed(t, 0, 2), tb->dx);
	const float *dx = tb->dx;
	if (c->layernorm) {
		memset(t->dtmp, 0, tb->rows * D * sizeof(float));
		layernorm_backward(R, D, tb->x, tb->stats, m->params + lp->ln1_w,
				   tb->dx, t->dtmp, g + lp->ln1_w, g + lp->ln1_b);
		dx = t->dtmp;
	}
	for (size_t r = 0; r < tb->rows; r++) {
		vec_add(D, g + t->W_E + (r % V) * D, dx + r * D);
		vec_add(D, g + t->W_pos + (r / V) * D, dx + r * D);
	}
}

static void attn_forward(struct model *m, const int32_t *tok, int l,
			 int64_t e0, int n)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	struct tf_acts *a = &t->act[l];
	const struct tf_layer *lp = &t->lp[l];
	const float *w = m->params;
	int T = c->n_ctx, D = c->d_model, HE = c->n_heads * c->d_head;
	int P = block_positions(t, l);
	size_t rowsT = (size_t)n * T, rowsP = (size_t)n * P;
	const int *hk = t->hook[l];
	fire(m, hk[HK_RESID_PRE], e0, n, a->resid_pre);
	const float *q = a->q, *k = a->k, *v = a->v;
	const struct attn_rows *rows = attn_rows(t, l);
	if (rows) {
		table_forward(m, tok, n);
		q = t->tab.q;
		k = t->tab.k;
		v = t->tab.v;
	} else {
		if (c->layernorm) {
			layernorm_forward((int)rowsT, D, a->resid_pre,
					  w + lp->ln1_w, w + lp->ln1_b, a->ln1,
					  a->ln1_stats);
			fire(m, hk[HK_LN1], e0, n, a->ln1);
		}
		proj_forward(rowsT, D, HE, a->ln1, packed(t, l, 1),
			     w + lp->b_K, a->k);
		proj_forward(rowsT, D, HE, a->ln1, packed(t, l, 2),
			     w + lp->b_V, a->v);
		proj_forward(rowsP, D, HE, query_rows(t, l, n),
			     packed(t, l, 0), w + lp->b_Q, a->q);
	}
	fire(m, hk[HK_Q], e0, n, a->q);
	fire(m, hk[HK_K], e0, n, a->k);
	fire(m, hk[HK_V], e0, n, a->v);
	struct attn_dims dims = { T, P, c->n_heads, c->d_head };
	attention_scores(&dims, rows, n, q, k, a->pattern);
	fire(m, hk[HK_SCORES], e0, n, a->pattern);
	attention_softmax(&dims, n, a->pattern);
	fire(m, hk[HK_PATTERN], e0, n, a->pattern);
	attention_mix(&dims, rows, n, a->pattern, v, a->z);
	fire(m, hk[HK_Z], e0, n, a->z);
	gather_last(n, T, P, D, a->resid_pre, a->resid_mid);
	for (size_t r = 0; r < rowsP; r++)
		vec_add(D, a->resid_mid + r * D, w + lp->b_O);
	linalg_matmul((int)rowsP, D, HE, a->z, w + lp->W_O, 1.0f, a->resid_mid);
}

/* LN2, MLP and the residual: resid_post from resid_mid. */
static void mlp_forward(struct model *m, int l, int64_t e0, int n)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	struct tf_acts *a = &t->act[l];
	const struct tf_layer *lp = &t->lp[l];
	const float *w = m->params;
	int D = c->d_model, M = c->d_mlp;
	size_t rowsP = (size_t)n * block_positions(t, l);
	const int *hk = t->hook[l];
	fire(m, hk[HK_RESID_MID], e0, n, a->resid_mid);
	if (c->layernorm) {
		layernorm_forward((int)rowsP, D, a->resid_mid, w + lp->ln2_w,
				  w + lp->ln2_b, a->ln2, a->ln2_stats);
		fire(m, hk[HK_LN2], e0, n, a->ln2);
	}
	fill_rows(rowsP, M, w + lp->b_in, a->pre);
	linalg_matmul((int)rowsP, M, D, a->ln2, w + lp->W_in, 1.0f, a->pre);
	fire(m, hk[HK_MLP_PRE], e0, n, a->pre);
	for (size_t r = 0; r < rowsP; r++)
		activation_forward_row(c->act, M, a->pre + r * M, NULL,
				       a->post + r * M);
	fire(m, hk[HK_MLP_POST], e0, n, a->post);
	memcpy(a->resid_post, a->resid_mid, rowsP * D * sizeof *a->resid_post);
	for (size_t r = 0; r < rowsP; r++)
		vec_add(D, a->resid_post + r * D, w + lp->b_out);
	linalg_matmul((int)rowsP, D, M, a->post, w + lp->W_out, 1.0f,
		      a->resid_post);
}

/* ln_final and the unembedding at the last K positions: t->logits. */
static void unembed_forward(struct model *m, int64_t e0, int n)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	int D = c->d_model, K = c->n_outputs, U = c->d_vocab_out;
	int P = block_positions(t, c->n_layers - 1);
	const float *x = t->act[c->n_layers - 1].resid_post;
	if (c->layernorm) {
		layernorm_forward(n * P, D, x, m->params + t->lnf_w,
				  m->params + t->lnf_b, t->lnf, t->lnf_stats);
		fire(m, t->hook_lnf, e0, n, t->lnf);
		x = t->lnf;
	}
	if (P != K) {
		gather_last(n, P, K, D, x, t->urows);
		x = t->urows;
	}
	t->uin = x;
	fill_rows((size_t)n * K, U, m->params + t->b_U, t->logits);
	linalg_matmul(n * K, U, D, x, m->params + t->W_U, 1.0f, t->logits);
}

void transformer_forward(struct model *m, const int32_t *tok, int64_t e0, int n)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	t->e0 = e0;
	t->use_table = !t->live && !t->full && t->tab.rows > 0 &&
		       (t->table_mode == 1 ||
			(t->table_mode < 0 && c->d_vocab <= n));
	pack_qkv(m);
	embed_forward(m, tok, e0, n);
	for (int l = 0; l < t->cfg.n_layers; l++) {
		attn_forward(m, tok, l, e0, n);
		if (has_mlp(&t->cfg))
			mlp_forward(m, l, e0, n);
		fire(m, t->hook[l][HK_RESID_POST], e0, n, t->act[l].resid_post);
	}
	unembed_forward(m, e0, n);
}

/* From d loss / d logits in t->logits to d loss / d resid_post of the
 * last block, (n, P, D), in the returned buffer (dA or dB). */
static float *unembed_backward(struct model *m, int n)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	int D = c->d_model, K = c->n_outputs, U = c->d_vocab_out;
	int P = block_positions(t, c->n_layers - 1);
	float *g = m->grads;
	linalg_matmul_tn_acc(D, U, n * K, t->uin, t->logits, g + t->W_U);
	add_colsum((size_t)n * K, U, t->logits, g + t->b_U);
	if (P == K) {
		linalg_matmul_nt(n * K, D, U, t->logits, m->params + t->W_U, t->dA);
	} else {
		memset(t->dA, 0, (size_t)n * P * D * sizeof *t->dA);
		linalg_matmul_nt(n * K, D, U, t->logits, m->params + t->W_U,
				 t->dtmp);
		scatter_add_last(n, P, K, D, t->dtmp, t->dA);
	}
	if (!c->layernorm)
		return t->dA;
	memset(t->dB, 0, (size_t)n * P * D * sizeof *t->dB);
	layernorm_backward(n * P, D, t->act[c->n_layers - 1].resid_post,
			   t->lnf_stats, m->params + t->lnf_w, t->dA, t->dB,
			   g + t->lnf_w, g + t->lnf_b);
	return t->dB;
}

/* d loss / d resid_post (dres, (n, P, D)) to d loss / d resid_mid, in
 * place. */
static void mlp_backward(struct model *m, int l, int n, float *dres)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	const struct tf_acts *a = &t->act[l];
	const struct tf_layer *lp = &t->lp[l];
	float *g = m->grads;
	const float *w = m->params;
	int D = c->d_model, M = c->d_mlp;
	size_t rowsP = (size_t)n * block_positions(t, l);
	linalg_matmul_tn_acc(M, D, (int)rowsP, a->post, dres, g + lp->W_out);
	add_colsum(rowsP, D, dres, g + lp->b_out);
	linalg_matmul_nt((int)rowsP, M, D, dres, w + lp->W_out, t->dmlp);
	fire_grad(m, t->hook[l][HK_MLP_POST], n, a->post, t->dmlp);
	for (size_t r = 0; r < rowsP; r++)
		activation_backward_row(c->act, M, a->pre + r * M,
					t->dmlp + r * M, g + lp->b_in);
	linalg_matmul_tn_acc(D, M, (int)rowsP, a->ln2, t->dmlp, g + lp->W_in);
	if (!c->layernorm) {
		linalg_matmul_nt_acc((int)rowsP, D, M, t->dmlp, w + lp->W_in, dres);
		return;
	}
	linalg_matmul_nt((int)rowsP, D, M, t->dmlp, w + lp->W_in, t->dtmp);
	layernorm_backward((int)rowsP, D, a->resid_mid, a->ln2_stats,
			   w + lp->ln2_w, t->dtmp, dres, g + lp->ln2_w,
			   g + lp->ln2_b);
}

/* W_O and the attention, backward: from d loss / d resid_mid (dres,
 * (n, P, D)) to dq, dk, dv, those of the examples (t->dq, ...) or, when
 * block 0 reads the tables, of the tables. */
static void attn_core_backward(struct model *m, int l, int n,
			       const float *dres)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	const struct tf_acts *a = &t->act[l];
	const struct tf_layer *lp = &t->lp[l];
	struct tf_table *tb = &t->tab;
	float *g = m->grads;
	int T = c->n_ctx, D = c->d_model, HE = c->n_heads * c->d_head;
	int P = block_positions(t, l);
	size_t rowsP = (size_t)n * P, rowsT = (size_t)n * T;
	linalg_matmul_tn_acc(HE, D, (int)rowsP, a->z, dres, g + lp->W_O);
	add_colsum(rowsP, D, dres, g + lp->b_O);
	linalg_matmul_nt((int)rowsP, HE, D, dres, m->params + lp->W_O, t->dz);
	fire_grad(m, t->hook[l][HK_Z], n, a->z, t->dz);
	struct attn_dims dims = { T, P, c->n_heads, c->d_head };
	const struct attn_rows *rows = attn_rows(t, l);
	if (rows) {
		memset(tb->dq, 0, 3 * tb->rows * HE * sizeof(float)); /* dq dk dv */
		attention_backward(&dims, rows, n, tb->q, tb->k, tb->v,
				   a->pattern, t->dz, tb->dq, tb->dk, tb->dv);
		return;
	}
	memset(t->dq, 0, rowsP * HE * sizeof(float));
	memset(t->dk, 0, rowsT * HE * sizeof(float));
	memset(t->dv, 0, rowsT * HE * sizeof(float));
	attention_backward(&dims, NULL, n, a->q, a->k, a->v, a->pattern, t->dz,
			   t->dq, t->dk, t->dv);
}

/* From d loss / d resid_mid (dres, (n, P, D)) to d loss / d resid_pre in
 * dout (n, T, D), for a block computed per example. */
static void attn_backward(struct model *m, int l, int n, const float *dres,
			  float *dout)
{
	struct transformer *t = impl(m);
	const struct transformer_config *c = &t->cfg;
	const struct tf_acts *a = &t->act[l];
	const struct tf_layer *lp = &t->lp[l];
	float *g = m->grads;
	int T = c->n_ctx, D = c->d_model, HE = c->n_heads * c->d_head;
	int P = block_positions(t, l);
	int rowsT = n * T, rowsP = n * P;
	attn_core_backward(m, l, n, dres);
	add_colsum((size_t)rowsP, HE, t->dq, g + lp->b_Q);
	add_colsum((size_t)rowsT, HE, t->dk, g + lp->b_K);
	add_colsum((size_t)rowsT, HE, t->dv, g + lp->b_V);
	const float *xq = P == T ? a->ln1 : t->xa;
	proj_grad(t, rowsP, xq, t->dq, g + lp->W_Q);
	proj_grad(t, rowsT, a->ln1, t->dk, g + lp->W_K);
	proj_grad(t, rowsT, a->ln1, t->dv, g + lp->W_V);
	/* d loss / d ln1 into dtmp */
	linalg_matmul_nt(rowsT, D, HE, t->dk, packed(t, l, 1), t->dtmp);
	linalg_matmul_nt_acc(rowsT, D, HE, t->dv, packed(t, l, 2), t->dtmp);
	if (P == T) {
		linalg_matmul_nt_acc(rowsT, D, HE, t->dq, packed(t, l, 0), t->dtmp);
	} else {
		linalg_matmul_nt(rowsP, D, HE, t->dq, packed(t, l, 0), t->dxa);
		scatter_add_last(n, T, P, D, t->dxa, t->dtmp);
	}
	memset(dout, 0, (size_t)rowsT * D * sizeof *dout);
	scatter_add_last(n, T, P, D, dres, dout); /* the residual path */
	if (c->layernorm)
		layernorm_backward(rowsT, D, a->resid_pre, a->ln1_stats,
				   m->params + lp->ln1_w, t->dtmp, dout,
				   g + lp->ln1_w, g + lp->ln1_b);
	else
		for (int r = 0; r < rowsT; r++)
			vec_add(D, dout + (size_t)r * D, t->dtmp + (size_t)r * D);
}

/* d loss / d resid_pre of block 0 at the last P positions of each
 * example (d, (n, P, D)) into the W_E and W_pos rows that made it. */
static void embed_backward(struct model *m, const int32_t *tok, int n, int P,
			   const float *d)
{
	struct transformer *t = impl(m);
	int T = t->cfg.n_ctx, D = t->cfg.d_model;
	float *ge = m->grads + t->W_E, *gp = m->grads + t->W_pos;
	for (int b = 0; b < n; b++)
		for (int i = 0; i < P; i++) {
			const float *dr = d + ((size_t)b * P + i) * D;
			int j = T - P + i;
			vec_add(D, ge + (size_t)tok[b * T + j] * D, dr);
			vec_add(D, gp + (size_t)j * D, dr);
		}
}

void transformer_backward(struct model *m, const int32_t *tok, int n)
{
	struct transformer *t = impl(m);
	float *dres = unembed_backward(m, n);
	for (int l = t->cfg.n_layers - 1; l >= 0; l--) {
		const int *hk = t->hook[l];
		fire_grad(m, hk[HK_RESID_POST], n, t->act[l].resid_post, dres);
		if (has_mlp(&t->cfg)) {
			mlp_backward(m, l, n, dres);
			fire_grad(m, hk[HK_RESID_MID], n, t->act[l].resid_mid,
				  dres);
		}
		if (l == 0 && t->use_table) {
			/* the residual path reaches the embeddings directly */
			attn_core_backward(m, 0, n, dres);
			table_backward(m);
			embed_backward(m, tok, n, block_positions(t, 0), dres);
			return;
		}
		float *dout = dres == t->dA ? t->dB : t->dA;
		attn_backward(m, l, n, dres, dout);
		fire_grad(m, hk[HK_RESID_PRE], n, t->act[l].resid_pre, dout);
		dres = dout;
	}
	embed_backward(m, tok, n, t->cfg.n_ctx, dres);
}
