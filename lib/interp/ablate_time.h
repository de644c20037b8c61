/* Patching across training time (traj-ablate --from-step): each
 * component of the checkpoint's model takes its weights (or its
 * activations) from the model of step K, and the reverse. Never
 * prints. */
#ifndef TRAJ_ABLATE_TIME_H
#define TRAJ_ABLATE_TIME_H

#include <stdint.h>

#include "interp/ablate.h"
#include "interp/ablate_rank.h"

/* One component's two passes: step K's part in the checkpoint (fwd),
 * the checkpoint's part in step K (rev). */
struct time_pair { struct eval_result fwd, rev; };

struct time_patch {
	struct eval_result bs, bk;   /* the two models, unpatched */
	struct time_pair *pair;      /* per component of the ablator */
};

/* a was made for ms (the checkpoint), over the examples both models
 * evaluate; mk is step K's model, with the same hooks and weights.
 * With acts, a's method must be ABL_PATCH: activations are patched (a
 * second ablator, whose passes are added to a's); else weights, which
 * are restored after each pass. Errors: TRAJ_ENOMEM, TRAJ_EDATA (a
 * component whose weights ms lacks: patch_component_weights). */
int patch_time_run(struct ablator *a, struct model *ms, struct model *mk,
		   int acts, uint64_t seed, struct time_patch *out,
		   struct traj_error *err);
/* The same for components evaluated through functions (ablate_rank.h):
 * fwd evaluates in the checkpoint, with step K's part patched in, rev
 * the reverse (the same components); bs and bk are their bases. One
 * pair per component, or with joint one for all of them together.
 * Errors: the evaluations', TRAJ_ENOMEM. */
int patch_time_fns(const struct fn_run *fwd, const struct fn_run *rev,
		   int joint, struct time_patch *out, struct traj_error *err);
void patch_time_free(struct time_patch *t);

#endif
