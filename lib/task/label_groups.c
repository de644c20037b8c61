/* Groupings of labels: the shared part; each family fills its own. */
#include <stdlib.h>

#include "task/label_groups.h"
#include "task/task_impl.h"

struct task_grouping *task_grouping_add(struct task_groupings *gs,
					int64_t nlabels, int ngroups,
					struct traj_error *err)
{
	if (gs->n == TASK_MAX_GROUPINGS || ngroups < 1 ||
	    ngroups > TASK_MAX_GROUPS) {
		traj_fail(err, TRAJ_EINTERNAL, -1,
			  "grouping of %d groups, or more than %d groupings",
			  ngroups, TASK_MAX_GROUPINGS);
		return NULL;
	}
	struct task_grouping *g = &gs->g[gs->n];
	g->ngroups = ngroups;
	g->ids = calloc((size_t)(nlabels ? nlabels : 1), 1);
	g->names = calloc((size_t)ngroups, sizeof *g->names);
	g->count = calloc((size_t)ngroups, sizeof *g->count);
	gs->n++;
	if (!g->ids || !g->names || !g->count) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		return NULL;
	}
	return g;
}

int task_label_groupings(const struct task_config *cfg, const struct split *s,
			 struct task_groupings *out, struct traj_error *err)
{
	*out = (struct task_groupings){ 0 };
	const struct task_family_ops *ops = task_family_of(cfg);
	if (!ops || !ops->label_groups)
		return 0;
	if (ops->label_groups(cfg, s, out, err) < 0) {
		task_groupings_free(out);
		return -1;
	}
	return 0;
}

void task_groupings_free(struct task_groupings *gs)
{
	for (int i = 0; i < gs->n; i++) {
		free(gs->g[i].ids);
		free(gs->g[i].names);
		free(gs->g[i].count);
	}
	gs->n = 0;
}
