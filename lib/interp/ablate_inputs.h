/* Ablation on examples of one's own choosing: a dense-input model's split
 * replaced by the inputs and labels of an .npz, such as the adversarial
 * inputs traj-attack --save writes (adv, label), so that traj-ablate can
 * ask which neurons an attack works through (docs/adversarial.md). */
#ifndef TRAJ_ABLATE_INPUTS_H
#define TRAJ_ABLATE_INPUTS_H

#include "common/error.h"
#include "task/task.h"

/* Reads the .npz at `path`: inputs `adv` (else `x`), float32 (n, F) with F
 * the data set's features, finite; labels `label` (else `y`), int32 or
 * int64 (n) in [0, classes); n >= 1. On success the old contents of *sp
 * (a split of d) are freed and replaced. Errors: TRAJ_EUSAGE for a task
 * with token input, TRAJ_ENOINPUT (cannot open), TRAJ_EDATA naming the
 * array and what is wrong, TRAJ_ENOMEM; *sp is untouched on error. */
int ablate_inputs_load(const char *path, const struct dataset *d,
		       struct split *sp, struct traj_error *err);

#endif
