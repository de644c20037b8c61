/* Edge attribution patching (edges.h, edge_attribute): the gradient of
 * the loss at every receiver's own input, from one gradient pass of the
 * model, dotted with each sender's replacement minus its output.
 *
 * The model's backward pass gives d loss / d hook_z of every block,
 * d loss / d mlp.hook_post and d loss / d the last hook_resid_post. The
 * last one is the logits receiver's gradient as it is (the unembedding,
 * and ln_final, read nothing else). A head's q, k and v inputs and an
 * MLP's input are taken from there by hand, during a clean edge pass
 * that has the head's q, k, v and pattern (or the MLP's pre-activation)
 * at hand: back through attention (attention_backward) and W_Q, W_K, W_V,
 * or through the activation and W_in, then LayerNorm. */
#include "interp/edge_impl.h"

#include <stdlib.h>
#include <string.h>

#include "model/activation.h"
#include "model/attention.h"
#include "model/layernorm.h"
#include "common/linalg.h"

struct edge_attrib {
	float **grad;       /* per hook: (N, numel) d loss / d act, or NULL */
	double *score;      /* per edge */
	float *dq, *dk, *dv, *dx, *dln, *dw; /* chunk scratch */
	float *rows, *stats; /* (n, T, D), (n, T, 2): gathered LN inputs */
};

static void grab_grad(void *ctx, int hook, int64_t e0, int n,
		      const float *act, const float *grad)
{
	struct edge_ablator *ea = ctx;
	(void)act;
	float *dst = ea->attrib->grad[hook];
	if (!dst)
		return;
	size_t numel = ea->m->hooks[hook].numel;
	memcpy(dst + (size_t)e0 * numel, grad, (size_t)n * numel * sizeof *grad);
}

static int block_hook(const struct model *m, int l, const char *leaf)
{
	char name[HOOK_NAME_MAX];
	snprintf(name, sizeof name, "blocks.%d.%s", l, leaf);
	return model_find_hook(m, name);
}

/* Gradient buffers for the hooks the attribution reads. */
static int want_grads(struct edge_ablator *ea)
{
	const struct model *m = ea->m;
	const struct transformer_config *c = &ea->g->cfg;
	struct edge_attrib *at = ea->attrib;
	at->grad = calloc((size_t)m->nhooks, sizeof *at->grad);
	if (!at->grad)
		return -1;
	for (int l = 0; l < c->n_layers; l++) {
		int want[3] = { block_hook(m, l, "attn.hook_z"),
				c->attn_only ? -1 : block_hook(m, l, "mlp.hook_post"),
				l == c->n_layers - 1 ?
				block_hook(m, l, "hook_resid_post") : -1 };
		for (int i = 0; i < 3; i++) {
			if (want[i] < 0)
				continue;
			at->grad[want[i]] = malloc(((size_t)ea->data.n *
						    m->hooks[want[i]].numel + 1) *
						   sizeof(float));
			if (!at->grad[want[i]])
				return -1;
		}
	}
	return 0;
}

static int attrib_new(struct edge_ablator *ea)
{
	const struct transformer_config *c = &ea->g->cfg;
	size_t n = EDGE_CHUNK, T = c->n_ctx, D = c->d_model, E = c->d_head;
	size_t M = c->attn_only ? 0 : c->d_mlp;
	struct edge_attrib *at = calloc(1, sizeof *at);
	if (!(ea->attrib = at))
		return -1;
	at->score = calloc((size_t)ea->g->nedges + 1, sizeof *at->score);
	at->dq = malloc(n * T * E * sizeof(float));
	at->dk = malloc(n * T * E * sizeof(float));
	at->dv = malloc(n * T * E * sizeof(float));
	at->dx = malloc(n * T * (D > M ? D : M) * sizeof(float));
	at->dln = malloc(n * T * D * sizeof(float));
	at->dw = malloc(2 * D * sizeof(float));
	at->rows = malloc(n * T * D * sizeof(float));
	at->stats = malloc(n * T * 2 * sizeof(float));
	if (!at->score || !at->dq || !at->dk || !at->dv || !at->dx ||
	    !at->dln || !at->dw || !at->rows || !at->stats)
		return -1;
	return want_grads(ea);
}

static void attrib_free(struct edge_ablator *ea)
{
	struct edge_attrib *at = ea->attrib;
	if (!at)
		return;
	for (int h = 0; at->grad && h < ea->m->nhooks; h++)
		free(at->grad[h]);
	free(at->grad);
	float *bufs[] = { at->dq, at->dk, at->dv, at->dx, at->dln, at->dw,
			  at->rows, at->stats };
	for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
		free(bufs[i]);
	free(at->score);
	free(at);
	ea->attrib = NULL;
}

/* score of every edge into r += sum (replacement - output) . g, with g
 * (n, P_r, D) the gradient at r's input for examples e0.. */
static void add_scores(struct edge_ablator *ea, int r, const float *g,
		       int64_t e0, int n)
{
	const struct edge_graph *g_ = ea->g;
	const struct edge_receiver *rr = &g_->recv[r];
	int Pr = edge_receiver_positions(g_, r), D = g_->cfg.d_model;
	for (int s = 0; s < rr->nsend; s++) {
		int Ps = edge_sender_positions(g_, s);
		double sum = 0.0;
		for (int b = 0; b < n; b++)
			for (int i = 0; i < Pr; i++) {
				int t = Ps - Pr + i;
				const float *o = ea->sc->out[s] + ((size_t)b * Ps + t) * D;
				const float *rep = edge_replacement(ea, s, e0 + b, t);
				const float *gr = g + ((size_t)b * Pr + i) * D;
				for (int j = 0; j < D; j++)
					sum += ((rep ? rep[j] : 0.0f) - o[j]) * (double)gr[j];
			}
		ea->attrib->score[rr->first_edge + s] += sum;
	}
}

/* dst (n, Q, width) = the last Q of the T rows of examples e0.. in a
 * captured gradient (N, T, width) at column offset lo, len columns. */
static void grad_rows(const float *grad, int T, int width, int64_t e0, int n,
		      int Q, int lo, int len, float *dst)
{
	for (int b = 0; b < n; b++)
		for (int i = 0; i < Q; i++)
			memcpy(dst + ((size_t)b * Q + i) * len,
			       grad + (((size_t)(e0 + b)) * T + (T - Q + i)) * width + lo,
			       (size_t)len * sizeof *dst);
}

/* From d loss / d (normalised input) in dy (rows, D) to d loss / d input
 * in at->dln, through LayerNorm (x the input rows, their stats); without
 * LayerNorm dy itself. */
static const float *through_ln(struct edge_ablator *ea, int rows,
			       const float *x, const float *stats,
			       const float *w, const float *dy)
{
	struct edge_attrib *at = ea->attrib;
	int D = ea->g->cfg.d_model;
	if (!ea->g->cfg.layernorm)
		return dy;
	memset(at->dln, 0, (size_t)rows * D * sizeof(float));
	memset(at->dw, 0, 2 * (size_t)D * sizeof(float));
	layernorm_backward(rows, D, x, stats, w, dy, at->dln, at->dw, at->dw + D);
	return at->dln;
}

void edge_attrib_head(struct edge_ablator *ea, int l, int h, int64_t e0,
		      int n)
{
	struct edge_attrib *at = ea->attrib;
	struct edge_scratch *sc = ea->sc;
	const struct edge_weights *t = ea->w;
	const struct transformer_config *c = &ea->g->cfg;
	const struct edge_layer *lp = &t->lp[l];
	const float *w = ea->m->params;
	const struct edge_graph *g = ea->g;
	int T = c->n_ctx, D = c->d_model, E = c->d_head, HE = c->n_heads * E;
	int P = edge_sender_positions(g, edge_head_sender(g, l, h));
	grad_rows(at->grad[t->lp[l].hook_z], T, HE, e0, n, P, h * E, E, at->dx);
	memset(at->dq, 0, (size_t)n * P * E * sizeof(float));
	memset(at->dk, 0, (size_t)n * T * E * sizeof(float));
	memset(at->dv, 0, (size_t)n * T * E * sizeof(float));
	struct attn_dims dims = { T, P, 1, E };
	attention_backward(&dims, NULL, n, sc->q, sc->k, sc->v, sc->pattern,
			   at->dx, at->dq, at->dk, at->dv);
	const float *dy[3] = { at->dq, at->dk, at->dv };
	size_t W[3] = { lp->W_Q, lp->W_K, lp->W_V };
	for (int i = EI_Q; i <= EI_V; i++) {
		int r = edge_head_receiver(g, l, h, (enum edge_input)i);
		int Pr = edge_receiver_positions(g, r);
		float *din = sc->xln; /* free once q, k, v are computed */
		linalg_matmul_nt(n * Pr, D, E, dy[i], w + W[i] + (size_t)h * D * E,
				 din);
		/* the clean input: the block's residual, its LN1 statistics */
		edge_last_rows(n, T, Pr, D, sc->resid, at->rows);
		edge_last_rows(n, T, Pr, 2, sc->stats, at->stats);
		add_scores(ea, r, through_ln(ea, n * Pr, at->rows, at->stats,
					     w + lp->ln1_w, din), e0, n);
	}
}

void edge_attrib_mlp(struct edge_ablator *ea, int l, int64_t e0, int n)
{
	struct edge_attrib *at = ea->attrib;
	struct edge_scratch *sc = ea->sc;
	const struct edge_weights *t = ea->w;
	const struct transformer_config *c = &ea->g->cfg;
	const struct edge_layer *lp = &t->lp[l];
	const float *w = ea->m->params;
	int T = c->n_ctx, D = c->d_model, M = c->d_mlp;
	int P = edge_sender_positions(ea->g, edge_mlp_sender(ea->g, l));
	int rows = n * P;
	grad_rows(at->grad[t->lp[l].hook_post], T, M, e0, n, P, 0, M, at->dx);
	for (int r = 0; r < rows; r++)
		activation_backward_row(c->act, M, sc->pre + (size_t)r * M,
					at->dx + (size_t)r * M, NULL);
	linalg_matmul_nt(rows, D, M, at->dx, w + lp->W_in, sc->xln);
	add_scores(ea, edge_mlp_receiver(ea->g, l),
		   through_ln(ea, rows, sc->mid, sc->stats, w + lp->ln2_w,
			      sc->xln), e0, n);
}

void edge_attrib_logits(struct edge_ablator *ea, int64_t e0, int n)
{
	struct edge_attrib *at = ea->attrib;
	const struct edge_weights *t = ea->w;
	const struct transformer_config *c = &ea->g->cfg;
	int T = c->n_ctx, D = c->d_model, K = c->n_outputs;
	grad_rows(at->grad[t->lp[c->n_layers - 1].hook_resid_post], T, D, e0,
		  n, K, 0, D, at->dx);
	add_scores(ea, ea->g->nrecv - 1, at->dx, e0, n);
}

int edge_attribute(struct edge_ablator *ea, double *score,
		   struct traj_error *err)
{
	struct model *m = ea->m;
	if (attrib_new(ea) < 0) {
		attrib_free(ea);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	memset(m->grads, 0, m->nparams * sizeof *m->grads);
	model_set_grad_hook(m, grab_grad, ea);
	float loss;
	int rc = m->ops->loss(m, &ea->data, 1, &loss, err);
	model_set_grad_hook(m, NULL, NULL);
	if (rc < 0) {
		attrib_free(ea);
		return -1;
	}
	ea->forward_passes++;
	ea->backward_passes++;
	edge_eval(ea, NULL, 0, NULL); /* the clean pass calls the above */
	memcpy(score, ea->attrib->score, (size_t)ea->g->nedges * sizeof *score);
	attrib_free(ea);
	return 0;
}
