/* Capturing activations at hook points (model.h) for a set of inputs:
 * one forward pass without gradients over the inputs, in chunks, with a
 * hook callback that copies the chosen hooks' values into one (n, width)
 * float matrix per hook.
 *
 * For transformers a hook holds every position; one position is kept:
 * row `pos` of the [T, ...] hooks, and for the attention scores and
 * pattern [H, T, T] the query row `pos` of every head (H * T values). */
#ifndef TRAJ_PROBE_CAPTURE_H
#define TRAJ_PROBE_CAPTURE_H

#include <stdint.h>

#include "common/error.h"
#include "model/model.h"
#include "analysis/targets.h"

#define CAPTURE_MAX_HOOKS 256
/* Examples per forward pass; also the model's max_batch for probing. */
#define CAPTURE_BATCH 512

struct capture {
	int nh;
	int hook[CAPTURE_MAX_HOOKS];     /* model hook indices */
	int width[CAPTURE_MAX_HOOKS];    /* values kept per input */
	float *act[CAPTURE_MAX_HOOKS];   /* (n, width) */
	int64_t n;
	int pos;                         /* position kept, 0..T-1; -1 none */
	int64_t chunk0;                  /* first input of the running chunk */
};

/* `pos` counts from the end when negative (-1 the last position); it is
 * ignored for models without positions (the MLP). TRAJ_EUSAGE for a
 * position outside the sequence, TRAJ_ENOMEM. */
int probe_capture_init(struct capture *c, const struct model *m, const int *hooks,
		 int nh, int pos, int64_t n, struct traj_error *err);
void probe_capture_free(struct capture *c);
/* Slot of model hook `hook` in c, or -1. */
int probe_capture_slot(const struct capture *c, int hook);

/* Runs the model over the in->n inputs and fills every act matrix. */
int probe_capture_run(struct capture *c, struct model *m,
		const struct task_examples *in, struct traj_error *err);

/* Hook indices of the model matching one of the comma-free globs, in the
 * model's order; TRAJ_EUSAGE naming the glob and listing the hooks when
 * a glob matches none. Returns the count. */
int probe_capture_find_hooks(const struct model *m, char *const *globs, int nglobs,
		       int *hooks, int max, struct traj_error *err);

#endif
