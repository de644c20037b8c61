/* A study of the edges between a transformer's components (edges.h):
 * ablation, activation patching and circuits. */
#include "interp/ablate_study_impl.h"

#include <stdlib.h>

static int write_dot(const struct ablate_job *j, const struct edge_run *er,
		     const unsigned char *keep, const double *imp,
		     struct traj_error *err)
{
	struct atomic_file af;
	if (ablate_study_dot_open(j, &af, err) < 0)
		return -1;
	if (edge_run_write_dot(af.f, j->s->rc.id, j->s->step, er, keep, imp,
			       err) < 0) {
		atomic_abort(&af);
		return -1;
	}
	return atomic_commit(&af, err);
}

/* The edge ablator's replacements: a clean pass (and for patching the
 * clean run of the uncorrupted inputs first); the baseline into *base. */
static int set_up(const struct ablate_job *j, struct edge_run *er,
		  const struct batch *clean, struct eval_result *base,
		  struct traj_error *err)
{
	int patching = j->st->mode == ABLATE_MODE_PATCH;
	struct eval_result cl;
	if ((patching && edge_capture_source(&er->ea, clean, &cl, err) < 0) ||
	    edge_baseline(&er->ea, base, err) < 0)
		return -1;
	return patching ? ablate_study_patch_base(j, cl, *base, err) : 0;
}

static int study(const struct ablate_job *j, struct edge_run *er,
		 const struct batch *clean, int fixed, struct traj_error *err)
{
	const struct ablate_study *st = j->st;
	int patching = st->mode == ABLATE_MODE_PATCH;
	struct fn_run fr = edge_fn_run(er, patching ? -1 : 1,
				       ablate_study_prefix(st));
	if (set_up(j, er, clean, &fr.base, err) < 0)
		return -1;
	unsigned char *keep;
	double *imp;
	int rc = ablate_study_fns(j, &fr, fixed, &keep, &imp, err);
	if (rc == 0 && keep && st->dot)
		rc = write_dot(j, er, keep, imp, err);
	free(keep);
	free(imp);
	if (rc == 0)
		rc = ablate_study_passes(j, fr.prefix, er->ea.forward_passes,
					 er->ea.backward_passes, er->ea.data.n,
					 err);
	return rc;
}

static int run_edges(const struct ablate_job *j, const struct batch *data,
		     const struct batch *clean, struct traj_error *err)
{
	const struct ablate_study *st = j->st;
	int patching = st->mode == ABLATE_MODE_PATCH;
	/* a clean pass (and the patch source), then one for attribution */
	int fixed = 2 + patching;
	struct edge_run er;
	if (ablate_study_check_budget(st, fixed, err) < 0)
		return -1;
	if (edge_run_init(&er, j->sel->comps, j->sel->n, err) < 0)
		return -1;
	int rc = edge_ablator_init(&er.ea, j->s->model, &j->sel->graph, data,
				   patching ? ABL_PATCH : st->method, st->seed,
				   err);
	if (rc == 0) {
		er.ea.label = (int)st->label;
		rc = study(j, &er, clean, fixed, err);
		edge_ablator_free(&er.ea);
	}
	edge_run_free(&er);
	return rc;
}

int ablate_study_edges(const struct ablate_job *j, struct traj_error *err)
{
	struct batch data, clean;
	int32_t *corrupted;
	if (ablate_study_check_label(j, err) < 0 ||
	    ablate_study_inputs(j, &data, &clean, &corrupted, err) < 0)
		return -1;
	int rc = run_edges(j, &data, &clean, err);
	free(corrupted);
	return rc;
}
