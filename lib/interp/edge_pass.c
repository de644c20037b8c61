/* One chunk's forward pass with edges ablated (edges.h). The running
 * residual stream is the clean sum every unablated edge sees; a receiver
 * with ablated edges adds, for each, the sender's replacement minus its
 * output. Only those receivers get an input of their own: the others
 * share the block's residual (and its LayerNorm). */
#include "interp/edge_impl.h"

#include <stdlib.h>
#include <string.h>

#include "model/activation.h"
#include "model/attention.h"
#include "model/layernorm.h"
#include "common/linalg.h"

struct edge_scratch *edge_scratch_new(const struct edge_graph *g)
{
	const struct transformer_config *c = &g->cfg;
	size_t n = EDGE_CHUNK, T = c->n_ctx, D = c->d_model, E = c->d_head;
	size_t M = c->attn_only ? 0 : c->d_mlp;
	size_t per_out = 0;
	for (int s = 0; s < g->nsend; s++)
		per_out += (size_t)edge_sender_positions(g, s) * D;
	size_t total = n * (per_out + 5 * T * D + 2 * T + 4 * T * E + T * T +
			    2 * T * M + (size_t)c->n_outputs * c->d_vocab_out);
	struct edge_scratch *sc = calloc(1, sizeof *sc);
	if (!sc)
		return NULL;
	sc->out = calloc((size_t)g->nsend, sizeof *sc->out);
	sc->block = malloc(total * sizeof(float));
	if (!sc->out || !sc->block) {
		edge_scratch_free(sc);
		return NULL;
	}
	float *p = sc->block;
	for (int s = 0; s < g->nsend; s++) {
		sc->out[s] = p;
		p += n * edge_sender_positions(g, s) * D;
	}
	float **big[] = { &sc->resid, &sc->mid, &sc->shared, &sc->x, &sc->xln };
	for (size_t i = 0; i < sizeof big / sizeof *big; i++, p += n * T * D)
		*big[i] = p;
	sc->stats = p, p += n * T * 2;
	float **small[] = { &sc->q, &sc->k, &sc->v, &sc->z };
	for (size_t i = 0; i < sizeof small / sizeof *small; i++, p += n * T * E)
		*small[i] = p;
	sc->pattern = p, p += n * T * T;
	sc->pre = p, p += n * T * M;
	sc->post = p, p += n * T * M;
	sc->logits = p;
	return sc;
}

void edge_scratch_free(struct edge_scratch *sc)
{
	if (!sc)
		return;
	free(sc->out);
	free(sc->block);
	free(sc);
}

void edge_last_rows(int n, int P, int Q, int D, const float *src,
		    float *dst)
{
	for (int b = 0; b < n; b++)
		memmove(dst + (size_t)b * Q * D,
			src + ((size_t)b * P + (P - Q)) * D,
			(size_t)Q * D * sizeof *dst);
}

const float *edge_replacement(const struct edge_ablator *ea, int s,
			      int64_t e, int t)
{
	int P = edge_sender_positions(ea->g, s), D = ea->g->cfg.d_model;
	switch (ea->method) {
	case ABL_MEAN: return ea->mean[s] + (size_t)t * D;
	case ABL_RESAMPLE:
		return ea->clean[s] + ((size_t)ea->perm[e] * P + t) * D;
	case ABL_PATCH: return ea->src[s] + ((size_t)e * P + t) * D;
	default: return NULL;
	}
}

static int has_cut(const struct edge_ablator *ea, int r)
{
	const struct edge_receiver *rr = &ea->g->recv[r];
	for (int s = 0; s < rr->nsend; s++)
		if (ea->cut[rr->first_edge + s])
			return 1;
	return 0;
}

/* dst (n, P_r, D): the last P_r rows of base (n, Pb, D), corrected for
 * every ablated edge into r. */
static void receiver_input(const struct edge_ablator *ea, int r,
			   const float *base, int Pb, int64_t e0, int n,
			   float *dst)
{
	const struct edge_graph *g = ea->g;
	const struct edge_receiver *rr = &g->recv[r];
	int Pr = edge_receiver_positions(g, r), D = g->cfg.d_model;
	edge_last_rows(n, Pb, Pr, D, base, dst);
	for (int s = 0; s < rr->nsend; s++) {
		if (!ea->cut[rr->first_edge + s])
			continue;
		int Ps = edge_sender_positions(g, s);
		for (int b = 0; b < n; b++)
			for (int i = 0; i < Pr; i++) {
				int t = Ps - Pr + i;
				const float *o = ea->sc->out[s] + ((size_t)b * Ps + t) * D;
				const float *rep = edge_replacement(ea, s, e0 + b, t);
				float *x = dst + ((size_t)b * Pr + i) * D;
				for (int j = 0; j < D; j++)
					x[j] += ea->cut_scale *
						((rep ? rep[j] : 0.0f) - o[j]);
			}
	}
}

/* The input a head's projection reads for receiver r, normalised by LN1
 * when the model has LayerNorm: rows (n, P_r, D). */
static const float *head_input(struct edge_ablator *ea, int r, int l,
			       int64_t e0, int n)
{
	struct edge_scratch *sc = ea->sc;
	const struct edge_weights *t = ea->w;
	const struct transformer_config *c = &ea->g->cfg;
	int T = c->n_ctx, D = c->d_model, Pr = edge_receiver_positions(ea->g, r);
	if (!has_cut(ea, r)) {
		if (Pr == T)
			return sc->shared;
		edge_last_rows(n, T, Pr, D, sc->shared, sc->xln);
		return sc->xln;
	}
	receiver_input(ea, r, sc->resid, T, e0, n, sc->x);
	if (!c->layernorm)
		return sc->x;
	const float *w = ea->m->params;
	layernorm_forward(n * Pr, D, sc->x, w + t->lp[l].ln1_w,
			  w + t->lp[l].ln1_b, sc->xln, sc->stats);
	return sc->xln;
}

/* y (rows, E) = x (rows, D) @ W[h] + b[h], W [H, D, E], b [H, E]. */
static void head_project(const struct transformer_config *c, int rows,
			 const float *x, const float *W, const float *b, int h,
			 float *y)
{
	int D = c->d_model, E = c->d_head;
	for (int r = 0; r < rows; r++)
		memcpy(y + (size_t)r * E, b + (size_t)h * E, (size_t)E * sizeof *y);
	linalg_matmul(rows, E, D, x, W + (size_t)h * D * E, 1.0f, y);
}

static void head_forward(struct edge_ablator *ea, int l, int h, int64_t e0,
			 int n)
{
	struct edge_scratch *sc = ea->sc;
	const struct edge_weights *t = ea->w;
	const struct transformer_config *c = &ea->g->cfg;
	const struct edge_layer *lp = &t->lp[l];
	const float *w = ea->m->params;
	const struct edge_graph *g = ea->g;
	int T = c->n_ctx, D = c->d_model, E = c->d_head;
	int P = edge_sender_positions(g, edge_head_sender(g, l, h));
	head_project(c, n * T, head_input(ea, edge_head_receiver(g, l, h, EI_K),
					  l, e0, n), w + lp->W_K, w + lp->b_K, h, sc->k);
	head_project(c, n * T, head_input(ea, edge_head_receiver(g, l, h, EI_V),
					  l, e0, n), w + lp->W_V, w + lp->b_V, h, sc->v);
	head_project(c, n * P, head_input(ea, edge_head_receiver(g, l, h, EI_Q),
					  l, e0, n), w + lp->W_Q, w + lp->b_Q, h, sc->q);
	struct attn_dims dims = { T, P, 1, E };
	attention_scores(&dims, NULL, n, sc->q, sc->k, sc->pattern);
	attention_softmax(&dims, n, sc->pattern);
	attention_mix(&dims, NULL, n, sc->pattern, sc->v, sc->z);
	linalg_matmul(n * P, D, E, sc->z, w + lp->W_O + (size_t)h * E * D, 0.0f,
		      sc->out[edge_head_sender(g, l, h)]);
	if (ea->attrib)
		edge_attrib_head(ea, l, h, e0, n);
}

static void add_bias(size_t rows, int d, const float *bias, float *x)
{
	for (size_t r = 0; r < rows; r++)
		for (int j = 0; j < d; j++)
			x[r * d + j] += bias[j];
}

/* A sender this pass leaves alone: its clean output, copied. */
static int copy_clean(struct edge_ablator *ea, int s, int64_t e0, int n)
{
	if (ea->dirty[s])
		return 0;
	size_t row = (size_t)edge_sender_positions(ea->g, s) * ea->g->cfg.d_model;
	memcpy(ea->sc->out[s], ea->clean[s] + (size_t)e0 * row,
	       (size_t)n * row * sizeof(float));
	return 1;
}

/* mid = the block's residual at its P positions + b_O + its heads. */
static void attention_block(struct edge_ablator *ea, int l, int64_t e0,
			    int n)
{
	struct edge_scratch *sc = ea->sc;
	const struct edge_weights *t = ea->w;
	const struct transformer_config *c = &ea->g->cfg;
	const float *w = ea->m->params;
	int T = c->n_ctx, D = c->d_model;
	int P = edge_sender_positions(ea->g, edge_head_sender(ea->g, l, 0));
	int any = 0;
	for (int h = 0; h < c->n_heads; h++)
		any |= ea->dirty[edge_head_sender(ea->g, l, h)];
	if (any && c->layernorm)
		layernorm_forward(n * T, D, sc->resid, w + t->lp[l].ln1_w,
				  w + t->lp[l].ln1_b, sc->shared, sc->stats);
	else if (any)
		memcpy(sc->shared, sc->resid, (size_t)n * T * D * sizeof(float));
	for (int h = 0; h < c->n_heads; h++)
		if (!copy_clean(ea, edge_head_sender(ea->g, l, h), e0, n))
			head_forward(ea, l, h, e0, n);
	edge_last_rows(n, T, P, D, sc->resid, sc->mid);
	add_bias((size_t)n * P, D, w + t->lp[l].b_O, sc->mid);
	for (int h = 0; h < c->n_heads; h++) {
		const float *o = sc->out[edge_head_sender(ea->g, l, h)];
		for (size_t i = 0; i < (size_t)n * P * D; i++)
			sc->mid[i] += o[i];
	}
}

/* The MLP's output from mid (corrected for its ablated edges). */
static void mlp_output(struct edge_ablator *ea, int l, int64_t e0, int n)
{
	struct edge_scratch *sc = ea->sc;
	const struct edge_weights *t = ea->w;
	const struct transformer_config *c = &ea->g->cfg;
	const struct edge_layer *lp = &t->lp[l];
	const float *w = ea->m->params;
	int D = c->d_model, M = c->d_mlp, s = edge_mlp_sender(ea->g, l);
	int rows = n * edge_sender_positions(ea->g, s);
	const float *x = sc->mid;
	if (has_cut(ea, edge_mlp_receiver(ea->g, l))) {
		receiver_input(ea, edge_mlp_receiver(ea->g, l), sc->mid,
			       edge_sender_positions(ea->g, s), e0, n, sc->x);
		x = sc->x;
	}
	if (c->layernorm) {
		layernorm_forward(rows, D, x, w + lp->ln2_w, w + lp->ln2_b,
				  sc->xln, sc->stats);
		x = sc->xln;
	}
	linalg_matmul(rows, M, D, x, w + lp->W_in, 0.0f, sc->pre);
	for (int r = 0; r < rows; r++)
		activation_forward_row(c->act, M, sc->pre + (size_t)r * M,
				       w + lp->b_in, sc->post + (size_t)r * M);
	linalg_matmul(rows, D, M, sc->post, w + lp->W_out, 0.0f, sc->out[s]);
	if (ea->attrib)
		edge_attrib_mlp(ea, l, e0, n);
}

/* resid = mid + b_out + the MLP's output. */
static void mlp_block(struct edge_ablator *ea, int l, int64_t e0, int n)
{
	struct edge_scratch *sc = ea->sc;
	const struct edge_weights *t = ea->w;
	int D = ea->g->cfg.d_model, s = edge_mlp_sender(ea->g, l);
	size_t count = (size_t)n * edge_sender_positions(ea->g, s) * D;
	if (!copy_clean(ea, s, e0, n))
		mlp_output(ea, l, e0, n);
	for (size_t i = 0; i < count; i++)
		sc->resid[i] = sc->mid[i] + sc->out[s][i];
	add_bias(count / D, D, ea->m->params + t->lp[l].b_out, sc->resid);
}

static void embed_chunk(struct edge_ablator *ea, const int32_t *tok, int n)
{
	struct edge_scratch *sc = ea->sc;
	const struct edge_weights *t = ea->w;
	int T = ea->g->cfg.n_ctx, D = ea->g->cfg.d_model;
	const float *we = ea->m->params + t->W_E, *wp = ea->m->params + t->W_pos;
	for (size_t r = 0; r < (size_t)n * T; r++) {
		const float *a = we + (size_t)tok[r] * D, *b = wp + (r % T) * D;
		for (int j = 0; j < D; j++)
			sc->out[0][r * D + j] = a[j] + b[j];
	}
	memcpy(sc->resid, sc->out[0], (size_t)n * T * D * sizeof(float));
}

static void unembed_chunk(struct edge_ablator *ea, int P, int64_t e0, int n)
{
	struct edge_scratch *sc = ea->sc;
	const struct edge_weights *t = ea->w;
	const struct transformer_config *c = &ea->g->cfg;
	const float *w = ea->m->params;
	int K = c->n_outputs, D = c->d_model, U = c->d_vocab_out;
	receiver_input(ea, ea->g->nrecv - 1, sc->resid, P, e0, n, sc->x);
	const float *x = sc->x;
	if (c->layernorm) {
		layernorm_forward(n * K, D, x, w + t->lnf_w, w + t->lnf_b,
				  sc->xln, sc->stats);
		x = sc->xln;
	}
	for (int r = 0; r < n * K; r++)
		memcpy(sc->logits + (size_t)r * U, w + t->b_U, (size_t)U * sizeof(float));
	linalg_matmul(n * K, U, D, x, w + t->W_U, 1.0f, sc->logits);
	if (ea->attrib)
		edge_attrib_logits(ea, e0, n);
}

void edge_pass_chunk(struct edge_ablator *ea, const int32_t *tok,
		     int64_t e0, int n)
{
	const struct transformer_config *c = &ea->g->cfg;
	int P = c->n_ctx;
	embed_chunk(ea, tok, n);
	for (int l = 0; l < c->n_layers; l++) {
		attention_block(ea, l, e0, n);
		P = edge_sender_positions(ea->g, edge_head_sender(ea->g, l, 0));
		if (c->attn_only)
			memcpy(ea->sc->resid, ea->sc->mid,
			       (size_t)n * P * c->d_model * sizeof(float));
		else
			mlp_block(ea, l, e0, n);
	}
	unembed_chunk(ea, P, e0, n);
}
