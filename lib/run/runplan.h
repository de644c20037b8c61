/* A new run as the options of traj-train describe it, and the choices
 * that follow from other choices: the optimiser's defaults, the task's
 * defaults and sequence form, the data seed, the run id and the model's
 * shape, which the task decides. run_plan_finish turns a plan into the
 * run configuration that the run header records. */
#ifndef TRAJ_RUNPLAN_H
#define TRAJ_RUNPLAN_H

#include <stdint.h>

#include "common/error.h"
#include "format/stream.h"
#include "model/mlp.h"
#include "model/transformer.h"
#include "run/runmeta.h"

/* Options given by name, as typed; NULL: the default. */
struct run_plan_names {
	const char *task, *model, *activation, *optim, *encoding, *run_id,
		*state, *every, *blas_core;
	const char *width;        /* --width N or N,N,...: one per layer */
};

struct run_plan {
	struct run_plan_names names;
	struct traj_write_opts wopts;
	/* the run; run_plan_finish fills the optimiser, the task's
	   defaults, the data seed, the id (if empty) and the model */
	struct run_config rc;
	int transformer;          /* else an MLP */
	struct mlp_config mlp;    /* width(s), depth, act, bias */
	int depth;                /* --depth; 0: as many as --width lists */
	struct transformer_config tf; /* n_layers, d_model, n_heads, act,
				     layernorm, attn_only; d_head and d_mlp
				     0 for their defaults */
	int64_t data_seed;        /* -1: the run seed */
	int64_t order_seed;       /* of the batch order; -1: the run seed */
	int no_bias, no_state;    /* --no-bias, --no-state */
	/* the optimiser's hyper-parameters; NAN: its default */
	double lr, weight_decay, beta1, beta2, eps, momentum;
};

/* The defaults of traj-train: modadd with p 97 and frac 0.5, seed 1, an
 * MLP of 512 ReLU units (or Nanda et al.'s one-layer transformer), AdamW,
 * 3000 full-batch steps with a checkpoint every 100. */
void run_plan_default(struct run_plan *p);

/* Looks the names up, then fills what depends on other choices (above).
 * A BLAS core is pinned here (linalg_set_core), before any BLAS call.
 * Errors are TRAJ_EUSAGE and name the option ("--task: unknown task 'x'
 * ...", "--heads: ...", "--seq-len: ..."); p->rc.model is then owned by
 * p->rc (run_config_free). */
int run_plan_finish(struct run_plan *p, struct traj_error *err);

#endif
