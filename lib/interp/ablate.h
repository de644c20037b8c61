/* Ablation and activation patching on a model's hooks (traj-ablate(1)),
 * of the components of ablate_comp.h.
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
#include "interp/ablate_comp.h"
#include "model/model.h"

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
	int label;                /* only this labelled position counts in
				     loss and accuracy; -1 (ablator_init's):
				     all of them */
	int64_t forward_passes, backward_passes;
	struct ablate_fast *fast; /* ablator_reuse's state (ablate_fast.h),
				     or NULL */
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

/* One row (width floats, one position of one example) takes src_row's
 * values (NULL: zeros) on component c. */
void ablator_replace_row(const struct ablator *a, const struct component *c,
			 float *row, const float *src_row);

/* The replacement activations of example e at hook h, (numel), or NULL
 * for zeros (the method's source: mean, another example, the patch). */
const float *ablator_source(const struct ablator *a, int h, int64_t e);

#endif
