/* The resume state of a training, carried in every checkpoint as tensors
 * under "optim/" (formats/traj-stream.md, "Resume state"): optimiser
 * moments per parameter, the optimiser's step counter, and the batch
 * order (generator state, current epoch permutation and position), so
 * that a run resumed from a checkpoint continues bit for bit. */
#ifndef TRAJ_TRAINSTATE_H
#define TRAJ_TRAINSTATE_H

#include "common/error.h"
#include "format/stream.h"
#include "run/trainer.h"

/* Number of state tensors trainstate_write writes. */
int trainstate_count(const struct trainer *t);
/* Writes them into the open checkpoint of w. */
int trainstate_write(const struct trainer *t, struct traj_writer *w,
		     struct traj_error *err);
/* Restores parameters, optimiser state, batch order, step and last loss
 * (and the masks, when t is masked: "mask/" tensors required) from a checkpoint of a run built from the same configuration. Every
 * value is checked (the checkpoint is outside input); TRAJ_EDATA when
 * something is missing or inconsistent. */
int trainstate_restore(struct trainer *t, const struct traj_ckpt *c,
		       struct traj_error *err);

#endif
