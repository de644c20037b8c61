/* The components ablation and patching act on (traj-ablate(1)): sets of
 * activation elements at one hook point of a model. A neuron is one unit
 * of an MLP's hook_post at every position, an attention head its d_head
 * slice of hook_z at every position, a whole layer every head's hook_z or
 * every unit of hook_post, a direction u in a residual-stream hook the
 * projection x.u u at every position. They are found from the model's
 * hook table alone (ablate_comp.c), so any model with TransformerLens's
 * hook_z / mlp.hook_post or the MLP's layers.i.hook_post has them. */
#ifndef TRAJ_ABLATE_COMP_H
#define TRAJ_ABLATE_COMP_H

#include <stddef.h>

#include "common/error.h"
#include "model/model.h"

/* COMP_FREQ: a Fourier frequency of a modular task's logits
 * (logits.freq.K, index K - 1; traj-ablate --by freq, logit_freq.h),
 * evaluated on the clean logits; COMP_EDGE: an edge between a
 * transformer's components (edges.h, index the edge's), evaluated by an
 * edge ablator; COMP_GROUP: a set of an ablator's components ablated
 * together (ablate_groups.h). None is ever given to an ablator. */
enum comp_kind { COMP_NEURON, COMP_HEAD, COMP_LAYER, COMP_DIRECTION,
		 COMP_FREQ, COMP_EDGE, COMP_GROUP };

#define COMP_NAME_MAX 96
struct component {
	char name[COMP_NAME_MAX]; /* blocks.0.attn.head3, blocks.0.mlp.n17,
				     blocks.0.attn, blocks.0.mlp, layers.0,
				     layers.0.n5, direction */
	enum comp_kind kind;
	int hook;       /* index in the model's hook table */
	int rows;       /* positions: the hook's numel / width */
	int width;      /* floats per position */
	int lo, len;    /* the elements [lo, lo + len) of every row */
	int layer;      /* block (transformer) or hidden layer (MLP) */
	int index;      /* head or neuron; -1 for a layer or direction */
	int is_attn;    /* transformer attention (heads, attn layer) */
};

/* Every component of m, in forward order: per transformer block the
 * attention layer, its heads, the MLP layer, its neurons; per MLP hidden
 * layer the layer and its neurons. *out is malloc'd. Returns the count,
 * or -1 (TRAJ_ENOMEM; TRAJ_EDATA for a model without such hooks). */
int ablate_components_list(const struct model *m, struct component **out,
		    struct traj_error *err);
/* Whether a component is atomic (a neuron, a head, a direction), the
 * units circuits are built from. */
int ablate_component_atomic(const struct component *c);
/* Index of the component called `name` in c (n of them), or -1. */
int ablate_component_find(const struct component *c, int n, const char *name);
/* Fills `out` with the direction component at hook `hook_name`, whose
 * innermost dimension must be dir_len (TRAJ_EUSAGE otherwise, the
 * message listing the hooks that fit). */
int ablate_component_direction(const struct model *m, const char *hook_name,
			int dir_len, struct component *out,
			struct traj_error *err);
/* A short description of the valid component names of m, for errors:
 * "blocks.0.attn, blocks.0.attn.head0..3, blocks.0.mlp, ..." */
void ablate_components_describe(const struct component *c, int n, char *buf,
			 size_t size);

#endif
