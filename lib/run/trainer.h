/* A training run: model, optimiser, data and batch order built from a run
 * configuration, stepped one update at a time. The engine behind
 * traj-train; it never prints. */
#ifndef TRAJ_TRAINER_H
#define TRAJ_TRAINER_H

#include <stdint.h>

#include "model/mask.h"
#include "model/model.h"
#include "model/optim.h"
#include "common/rng.h"
#include "run/runmeta.h"
#include "format/stream.h"
#include "task/task.h"

/* Replaces a step's inputs before its update (adversarial training): it
 * writes new dense inputs for b's examples (n, F) into its own memory and
 * points b->features there, leaving the batch's arrays as they are (a
 * full batch is the train split itself). Returns 0, or -1 with err. */
typedef int trainer_batch_fn(void *ctx, struct model *m, struct batch *b,
			     int64_t step, struct traj_error *err);

struct trainer {
	const struct run_config *rc;
	struct model *model;
	struct optim opt;
	struct dataset data;
	struct rng order;        /* minibatch order, from the run seed or
				    the order seed */
	int32_t *perm;           /* (n_train) current epoch's order */
	int64_t perm_pos;
	int32_t *batch_tokens;   /* (batch, T), token tasks */
	float *batch_features;   /* (batch, F), dense tasks */
	int32_t *batch_labels;   /* (batch, K) */
	int64_t batch;           /* examples per step */
	int64_t step;            /* updates done so far */
	float last_loss;         /* loss of the batch of the latest update */
	int masked;              /* rc->mask: pruned parameters stay 0 */
	struct model_mask mask;  /* set up when masked */
	trainer_batch_fn *batch_fn;  /* or NULL */
	void *batch_ctx;
};

int trainer_init(struct trainer *t, const struct run_config *rc,
		 struct traj_error *err);
/* Makes the run masked (t->mask kept everything until mask_load fills
 * it); trainer_init does it when the run header has a "mask". */
int trainer_mask_on(struct trainer *t, struct traj_error *err);
/* Zeroes what the mask prunes in the parameters and the optimiser's
 * moments (after loading weights or state into a masked trainer). */
void trainer_mask_apply(struct trainer *t);
/* New weights: the initialisation of a run with that seed. */
void trainer_reinit(struct trainer *t, uint64_t seed);
/* A new batch order from the run's order seed (its seed without one),
 * starting a new epoch at the next step: after rewinding to another
 * run's state, the copy sees the examples in another order. */
void trainer_reorder(struct trainer *t);
/* One update; the loss of its batch before the update goes to
 * t->last_loss. Returns 0, or -1 with err set and no update when batch_fn
 * or the model refuses the batch (ops->loss). A masked
 * run masks the gradient before the optimiser and the parameters after
 * it, so that a pruned parameter, its gradient and its moments stay
 * exactly 0 whatever the optimiser does (weight decay, momentum, moments
 * restored from a dense run). */
int trainer_step(struct trainer *t, struct traj_error *err);
/* Whether the latest update left the batch loss and every parameter
 * finite; else -1 with TRAJ_EDATA and a message naming the step and the
 * loss or the first parameter tensor that is not. */
int trainer_check_finite(const struct trainer *t, struct traj_error *err);
/* Starts the stream of a new run on `out`: its header records the run
 * configuration, the writer options (which --resume continues with) and,
 * as "build", what the bits depend on: the versions of traj, OpenBLAS
 * and zstd and the OpenBLAS core in use (formats/run-header.md). */
struct traj_writer *trainer_writer_open(const struct trainer *t, FILE *out,
					const struct traj_write_opts *wo,
					struct traj_error *err);
/* Writes the current parameters, the masks of a masked run, and the resume state ("optim/" tensors,
 * see trainstate.h) where rc->train.state asks for it, as a checkpoint at t->step. */
int trainer_checkpoint(struct trainer *t, struct traj_writer *w,
		       struct traj_error *err);
void trainer_free(struct trainer *t);

#endif
