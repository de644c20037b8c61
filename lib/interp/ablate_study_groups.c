/* A study of neurons grouped by frequency (neuron_freq.h,
 * ablate_groups.h): each group ablated as one component, ranked, or a
 * circuit of groups. */
#include "interp/ablate_study_impl.h"

#include <stdlib.h>

#include "interp/ablate_fast.h"
#include "interp/ablate_groups.h"

/* Each group's size, then the study of the groups. */
static int study(const struct ablate_job *j, struct ablator *a,
		 struct traj_error *err)
{
	const struct ablate_selection *sel = j->sel;
	struct group_run gr;
	if (ablate_group_run_init(&gr, a, sel->comps, sel->n, sel->start,
				  sel->members, err) < 0)
		return -1;
	const char *prefix = ablate_study_prefix(j->st);
	struct eval_result base;
	if (ablator_baseline(a, &base, err) < 0) {
		ablate_group_run_free(&gr);
		return -1;
	}
	struct fn_run fr = ablate_group_fn_run(&gr, base, 1, prefix);
	for (int g = 0; g < sel->n; g++)
		ablate_line(&j->sink, prefix, sel->comps[g].name, "neurons",
			    sel->start[g + 1] - sel->start[g]);
	unsigned char *keep;
	double *imp;
	int rc = ablate_study_fns(j, &fr, 1, &keep, &imp, err);
	int kept = 0;
	for (int g = 0; keep && g < sel->n; g++)
		kept += keep[g] ? sel->start[g + 1] - sel->start[g] : 0;
	if (rc == 0 && keep)
		ablate_line(&j->sink, prefix, NULL, "neurons", kept);
	if (rc == 0)
		rc = ablate_study_passes(j, prefix, a->forward_passes,
					 a->backward_passes, a->data.n, err);
	free(keep);
	free(imp);
	ablate_group_run_free(&gr);
	return rc;
}

int ablate_study_groups(const struct ablate_job *j, struct traj_error *err)
{
	const struct ablate_study *st = j->st;
	struct batch data = ablate_study_batch(j);
	struct ablator a;
	if (ablate_study_check_budget(st, 1, err) < 0)
		return -1;
	if (ablator_init(&a, j->s->model, &data, j->sel->all, j->sel->nall,
			 st->method, NULL, st->seed, err) < 0)
		return -1;
	int rc = ablator_reuse(&a, err) < 0 ? -1 : study(j, &a, err);
	ablator_free(&a);
	return rc;
}
