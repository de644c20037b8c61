/* A shortcut for ablation passes (ablate_fast.c): passes whose
 * components all sit in a transformer's last block restart from the
 * clean pass's activations instead of recomputing the model. */
#ifndef TRAJ_ABLATE_FAST_H
#define TRAJ_ABLATE_FAST_H

#include "interp/ablate.h"

/* Opt-in, before ablator_baseline, for passes in the model the ablator
 * was made with, whose weights stay as they are: passes whose components
 * all sit in a transformer's last block (heads, neurons, its attention or
 * MLP layer) restart from the clean pass's activations at the labelled
 * positions instead of recomputing the model (ablate_fast.c); they still
 * count as one forward pass each. Does nothing for other models (MLPs,
 * LayerNorm). Errors: TRAJ_ENOMEM. */
int ablator_reuse(struct ablator *a, struct traj_error *err);
void ablator_reuse_free(struct ablator *a);
int ablator_reuse_applies(const struct ablator *a, const int *active, int n);
/* A pass through the shortcut (ablator_reuse_applies must hold), as
 * ablator_eval. */
int ablator_reuse_eval(struct ablator *a, const int *active, int n,
		       struct eval_result *r, struct traj_error *err);

#endif
