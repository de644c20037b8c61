/* Groups of an ablator's components as components (ablate_groups.h). */
#include "interp/ablate_groups.h"
#include "interp/attrib.h"

#include <stdlib.h>

int ablate_group_run_init(struct group_run *gr, struct ablator *a,
		   const struct component *groups, int ngroups,
		   const int *start, const int *members,
		   struct traj_error *err)
{
	*gr = (struct group_run){ .a = a, .groups = groups,
				  .ngroups = ngroups, .start = start,
				  .members = members };
	gr->scratch = malloc(((size_t)a->ncomps + 1) * sizeof *gr->scratch);
	gr->member_score = malloc(((size_t)a->ncomps + 1) *
				  sizeof *gr->member_score);
	if (!gr->scratch || !gr->member_score) {
		ablate_group_run_free(gr);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	return 0;
}

void ablate_group_run_free(struct group_run *gr)
{
	free(gr->scratch);
	free(gr->member_score);
	gr->scratch = NULL;
	gr->member_score = NULL;
}

static int group_eval(void *ctx, const int *active, int k,
		      struct eval_result *out, struct traj_error *err)
{
	struct group_run *gr = ctx;
	int n = 0;
	for (int i = 0; i < k; i++)
		for (int j = gr->start[active[i]]; j < gr->start[active[i] + 1]; j++)
			gr->scratch[n++] = gr->members[j];
	return ablator_eval(gr->a, gr->scratch, n, out, err);
}

static int group_attribute(void *ctx, double *score, struct traj_error *err)
{
	struct group_run *gr = ctx;
	if (ablator_attribute(gr->a, gr->member_score, err) < 0)
		return -1;
	for (int g = 0; g < gr->ngroups; g++) {
		score[g] = 0.0;
		for (int j = gr->start[g]; j < gr->start[g + 1]; j++)
			score[g] += gr->member_score[gr->members[j]];
	}
	return 0;
}

struct fn_run ablate_group_fn_run(struct group_run *gr, struct eval_result base,
			   int sign, const char *prefix)
{
	return (struct fn_run){
		.eval = group_eval, .attribute = group_attribute, .ctx = gr,
		.comps = gr->groups, .n = gr->ngroups, .sign = sign,
		.base = base, .prefix = prefix,
	};
}
