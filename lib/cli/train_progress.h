/* traj-train's progress line on stderr, as a trainer_loop callback. */
#ifndef TRAJ_CLI_TRAIN_PROGRESS_H
#define TRAJ_CLI_TRAIN_PROGRESS_H

#include "run/trainer.h"

struct cli_train_progress {
	int quiet;
	double start;  /* cli_seconds() when training began */
};

/* "step S/N  loss L  T s" every 50 steps, unless quiet; ctx is a
 * struct cli_train_progress. */
void cli_train_progress(const struct trainer *t, void *ctx);

#endif
