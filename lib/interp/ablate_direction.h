/* The residual-stream direction traj-ablate --direction ablates: a unit
 * vector read from a .npy file, and the hook it lives in. Never
 * prints. */
#ifndef TRAJ_ABLATE_DIRECTION_H
#define TRAJ_ABLATE_DIRECTION_H

#include <stddef.h>

#include "common/error.h"
#include "model/model.h"

/* Reads a 1-d float32 array from the .npy file at path and scales it to
 * unit length: *u (malloc'd) and its length *d. Errors: the file's and
 * the format's (at their offset), TRAJ_EUSAGE for another shape or type
 * ("expected a 1-d float32 array") or a zero or non-finite vector ("the
 * direction has no length"). */
int ablate_direction_read(const char *path, float **u, int *d,
		   struct traj_error *err);
/* The default hook of a direction: the model's last residual hook
 * (hook_resid_post), an MLP's last hidden layer (layers.I...), else its
 * last hook. */
const char *ablate_direction_default_hook(const struct model *m);

#endif
