/* Edge-level ablation in a transformer (traj-ablate --by edge), in the
 * sense of ACDC (Conmy et al. 2023) and edge attribution patching (Syed
 * et al. 2023): the residual stream is a sum of the outputs of senders
 * (the embedding, every attention head, every MLP), and every receiver
 * (a head's query, key or value input, an MLP's input, the unembedding)
 * reads the sum of the senders before it. An edge S->R is one term of
 * R's sum; ablating it replaces S's output by its replacement (zero, the
 * mean over the batch, another example's, or a patch source's) in R's
 * input only, while every other receiver still reads S's own output.
 * Ablating every edge out of S is the same as ablating S.
 *
 * Senders, in forward order: embed (W_E[token] + W_pos[position]), then
 * per block l its heads blocks.l.attn.headH (z_H W_O[H]) and its MLP
 * blocks.l.mlp (post W_out). The biases b_O and b_out are constants of
 * the residual stream, never ablated. Receivers: per block l the inputs
 * blocks.l.attn.headH.q, .k, .v (each of which reads every sender of the
 * blocks before l) and blocks.l.mlp (those and block l's heads), then
 * logits (every sender). Edge names are "SENDER->RECEIVER", e.g.
 * "blocks.0.attn.head2->blocks.0.mlp" or "embed->blocks.1.attn.head0.k".
 * With LayerNorm each receiver normalises its own input.
 *
 * Positions: blocks before the last compute every position; the last
 * block's queries, MLP and the unembedding only the labelled ones, as the
 * model's own forward pass does (transformer.h). */
#ifndef TRAJ_EDGES_H
#define TRAJ_EDGES_H

#include <stdint.h>
#include <stdio.h>

#include "interp/ablate.h"
#include "model/transformer.h"

enum edge_sender_kind { ES_EMBED, ES_HEAD, ES_MLP };
enum edge_input { EI_Q, EI_K, EI_V, EI_MLP, EI_LOGITS };

#define EDGE_NODE_MAX 44                /* a sender's or receiver's name */
#define EDGE_NAME_MAX COMP_NAME_MAX     /* "SENDER->RECEIVER" */

struct edge_sender {
	char name[EDGE_NODE_MAX];
	enum edge_sender_kind kind;
	int layer, head;     /* -1 where it does not apply */
};

struct edge_receiver {
	char name[EDGE_NODE_MAX];
	enum edge_input input;
	int layer, head;     /* layer = n_layers for logits */
	int nsend;           /* it reads senders 0..nsend-1 */
	int first_edge;      /* its edges are first_edge + s, s < nsend */
};

struct edge {
	char name[EDGE_NAME_MAX];
	int sender, receiver;
};

struct edge_graph {
	struct transformer_config cfg;
	int nsend, nrecv, nedges;
	struct edge_sender *send;
	struct edge_receiver *recv;
	struct edge *edges;  /* receiver by receiver, senders in order */
};

/* The graph of a transformer; TRAJ_EUSAGE for any other model (naming
 * it), TRAJ_ENOMEM. */
int edge_graph_build(const struct model *m, struct edge_graph *g,
		     struct traj_error *err);
void edge_graph_free(struct edge_graph *g);
/* Index of the edge called `name`, or -1. */
int edge_find(const struct edge_graph *g, const char *name);
/* Positions the sender's (receiver's) block computes. */
int edge_sender_positions(const struct edge_graph *g, int s);
int edge_receiver_positions(const struct edge_graph *g, int r);
/* Indices of senders and receivers by place: head h of block l, input
 * EI_Q, EI_K or EI_V; the MLP of block l (not attention-only). */
int edge_head_sender(const struct edge_graph *g, int l, int h);
int edge_mlp_sender(const struct edge_graph *g, int l);
int edge_head_receiver(const struct edge_graph *g, int l, int h,
		       enum edge_input input);
int edge_mlp_receiver(const struct edge_graph *g, int l);

struct edge_scratch;  /* one chunk's buffers (edge_impl.h) */
struct edge_weights;  /* where the weights are (edge_impl.h) */
struct edge_attrib;   /* attribution state (edge_attrib.c) */

/* Evaluates the model over `data` with chosen edges ablated. The method's
 * replacement is measured on a clean pass: edge_baseline (zero, mean,
 * resample: a fixed random permutation of the examples from `seed`, as
 * ablator_init draws it) or edge_capture_source (patch: the clean run of
 * another batch of as many examples, e.g. the uncorrupted inputs). */
struct edge_ablator {
	struct model *m;
	const struct edge_graph *g;
	struct batch data;
	enum ablate_method method;
	int32_t *perm;        /* resample: example e takes perm[e]'s outputs */
	float **mean;         /* per sender: (P_s, D) mean output */
	float **clean;        /* per sender: (N, P_s, D) clean outputs on data
				 (the resample source too) */
	float **src;          /* per sender: (N, P_s, D), patch source */
	unsigned char *cut;   /* per edge: ablated in this pass */
	unsigned char *dirty; /* per sender: its output differs from the
				 clean one in this pass (others are copied) */
	int have_clean;       /* clean filled by edge_baseline */
	struct edge_scratch *sc;
	struct edge_weights *w;
	struct edge_attrib *attrib; /* set during edge_attribute only */
	int label;            /* only this labelled position counts in loss
				 and accuracy; -1 (init's): all of them */
	float cut_scale;      /* an ablated edge carries o + cut_scale (r - o):
				 1 (set by init) ablates; other values move
				 part of the way, for derivative checks */
	int64_t forward_passes, backward_passes;
};

/* Every sender's clean outputs over the examples are kept (for resample
 * and patch they are the replacements; for zero and mean they let a pass
 * copy the senders an ablation leaves alone) up to this many bytes; past
 * it zero and mean compute every sender, resample and patch refuse. */
#define EDGE_OUTPUTS_MAX ((size_t)1 << 30)

/* Errors: TRAJ_EUSAGE (not a transformer; resample or patch past
 * EDGE_OUTPUTS_MAX), TRAJ_ENOMEM. m, g and data are borrowed. */
int edge_ablator_init(struct edge_ablator *ea, struct model *m,
		      const struct edge_graph *g, const struct batch *data,
		      enum ablate_method method, uint64_t seed,
		      struct traj_error *err);
void edge_ablator_free(struct edge_ablator *ea);

/* The clean pass over data, capturing the replacements (means; every
 * output for resample): its loss and accuracy into *r (NAN over no
 * examples, the mean of nothing). Errors: TRAJ_ENOMEM. */
int edge_baseline(struct edge_ablator *ea, struct eval_result *r,
		  struct traj_error *err);
/* Patch: the clean pass over `source` captures the outputs that replace
 * the ablated edges', its result into *r. Errors: TRAJ_EINTERNAL when
 * source and data differ in their number of examples, or for a method
 * other than ABL_PATCH (no source buffers). */
int edge_capture_source(struct edge_ablator *ea, const struct batch *source,
			struct eval_result *r, struct traj_error *err);
/* One pass over data with the edges active[0..n) ablated. With logits
 * not NULL, also the (N, K, U) logits. Allocates nothing and cannot
 * fail. */
struct eval_result edge_eval(struct edge_ablator *ea, const int *active,
			     int n, float *logits);

/* Edge attribution patching (Syed et al. 2023): for every edge S->R the
 * first-order estimate of the loss change its ablation causes,
 * score[e] = sum over the examples and R's positions of (r_S - o_S) .
 * d loss / d x_R, o_S the sender's clean output, r_S its replacement, x_R
 * the receiver's own input. One gradient pass of the model (one forward,
 * one backward) and one clean edge pass (one forward), for every edge at
 * once. Needs edge_baseline (and for patch edge_capture_source) first.
 * Errors: TRAJ_ENOMEM. */
int edge_attribute(struct edge_ablator *ea, double *score,
		   struct traj_error *err);

/* The kept edges as a Graphviz digraph: nodes are the senders and
 * receivers' components (a head's q, k and v inputs label its incoming
 * edges), the input and the logits; weight[e] labels edge e. */
void edge_write_dot(FILE *out, const char *run, int64_t step,
		    const struct edge_graph *g, const unsigned char *keep,
		    const double *weight);

#endif
