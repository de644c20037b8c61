/* A decoder-only transformer with TransformerLens's parameter names,
 * shapes and hook names: learned positional embeddings, causal attention,
 * optional pre-LayerNorm, ReLU or GELU MLPs or attention-only blocks, an
 * untied unembedding.
 *
 * Parameters (in this order; [..] = shape, H heads, D d_model, E d_head,
 * M d_mlp, V d_vocab, U d_vocab_out, T n_ctx):
 *   embed.W_E [V, D]      pos_embed.W_pos [T, D]
 *   blocks.l.ln1.w/b [D]                                   (with LN)
 *   blocks.l.attn.W_Q/W_K/W_V [H, D, E]  W_O [H, E, D]
 *   blocks.l.attn.b_Q/b_K/b_V [H, E]     b_O [D]
 *   blocks.l.ln2.w/b [D]                     (with LN, not attn-only)
 *   blocks.l.mlp.W_in [D, M]  b_in [M]  W_out [M, D]  b_out [D]
 *                                                    (not attn-only)
 *   ln_final.w/b [D]                                       (with LN)
 *   unembed.W_U [D, U]  b_U [U]
 *
 * The loss reads the logits of the last K positions (K = "n_outputs":
 * 1 for "a b =" modular arithmetic), the label of position t being the
 * token that follows it. The last block therefore computes queries,
 * attention output, MLP and unembedding at those K positions only, the
 * rest of the network at all T: the same numbers as the full computation
 * for every output the loss reads. While a hook is set (model_set_hook)
 * every position is computed, so hooks see TransformerLens's full shapes:
 *   hook_embed, hook_pos_embed [T, D]
 *   blocks.l.hook_resid_pre [T, D]     blocks.l.ln1.hook_normalized [T, D]
 *   blocks.l.attn.hook_q/hook_k/hook_v/hook_z [T, H, E]
 *   blocks.l.attn.hook_attn_scores/hook_pattern [H, T, T]
 *   blocks.l.hook_resid_mid [T, D]     blocks.l.ln2.hook_normalized [T, D]
 *   blocks.l.mlp.hook_pre/hook_post [T, M]
 *   blocks.l.hook_resid_post [T, D]    ln_final.hook_normalized [T, D]
 * (resid_mid, ln2 and mlp hooks only in blocks with an MLP). */
#ifndef TRAJ_TRANSFORMER_H
#define TRAJ_TRANSFORMER_H

#include <cJSON.h>

#include "model/model.h"

#define TF_MAX_LAYERS 64
#define TF_MAX_DIM 65536
#define TF_MAX_CTX 4096

struct transformer_config {
	int n_layers;
	int d_model;         /* D */
	int n_heads;         /* H */
	int d_head;          /* E */
	int d_mlp;           /* M, ignored when attn_only */
	int d_vocab;         /* V, input tokens */
	int d_vocab_out;     /* U, classes */
	int n_ctx;           /* T */
	int n_outputs;       /* K, 1..T */
	enum activation act; /* relu or gelu */
	int layernorm;       /* 1: pre-LN blocks and ln_final */
	int attn_only;       /* 1: blocks without MLPs */
};

struct model *transformer_new(const struct transformer_config *cfg,
			      int max_batch, struct traj_error *err);

/* How block 0 computes its queries, keys and values: -1 (the default)
 * from (position, token) tables when the batch has at least d_vocab
 * examples, 0 always per example, 1 from the tables whenever hooks are
 * not live. The results agree to rounding; for tests and benchmarks. */
void transformer_set_table(struct model *m, int mode);
/* The configuration of m into *out; -1 when m is not a transformer. */
int transformer_config_of(const struct model *m,
			  struct transformer_config *out);

/* Parses the "model" object of a run header with TransformerLens's
 * config keys: {"kind": "transformer", "n_layers": 1, "d_model": 128,
 * "n_heads": 4, "d_head": 32, "d_mlp": 512, "d_vocab": 114,
 * "d_vocab_out": 113, "n_ctx": 3, "n_outputs": 1, "act_fn": "relu",
 * "normalization_type": null or "LN", "attn_only": false}. "n_outputs"
 * (1), "act_fn" ("relu"), "normalization_type" (null) and "attn_only"
 * (false) may be omitted. Errors name the field. */
int transformer_config_from_json(const cJSON *json,
				 struct transformer_config *cfg,
				 struct traj_error *err);
/* The inverse, with every field written; NULL when out of memory. */
cJSON *transformer_config_to_json(const struct transformer_config *cfg);

#endif
