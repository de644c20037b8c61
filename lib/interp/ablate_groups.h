/* Groups of an ablator's components, each studied as one component
 * (traj-ablate --by neuron-freq): ablating a set of groups ablates the
 * union of their members in one pass, and a group's attribution score is
 * the sum of its members' (attribution patching is additive). Groups are
 * disjoint: group g is the ablator's components members[start[g] ..
 * start[g + 1]). */
#ifndef TRAJ_ABLATE_GROUPS_H
#define TRAJ_ABLATE_GROUPS_H

#include "interp/ablate_rank.h"

struct group_run {
	struct ablator *a;               /* borrowed */
	const struct component *groups;  /* ngroups, COMP_GROUP, borrowed */
	int ngroups;
	const int *start, *members;      /* borrowed */
	int *scratch;                    /* a->ncomps member indices */
	double *member_score;            /* a->ncomps */
};

/* Errors: TRAJ_ENOMEM. */
int ablate_group_run_init(struct group_run *gr, struct ablator *a,
		   const struct component *groups, int ngroups,
		   const int *start, const int *members,
		   struct traj_error *err);
void ablate_group_run_free(struct group_run *gr);
struct fn_run ablate_group_fn_run(struct group_run *gr, struct eval_result base,
			   int sign, const char *prefix);

#endif
