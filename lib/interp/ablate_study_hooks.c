/* A study of the model's hook components: neurons, heads, layers and a
 * direction (ablate_comp.h), in each of the four modes. */
#include "interp/ablate_study_impl.h"

#include <stdlib.h>

#include "interp/ablate_fast.h"
#include "interp/circuit.h"

static int report(const struct ablate_job *j, const char *prefix,
		  const struct ablator *a, struct traj_error *err)
{
	return ablate_study_passes(j, prefix, a->forward_passes,
				   a->backward_passes, a->data.n, err);
}

static int ablate(const struct ablate_job *j, struct ablator *a,
		  struct traj_error *err)
{
	unsigned char *keep;
	double *imp;
	if (ablate_study_check_budget(j->st, 1, err) < 0)
		return -1;
	struct eval_result base;
	if (ablator_reuse(a, err) < 0 || ablator_baseline(a, &base, err) < 0)
		return -1;
	struct fn_run fr = ablator_fn_run(a, base, 1, "ablate");
	if (ablate_study_fns(j, &fr, 1, &keep, &imp, err) < 0)
		return -1;
	return report(j, "ablate", a, err);
}

/* Activation patching: data are the corrupted inputs, the source the
 * clean activations; deltas are patched minus corrupted. */
static int patch(const struct ablate_job *j, struct ablator *a,
		 const struct batch *clean, struct traj_error *err)
{
	unsigned char *keep;
	double *imp;
	if (ablate_study_check_budget(j->st, 2, err) < 0)
		return -1;
	struct eval_result cl, corr;
	if (ablator_capture_source(a, a->m, clean, &cl, err) < 0 ||
	    ablator_baseline(a, &corr, err) < 0 ||
	    ablate_study_patch_base(j, cl, corr, err) < 0)
		return -1;
	struct fn_run fr = ablator_fn_run(a, corr, -1, "patch");
	if (ablate_study_fns(j, &fr, 2, &keep, &imp, err) < 0)
		return -1;
	return report(j, "patch", a, err);
}

static int across_time(const struct ablate_job *j, struct ablator *a,
		       struct traj_error *err)
{
	struct time_patch t;
	if (patch_time_run(a, j->s->model, j->k->model, j->st->from_acts,
			   j->st->seed, &t, err) < 0)
		return -1;
	int rc = ablate_study_time_lines(j, a->comps, a->ncomps, &t, err);
	patch_time_free(&t);
	return rc < 0 ? -1 : report(j, "timepatch", a, err);
}

static int write_dot(const struct ablate_job *j, const struct ablator *a,
		     const unsigned char *keep, const double *imp,
		     struct traj_error *err)
{
	struct atomic_file af;
	if (ablate_study_dot_open(j, &af, err) < 0)
		return -1;
	circuit_write_dot(af.f, j->s->rc.id, j->s->step, a->comps, a->ncomps,
			  keep, imp);
	return atomic_commit(&af, err);
}

/* A circuit of the atomic components ranked by attribution patching. */
static int circuit(const struct ablate_job *j, struct ablator *a,
		   struct traj_error *err)
{
	double *imp;
	unsigned char *keep;
	int ncand;
	struct circuit_result cr;
	struct eval_result base;
	if (ablator_reuse(a, err) < 0 || ablator_baseline(a, &base, err) < 0)
		return -1;
	if (ablator_circuit(a, base.loss, j->st->threshold, &imp, &keep, &ncand,
			    &cr, err) < 0)
		return -1;
	int rc = ncand == 0 ?
		traj_fail(err, TRAJ_EUSAGE, -1, "--circuit: no neuron, head "
			  "or direction selected") :
		ablate_study_circuit_lines(j, a->comps, a->ncomps, keep, imp,
					   &cr, ncand, base, err);
	if (rc == 0 && j->st->dot)
		rc = write_dot(j, a, keep, imp, err);
	if (rc == 0)
		rc = report(j, "circuit", a, err);
	free(imp);
	free(keep);
	return rc;
}

int ablate_study_hooks(const struct ablate_job *j, struct traj_error *err)
{
	const struct ablate_study *st = j->st;
	struct batch data, clean;
	int32_t *corrupted;
	if (ablate_study_check_label(j, err) < 0)
		return -1;
	if (ablate_study_inputs(j, &data, &clean, &corrupted, err) < 0)
		return -1;
	enum ablate_method method = st->method;
	if (st->mode == ABLATE_MODE_PATCH ||
	    (st->mode == ABLATE_MODE_TIME && st->from_acts))
		method = ABL_PATCH;
	struct ablator a;
	int rc = ablator_init(&a, j->s->model, &data, j->sel->comps, j->sel->n,
			      method, st->dir, st->seed, err);
	if (rc == 0) {
		a.label = (int)st->label;
		switch (st->mode) {
		case ABLATE_MODE_ABLATE: rc = ablate(j, &a, err); break;
		case ABLATE_MODE_PATCH: rc = patch(j, &a, &clean, err); break;
		case ABLATE_MODE_TIME: rc = across_time(j, &a, err); break;
		case ABLATE_MODE_CIRCUIT: rc = circuit(j, &a, err); break;
		}
		ablator_free(&a);
	}
	free(corrupted);
	return rc;
}
