/* A study of a modular task's logit frequencies (logit_freq.h): one
 * forward pass, then every ablation a transformation of the clean
 * logits; ablation, circuits, and patching across training time. */
#include "interp/ablate_study_impl.h"

#include <stdlib.h>

static int ablate_freqs(const struct ablate_job *j, struct traj_error *err)
{
	const struct ablate_study *st = j->st;
	struct freq_run fq;
	struct batch data = ablate_study_batch(j);
	if (logit_freq_run_init(&fq, j->sel->comps, j->sel->n, j->s->model,
				&data, st->method == ABL_ZERO, err) < 0)
		return -1;
	struct fn_run fr = logit_freq_fn_run(&fq, 1, ablate_study_prefix(st));
	unsigned char *keep;
	double *imp;
	int rc = ablate_study_fns(j, &fr, 1, &keep, &imp, err);
	free(keep);
	free(imp);
	if (rc == 0)
		rc = ablate_study_freq_passes(j, fr.prefix, 1, fq.evals, fq.f.n,
					      err);
	logit_freq_run_free(&fq);
	return rc;
}

/* Each frequency's coefficients, example by example, from step K's
 * logits into the checkpoint's, and the reverse (joint: the selected
 * frequencies together). */
static int patch_freqs(const struct ablate_job *j, struct freq_run *fs,
		       struct freq_run *fk, struct traj_error *err)
{
	const struct ablate_selection *sel = j->sel;
	struct time_patch t;
	fs->f.source = &fk->f;
	fk->f.source = &fs->f;
	struct fn_run rs = logit_freq_fn_run(fs, 1, "timepatch");
	struct fn_run rk = logit_freq_fn_run(fk, 1, "timepatch");
	if (patch_time_fns(&rs, &rk, j->st->joint, &t, err) < 0)
		return -1;
	struct component joint = { .name = "joint", .kind = COMP_FREQ };
	int rc = j->st->joint ?
		ablate_study_time_lines(j, &joint, 1, &t, err) :
		ablate_study_time_lines(j, sel->comps, sel->n, &t, err);
	patch_time_free(&t);
	if (rc == 0 && j->st->joint)
		ablate_line(&j->sink, "timepatch", "joint", "size", sel->n);
	return rc;
}

static int across_time(const struct ablate_job *j, struct traj_error *err)
{
	const struct ablate_selection *sel = j->sel;
	struct freq_run fs, fk;
	struct batch data = ablate_study_batch(j);
	if (logit_freq_run_init(&fs, sel->comps, sel->n, j->s->model, &data, 0,
				err) < 0)
		return -1;
	int rc = logit_freq_run_init(&fk, sel->comps, sel->n, j->k->model,
				     &data, 0, err);
	if (rc == 0) {
		rc = patch_freqs(j, &fs, &fk, err);
		if (rc == 0)
			rc = ablate_study_freq_passes(j, "timepatch", 2,
						      fs.evals + fk.evals,
						      fs.f.n, err);
		logit_freq_run_free(&fk);
	}
	logit_freq_run_free(&fs);
	return rc;
}

int ablate_study_freq(const struct ablate_job *j, struct traj_error *err)
{
	if (j->st->mode == ABLATE_MODE_TIME)
		return across_time(j, err);
	return ablate_freqs(j, err);
}
