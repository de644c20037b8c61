/* Where a new run's weights and masks come from (traj-train --init-from,
 * --reinit, --mask): the state of another run at one of its steps
 * (weights, optimiser moments and step count, batch order: Frankle et
 * al. 2020's rewinding, step 0 being Frankle & Carbin 2019's reset to
 * the initialisation; with an order seed, rc->has_order_seed, a new
 * batch order from there on, a new epoch at the next step), optionally fresh weights from another seed (the
 * random re-initialisation control), and a mask that holds pruned
 * parameters at zero. The run header records each ("init", "mask";
 * formats/run-header.md). */
#ifndef TRAJ_RUNSTART_H
#define TRAJ_RUNSTART_H

#include <stdint.h>

#include "common/error.h"
#include "run/runmeta.h"
#include "run/trainer.h"

struct run_start {
	const char *mask;       /* --mask FILE, or NULL */
	const char *init_from;  /* --init-from STREAM[:STEP], or NULL */
	int reinit;             /* --reinit given */
	uint64_t reinit_seed;
};

/* Whether any of them was asked for. */
int run_start_any(const struct run_start *s);

/* For a new run, after trainer_init(t, rc): rewinds t to --init-from's
 * checkpoint (the other run must have the same model, task and
 * optimiser kind, and the checkpoint its resume state: "optim/"
 * tensors), re-initialises the weights with --reinit, loads the mask of
 * --mask's last checkpoint (a mask file of traj-prune, or any masked
 * run of the same model) and zeroes what it prunes, and records "init"
 * and "mask" in rc for the header. Errors are one line naming the file
 * and the tensor, field or step: TRAJ_ENOINPUT, TRAJ_EDATA, TRAJ_EUSAGE
 * for a malformed --init-from or --steps before the rewind step. */
int run_start_apply(struct trainer *t, struct run_config *rc,
		    const struct run_start *s, struct traj_error *err);

#endif
