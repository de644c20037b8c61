/* An LLC target (llc.h) over a model and its training split: the loss
 * of a minibatch is the model's mean cross-entropy on the examples the
 * sampler names, its gradient the model's. */
#ifndef TRAJ_LLC_MODEL_H
#define TRAJ_LLC_MODEL_H

#include <cJSON.h>

#include "analysis/llc.h"
#include "model/model.h"
#include "task/task.h"

struct llc_model_target {
	struct llc_target target;
	struct model *model;        /* borrowed */
	const struct split *data;   /* borrowed */
	int dims;                   /* T or F: inputs per example */
	int K;
	int32_t *tokens;            /* (batch, T) or NULL */
	float *features;            /* (batch, F) or NULL */
	int32_t *labels;            /* (batch, K) */
};

/* Borrows m and data (which must outlive t) and allocates the gathering
 * scratch for `batch` examples. -1 with err: TRAJ_EDATA for data m cannot
 * compute on (model_batch_check), TRAJ_ENOMEM. */
int llc_model_target_init(struct llc_model_target *t, struct model *m,
			  const struct split *data, int batch,
			  struct traj_error *err);
void llc_model_target_free(struct llc_model_target *t);

/* The chains' models: `workers` copies of one model (the caller's
 * first, borrowed; the others built from the same configuration), each
 * with its target over the same training split, and w*. */
struct llc_models {
	int n;
	struct model **models;            /* (n) */
	struct llc_model_target *targets; /* (n) */
	struct llc_target *views;         /* (n) targets[i].target */
	const struct split *train;
	float *w0;                        /* (nparams) */
};

int llc_models_init(struct llc_models *lm, struct model *m,
		    const cJSON *model_config, const struct split *train,
		    int batch, int workers, struct traj_error *err);
void llc_models_free(struct llc_models *lm);

/* Estimates the LLC at the first model's current parameters, with
 * L_n(w*) its mean loss over the whole training split, and leaves the
 * parameters as they were. Errors: llc_estimate's, and TRAJ_EDATA when
 * the loss at w* is not finite. */
int llc_models_estimate(struct llc_models *lm, const struct llc_config *c,
			int64_t key, struct llc_result *res,
			struct traj_error *err);

#endif
