/* Ranking components by their effect on the loss (traj-ablate), for any
 * kind of component evaluated through functions: the ablator's hooks
 * (neurons, heads, layers, directions), the transformed logits of --by
 * freq, the edge passes of --by edge. Never prints. */
#ifndef TRAJ_ABLATE_RANK_H
#define TRAJ_ABLATE_RANK_H

#include <stdint.h>
#include <stdio.h>

#include "interp/ablate.h"
#include "interp/circuit.h"

/* eval ablates the components active[0..k) and sets the loss and
 * accuracy (circuit_eval_fn: -1 with err set when it cannot); attribute (NULL when there is none) estimates every
 * component's loss change at once. `sign` turns a loss delta into
 * importance (+1 ablation: an increase matters; -1 patching: a
 * decrease). base is the unablated evaluation. */
typedef int (*attribute_fn)(void *ctx, double *score, struct traj_error *err);
struct fn_run {
	circuit_eval_fn eval;
	attribute_fn attribute;
	void *ctx;
	const struct component *comps;
	int n, sign;
	struct eval_result base;
	const char *prefix;      /* the metric prefix: ablate, patch, ... */
};

/* One component's figures; `measured` by a real pass, `attributed` by
 * attribution patching; index into the fn_run's comps. */
struct rank_result {
	double loss_delta, acc_delta, attrib, importance;
	int measured, attributed, index;
};

/* n results, index i at i, or NULL (out of memory). */
struct rank_result *ablate_rank_results_new(int n);
/* Sorts into rank order: measured first, then by importance (largest
 * first), then by index. */
void ablate_rank_sort(struct rank_result *res, int n);

/* Attribution, then real passes for the components ranked first: all
 * of them when neither attrib_only nor budget, none with attrib_only,
 * budget - fixed - 1 with a budget (`fixed` passes were spent before).
 * Whole layers are verified first. Errors: the attribution's, eval's,
 * TRAJ_ENOMEM. */
int ablate_rank_components(const struct fn_run *fr, int attrib_only,
		    int64_t budget, int fixed, struct rank_result *res,
		    struct traj_error *err);
/* Every component alone, one pass each, into *out (malloc'd). Errors:
 * eval's, TRAJ_ENOMEM. */
int ablate_rank_one_by_one(const struct fn_run *fr, struct rank_result **out,
			   struct traj_error *err);
/* Every component ablated together (one pass) into *out. Errors:
 * TRAJ_ENOMEM. */
int ablate_rank_joint(const struct fn_run *fr, struct eval_result *out,
	       struct traj_error *err);

/* A circuit (circuit.h) over all of fr's components, ranked by real
 * one-by-one passes: keep[] and imp[] (n each, malloc'd, to free) say
 * which it keeps and their importance. Errors: TRAJ_ENOMEM. */
int ablate_rank_circuit(const struct fn_run *fr, double threshold,
		 unsigned char **keep, double **imp,
		 struct circuit_result *cr, struct traj_error *err);

/* A circuit of an ablator's atomic components (neurons, heads,
 * directions) ranked by attribution patching (needs ablator_baseline
 * first, whose loss is clean_loss): imp[] (every component's score) and
 * keep[] (a->ncomps each, malloc'd, to free), *ncand the candidates;
 * with none the search is not run (*ncand 0, return 0). Errors:
 * TRAJ_ENOMEM. */
int ablator_circuit(struct ablator *a, double clean_loss, double threshold,
		    double **imp, unsigned char **keep, int *ncand,
		    struct circuit_result *cr, struct traj_error *err);

#endif
