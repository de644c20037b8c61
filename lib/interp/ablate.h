/* Ablation and activation patching on a model's hooks (traj-ablate(1)).
 *
 * A component is a set of activation elements at one hook point: a
 * neuron (one unit of an MLP's hook_post at every position), an
 * attention head (its d_head slice of hook_z at every position), a whole
 * layer (every head's hook_z, every unit of hook_post), or a direction u
 * in a residual-stream hook (the projection x.u u at every position).
 *
 * An ablation pass evaluates the model over a fixed batch with some
 * components replaced: by zero, by their mean over the batch, by their
 * value on another example of the batch (resample, a fixed random
 * permutation), or by a source captured beforehand (patching: the same
 * examples' clean input, or another checkpoint's model). For a direction
 * only the projection is replaced: x + ((r - x).u) u.
 *
 * Every pass over the batch counts as one forward pass (`passes`); a
 * gradient pass counts one forward and one backward. The engine never
 * prints. */
#ifndef TRAJ_ABLATE_H
#define TRAJ_ABLATE_H

#include <stdint.h>

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

enum ablate_method { ABL_ZERO, ABL_MEAN, ABL_RESAMPLE, ABL_PATCH };
const char *ablate_method_name(enum ablate_method m);
int ablate_method_from_name(const char *name, enum ablate_method *out);

struct ablator {
	struct model *m;
	struct batch data;        /* the examples each pass evaluates */
	enum ablate_method method;
	const struct component *comps;
	int ncomps;
	const float *dir;         /* unit direction, for COMP_DIRECTION */
	float **cap;              /* per hook: (n, numel) clean activations of
				     `data`, for used hooks only */
	float **mean;             /* per hook: (numel) mean over data */
	float **src;              /* per hook: (n, numel) patch source */
	float **grad;             /* per hook: (n, numel) d loss / d act */
	int32_t *perm;            /* resample: example e takes perm[e]'s */
	const int *active;        /* components ablated in this pass */
	int nactive;
	float **capture_into;     /* capture pass target, or NULL */
	int64_t base;             /* first example of the chunk evaluated */
	int64_t forward_passes, backward_passes;
	struct ablate_fast *fast; /* ablator_reuse's state, or NULL */
};

/* Sets up (allocating the buffers of the hooks the components use) for
 * evaluation over `data` (borrowed, as are m, comps and dir). Errors:
 * TRAJ_ENOMEM. */
int ablator_init(struct ablator *a, struct model *m, const struct batch *data,
		 const struct component *comps, int ncomps,
		 enum ablate_method method, const float *dir, uint64_t seed,
		 struct traj_error *err);
void ablator_free(struct ablator *a);

/* The passes below evaluate the model's loss and accuracy over data into
 * *r (NAN over no examples, the mean of nothing) and return 0, or -1
 * with err set (TRAJ_ENOMEM). */
/* One clean pass over data that captures the activations (and means)
 * the method needs. */
int ablator_baseline(struct ablator *a, struct eval_result *r,
		     struct traj_error *err);
/* One clean pass of `model` (m, or another model with the same hooks)
 * over `b` (as many examples as data: else TRAJ_EINTERNAL), capturing
 * the patch source. Allocates a->src on first use. */
int ablator_capture_source(struct ablator *a, struct model *model,
			   const struct batch *b, struct eval_result *r,
			   struct traj_error *err);
/* One pass over data with the components active[0..n) replaced, in the
 * model `model` (a->m or one with the same hooks). */
int ablator_eval_in(struct ablator *a, struct model *model, const int *active,
		    int n, struct eval_result *r, struct traj_error *err);
int ablator_eval(struct ablator *a, const int *active, int n,
		 struct eval_result *r, struct traj_error *err);

/* Opt-in, before ablator_baseline, for passes in the model the ablator
 * was made with, whose weights stay as they are: passes whose components
 * all sit in a transformer's last block (heads, neurons, its attention or
 * MLP layer) restart from the clean pass's activations at the labelled
 * positions instead of recomputing the model (ablate_fast.c); they still
 * count as one forward pass each. Does nothing for other models (MLPs,
 * LayerNorm). Errors: TRAJ_ENOMEM. */
int ablator_reuse(struct ablator *a, struct traj_error *err);
void ablator_reuse_free(struct ablator *a);
int ablator_reuse_applies(const struct ablator *a, const int *active, int n);
/* A pass through the shortcut (ablator_reuse_applies must hold), as
 * ablator_eval. */
int ablator_reuse_eval(struct ablator *a, const int *active, int n,
		       struct eval_result *r, struct traj_error *err);
/* One row (width floats, one position of one example) takes src_row's
 * values (NULL: zeros) on component c. */
void ablator_replace_row(const struct ablator *a, const struct component *c,
			 float *row, const float *src_row);

/* The replacement activations of example e at hook h, (numel), or NULL
 * for zeros (the method's source: mean, another example, the patch). */
const float *ablator_source(const struct ablator *a, int h, int64_t e);

/* Attribution patching (attrib.c): one gradient pass over data, then for
 * every component c the first-order estimate of the loss change its
 * replacement causes, score[c] = sum over its elements and the examples
 * of (r - x) * d loss / d x, x the captured activation and r its
 * replacement. Needs ablator_baseline (and, for ABL_PATCH, the source)
 * first. Returns -1 with err set (TRAJ_ENOMEM). */
int ablator_attribute(struct ablator *a, double *score,
		      struct traj_error *err);

#endif
