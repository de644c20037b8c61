/* The transformer's internals, shared by transformer.c (construction,
 * configuration, the model interface) and transformer_pass.c (forward and
 * backward passes). Not part of the library's interface. Letters: n
 * examples in a chunk, T n_ctx, P positions a block computes (see
 * block_positions), K labelled positions, D d_model, H heads, E d_head,
 * M d_mlp, V d_vocab, U d_vocab_out, L blocks. */
#ifndef TRAJ_TRANSFORMER_IMPL_H
#define TRAJ_TRANSFORMER_IMPL_H

#include <stdint.h>

#include "model/transformer.h"

/* Offsets of a block's parameters in params (and grads). */
struct tf_layer {
	size_t ln1_w, ln1_b, W_Q, W_K, W_V, W_O, b_Q, b_K, b_V, b_O;
	size_t ln2_w, ln2_b, W_in, b_in, W_out, b_out;
};

/* A block's activations, kept for the backward pass. */
struct tf_acts {
	float *resid_pre;  /* (n, T, D) */
	float *ln1;        /* (n, T, D); == resid_pre without LN */
	float *ln1_stats;  /* (n, T, 2) */
	float *q;          /* (n, P, H*E) */
	float *k, *v;      /* (n, T, H*E) */
	float *pattern;    /* (n, H, P, T) */
	float *z;          /* (n, P, H*E) */
	float *resid_mid;  /* (n, P, D) */
	float *ln2;        /* (n, P, D); == resid_mid without LN */
	float *ln2_stats;  /* (n, P, 2) */
	float *pre, *post; /* (n, P, M); post == pre for relu */
	float *resid_post; /* (n, P, D); == resid_mid when attention-only */
};

enum {
	HK_RESID_PRE, HK_LN1, HK_Q, HK_K, HK_V, HK_SCORES, HK_PATTERN, HK_Z,
	HK_RESID_MID, HK_LN2, HK_MLP_PRE, HK_MLP_POST, HK_RESID_POST, NHK
};

/* Block 0's attention inputs as tables over (position, token) pairs,
 * rows r = position * V + token; see table_forward. */
#define TF_TABLE_MAX_ROWS 65536
struct tf_table {
	size_t rows;       /* T * V, or 0 when too large to keep */
	float *x;          /* (T*V, D) W_E[token] + W_pos[position] */
	float *ln;         /* (T*V, D) LN1 of x; == x without LN */
	float *stats;      /* (T*V, 2) */
	float *q, *k, *v;  /* (T*V, H*E) */
	float *dq, *dk, *dv; /* (T*V, H*E) */
	float *dx;         /* (T*V, D) */
};

struct transformer {
	struct transformer_config cfg;
	struct tf_table tab;
	int table_mode;    /* -1 automatic, 0 never, 1 whenever possible */
	int use_table;     /* this pass computes block 0 from the tables */
	int32_t *qrow, *kvrow; /* (n, T) table rows of block 0's queries, keys */
	size_t W_E, W_pos, lnf_w, lnf_b, W_U, b_U;
	struct tf_layer lp[TF_MAX_LAYERS];
	struct tf_acts act[TF_MAX_LAYERS];
	int hook[TF_MAX_LAYERS][NHK]; /* index in the hook table, or -1 */
	int hook_embed, hook_pos_embed, hook_lnf;
	struct hook_point *hooks;
	int live;          /* hooks fire in this pass; every position computed */
	int full;          /* a gradient pass with a gradient hook: every
			      position computed, gradient hooks fire */
	int64_t e0;        /* the pass's first example, for gradient hooks */
	float *packed;     /* (L, 3, D, H*E): W_Q, W_K, W_V as (D, H*E) */
	float *dpacked;    /* (D, H*E) */
	float *xa, *dxa;   /* (n, K, D) query rows of the last block */
	float *lnf;        /* (n, T, D) */
	float *lnf_stats;  /* (n, T, 2) */
	float *urows;      /* (n, K, D) unembedding input when P > K */
	const float *uin;  /* the unembedding input of this pass */
	float *logits;     /* (n, K, U), then d loss / d logits */
	float *dA, *dB, *dtmp; /* (n, T, D) */
	float *dmlp;       /* (n, T, M) */
	float *dq, *dk, *dv, *dz; /* (n, T, H*E) */
	float *scratch;    /* the one allocation behind all of the above */
};

static inline struct transformer *impl(const struct model *m)
{
	return m->impl;
}

static inline int has_mlp(const struct transformer_config *c)
{
	return !c->attn_only;
}

/* Positions computed by block l. */
static inline int block_positions(const struct transformer *t, int l)
{
	const struct transformer_config *c = &t->cfg;
	return l < c->n_layers - 1 || t->live || t->full ? c->n_ctx
							 : c->n_outputs;
}

/* One forward pass over examples [e0, e0 + n) of a batch whose tokens
 * start at tok (already offset to e0): logits (n, K, U) in t->logits. */
void transformer_forward(struct model *m, const int32_t *tok, int64_t e0, int n);
/* From d loss / d logits in t->logits, adds the parameter gradients. */
void transformer_backward(struct model *m, const int32_t *tok, int n);

#endif
