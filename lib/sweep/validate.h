/* Refusing a sweep before anything runs: each value of each axis is
 * shown to the trainer (traj train ... --steps 0, which builds the task
 * and model and trains nothing) in the first configuration that holds
 * it. A combination the trainer refuses later is a failed run instead. */
#ifndef TRAJ_SWEEP_VALIDATE_H
#define TRAJ_SWEEP_VALIDATE_H

#include "common/error.h"
#include "sweep/spec.h"

/* Returns 0, or -1 with err naming the axis, the value and the trainer's
 * reason (TRAJ_EUSAGE), or why the trainer could not be run. */
int sweep_plan_validate(const struct sweep_plan *p, const char *train,
			struct traj_error *err);

#endif
