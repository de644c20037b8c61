/* The run header: everything needed to rebuild a run's model and data,
 * as the JSON object of the stream's run record (formats/traj-stream.md,
 * "Run configuration"). */
#ifndef TRAJ_RUNMETA_H
#define TRAJ_RUNMETA_H

#include <stdint.h>

#include <cJSON.h>

#include "common/error.h"
#include "model/optim.h"
#include "task/task.h"

#define RUN_ID_MAX 64

/* Which checkpoints carry the resume state ("optim/" tensors): key
 * checkpoints and the last one (the default: a resume replays at most
 * key_every - 1 checkpoints, bit-identically), every checkpoint, or none. */
enum state_policy { STATE_KEY, STATE_ALL, STATE_NONE };
const char *run_state_policy_name(enum state_policy p);
int run_state_policy_from_name(const char *name, enum state_policy *out);

struct train_config {
	int64_t steps;
	int64_t batch;       /* examples per step; 0 means the full train split */
	int64_t every;       /* checkpoint every N steps; 0 for none */
	int64_t log_every;   /* log-spaced checkpoints per decade; 0 for none */
	int64_t auto_every;  /* --every auto:N: checkpoints where the metrics
				change, probed every N steps (autockpt.h);
				0 for none */
	int threads;
	enum state_policy state;
	char blas_core[32];  /* the OpenBLAS core the run was pinned to
				(--blas-core), which --resume pins too; ""
				when OpenBLAS chose it for the CPU */
};

struct run_config {
	char id[RUN_ID_MAX];     /* the first field of metric lines */
	uint64_t seed;           /* initialisation and batch order */
	int has_order_seed;      /* the batch order has its own seed: */
	uint64_t order_seed;     /* "order_seed", traj-train --order-seed */
	cJSON *model;            /* owned; see model_from_json */
	struct task_config task;
	struct optim_config optim;
	struct train_config train;
	cJSON *mask;             /* owned, or NULL: a masked run's "mask"
				    object (formats/run-header.md) */
	cJSON *init;             /* owned, or NULL: where the weights came
				    from ("init": --init-from, --reinit) */
	cJSON *adv;              /* owned, or NULL: adversarial training
				    ("adv": traj-train --adv) */
};

/* A new object; the caller frees it with cJSON_Delete. */
cJSON *run_to_json(const struct run_config *rc);
/* Fills rc from a run record; rc->model is a copy that run_config_free
 * releases. Errors name the field ("run.task.p: ..."). */
int run_from_json(const cJSON *json, struct run_config *rc,
		  struct traj_error *err);
void run_config_free(struct run_config *rc);

cJSON *run_optim_to_json(const struct optim_config *cfg);
int run_optim_from_json(const cJSON *json, struct optim_config *cfg,
		    struct traj_error *err);

/* The ranges PyTorch's AdamW and SGD enforce, and eps > 0 (eps 0 divides
 * 0 by 0 for a parameter without gradient): lr and weight decay finite
 * and >= 0; AdamW's betas in [0, 1) and eps; SGD's momentum in [0, 1],
 * Nesterov only with a momentum. Errors name the option ("--beta1: ...", TRAJ_EUSAGE) when
 * `options`, else the header field ("optim.beta1: ...", TRAJ_EDATA). */
int run_optim_check(const struct optim_config *cfg, int options,
		    struct traj_error *err);

/* Run ids are 1..RUN_ID_MAX-1 bytes of [A-Za-z0-9._+-]. */
int run_id_valid(const char *id);

#endif
