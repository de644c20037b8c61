/* Shared by edge_pass.c (one chunk's forward pass with edges ablated)
 * and edge_ablate.c (passes over the whole batch). Not part of the
 * library's interface. Letters: n examples in
 * the chunk, T n_ctx, P positions of a block, K labelled positions,
 * D d_model, E d_head, M d_mlp, U d_vocab_out. */
#ifndef TRAJ_EDGE_IMPL_H
#define TRAJ_EDGE_IMPL_H

#include "interp/edges.h"

#define EDGE_CHUNK 512 /* examples per chunk */

struct edge_scratch {
	float **out;       /* per sender: (n, P_s, D) its output this pass */
	float *resid;      /* (n, T, D) the residual stream entering a block */
	float *mid;        /* (n, P, D) after the block's attention */
	float *shared;     /* (n, T, D) LN1 of resid (with LayerNorm) */
	float *x, *xln;    /* (n, T, D) one receiver's input, normalised */
	float *stats;      /* (n, T, 2) */
	float *q, *k, *v, *z; /* (n, T, E) */
	float *pattern;    /* (n, T, T) */
	float *pre, *post; /* (n, P, M) */
	float *logits;     /* (n, K, U) */
	float *block;      /* the one allocation behind all of the above */
};

/* Where the edge passes find the transformer's weights and hooks: by
 * their TransformerLens names, through the model interface
 * (model_find_view, model_find_hook), never the transformer's internals.
 * Offsets are in floats into m->params (unused where the model has no
 * such weight: LayerNorm, an attention-only block's MLP); hooks are
 * indices into m->hooks, -1 where there is none. */
struct edge_layer {
	size_t ln1_w, ln1_b, W_Q, W_K, W_V, W_O, b_Q, b_K, b_V, b_O;
	size_t ln2_w, ln2_b, W_in, b_in, W_out, b_out;
	int hook_z, hook_post, hook_resid_post;
};
struct edge_weights {
	size_t W_E, W_pos, lnf_w, lnf_b, W_U, b_U;
	struct edge_layer lp[TF_MAX_LAYERS];
};

/* Finds every weight and hook of g's transformer m. Errors:
 * TRAJ_EINTERNAL naming a weight or hook m does not have. */
int edge_weights_find(const struct model *m, const struct edge_graph *g,
		      struct edge_weights *w, struct traj_error *err);

/* Allocates the scratch for g; NULL when out of memory. */
struct edge_scratch *edge_scratch_new(const struct edge_graph *g);
void edge_scratch_free(struct edge_scratch *sc);

/* The forward pass of examples [e0, e0 + n) (n <= EDGE_CHUNK, tokens
 * already offset to e0) with the edges ea->cut ablated: every sender's
 * output in ea->sc->out, the logits in ea->sc->logits. */
void edge_pass_chunk(struct edge_ablator *ea, const int32_t *tok,
		     int64_t e0, int n);

/* dst (n, Q, D) = the last Q of every example's P rows of src. */
void edge_last_rows(int n, int P, int Q, int D, const float *src,
		    float *dst);
/* Sender s's replacement at position row t (of its P_s) of example e, or
 * NULL for zero. */
const float *edge_replacement(const struct edge_ablator *ea, int s,
			      int64_t e, int t);

/* Attribution (edge_attrib.c), called by a clean pass while ea->attrib
 * is set: after head h of block l (its q, k, v and pattern in the
 * scratch), after block l's MLP, after the unembedding. */
void edge_attrib_head(struct edge_ablator *ea, int l, int h, int64_t e0,
		      int n);
void edge_attrib_mlp(struct edge_ablator *ea, int l, int64_t e0, int n);
void edge_attrib_logits(struct edge_ablator *ea, int64_t e0, int n);

#endif
