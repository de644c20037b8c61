/* Circuit search (traj-ablate --circuit): a small set of components
 * that keeps the task loss within a threshold of the clean loss while
 * every other candidate is ablated.
 *
 * The method, in the spirit of edge attribution patching (Syed et al.
 * 2023) and ACDC (Conmy et al. 2023), on nodes:
 *  1. rank the candidates by importance (attribution patching scores, or
 *     real one-by-one ablations), most important first;
 *  2. binary search for the smallest k such that keeping the top k and
 *     ablating all the others keeps loss - clean_loss <= threshold
 *     (about log2(n) passes; the loss need not be monotone in k, the
 *     search only ever returns a k that was measured to pass);
 *  3. greedy pruning, ACDC-like: visit the kept components from the least
 *     important up, ablate each in addition to those already ablated, and
 *     leave it out of the circuit if the loss stays within the threshold
 *     (one pass each).
 * The result is minimal in the sense that no single kept component can
 * be removed (at the time it was tried). */
#ifndef TRAJ_CIRCUIT_H
#define TRAJ_CIRCUIT_H

#include <stdio.h>

#include "interp/ablate.h"

struct circuit_result {
	int size;                /* components kept */
	struct eval_result eval; /* with everything else ablated */
	int search_passes, prune_passes;
};

/* Candidates cand[0..n) (component indices of a->comps) with importance
 * imp[i] for cand[i]; keep[c] (a->ncomps) is set to 1 for the kept.
 * Returns -1 with err set (TRAJ_ENOMEM). */
int circuit_search(struct ablator *a, const int *cand, const double *imp,
		   int n, double clean_loss, double threshold,
		   unsigned char *keep, struct circuit_result *res,
		   struct traj_error *err);

/* The same search over any kind of component: eval(ctx, active, k,
 * out, err) sets *out to the loss and accuracy with the components
 * active[0..k) ablated (traj-ablate --by freq evaluates transformed
 * logits), or returns -1 with err set; keep has ncomps entries.
 * search_passes and prune_passes count the calls. Errors: eval's,
 * TRAJ_ENOMEM. */
typedef int (*circuit_eval_fn)(void *ctx, const int *active, int k,
			       struct eval_result *out,
			       struct traj_error *err);
int circuit_search_fn(circuit_eval_fn eval, void *ctx, int ncomps,
		      const int *cand, const double *imp, int n,
		      double clean_loss, double threshold,
		      unsigned char *keep, struct circuit_result *res,
		      struct traj_error *err);

/* The circuit as a Graphviz digraph: the input, the kept components in
 * stages (block by block, attention before MLP), the logits; an edge
 * joins each component to those of the next non-empty stage (through
 * the residual stream; edges are not pruned one by one). */
void circuit_write_dot(FILE *out, const char *run, int64_t step,
		       const struct component *comps, int ncomps,
		       const unsigned char *keep, const double *imp);

#endif
