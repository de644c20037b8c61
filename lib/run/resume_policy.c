#include "run/resume_policy.h"

#include <errno.h>
#include <string.h>

#include "common/linalg.h"
#include "run/trainstate.h"

int resume_begin(struct resume_session *s, const char *path, int64_t steps,
		 struct traj_error *err)
{
	memset(s, 0, sizeof *s);
	s->path = path;
	s->f = fopen(path, "r+b");
	if (!s->f)
		return traj_fail(err, TRAJ_ENOINPUT, -1, "cannot open '%s': %s",
				 path, strerror(errno));
	struct resume_point *rp = &s->rp;
	if (resume_scan(s->f, rp, err) < 0)
		return -1;
	/* traj snapshot --dtype bf16|f16 marks rounded streams: continuing
	 * from rounded weights would not be the run it claims to be. */
	if (cJSON_GetObjectItemCaseSensitive(rp->run, "lossy"))
		return traj_fail(err, TRAJ_EDATA, -1, "a lossy stream (converted"
				 " by traj snapshot --dtype) cannot be resumed");
	if (run_from_json(rp->run, &s->rc, err) < 0 ||
	    stream_write_opts_from_json(cJSON_GetObjectItemCaseSensitive(rp->run,
				"writer"), &s->wopts, err) < 0)
		return -1;
	if (run_optim_check(&s->rc.optim, 0, err) < 0)
		return -1; /* a header of an older version, which let it pass */
	s->wopts.sync = 1;
	s->last = stream_reader_last_ckpt(rp->r);
	s->header_steps = s->rc.train.steps;
	if (steps >= 0)
		s->rc.train.steps = steps;
	if (s->rc.train.steps != s->header_steps && rp->cut != rp->key_cut) {
		if (rp->key_cut < 0 || resume_rescan(s->f, rp, rp->key_cut, err) < 0)
			return traj_fail(err, TRAJ_EDATA, -1, "no key checkpoint with"
					 " resume state to continue from with a new --steps");
		s->last = stream_reader_last_ckpt(rp->r);
	}
	if (s->rc.train.steps < s->last->step)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--steps: %lld is before the last checkpoint, at step %lld",
				 (long long)s->rc.train.steps, (long long)s->last->step);
	return rp->ended && s->last->step == s->rc.train.steps ? 1 : 0;
}

/* The run header with a new step count. */
static cJSON *run_with_steps(const cJSON *run, int64_t steps)
{
	cJSON *copy = cJSON_Duplicate(run, 1);
	cJSON *train = cJSON_GetObjectItemCaseSensitive(copy, "train");
	cJSON *n = cJSON_CreateNumber((double)steps);
	if (!n || !cJSON_ReplaceItemInObjectCaseSensitive(train, "steps", n)) {
		cJSON_Delete(n);
		cJSON_Delete(copy);
		return NULL;
	}
	return copy;
}

/* Cuts FILE after the checkpoint to continue from, or rewrites its header
 * when the step count changes; returns it open for appending. */
static FILE *cut_output(struct resume_session *s, struct traj_error *err)
{
	if (s->rc.train.steps == s->header_steps)
		return resume_truncate(s->f, &s->rp, err) < 0 ? NULL : s->f;
	cJSON *run = run_with_steps(s->rp.run, s->rc.train.steps);
	if (!run) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		return NULL;
	}
	FILE *out = resume_rewrite(s->f, s->path, &s->rp, run, err);
	cJSON_Delete(run);
	fclose(s->f);
	s->f = NULL;
	return out;
}

int resume_continue(struct resume_session *s, struct trainer *t,
		    struct traj_writer **w, FILE **out, struct traj_error *err)
{
	/* the run's kernels, whatever OPENBLAS_CORETYPE says, before any
	 * BLAS call: else the replay is not the run */
	const char *core = s->rc.train.blas_core;
	struct traj_error why;
	if (core[0] && linalg_set_core(core, &why) < 0)
		return traj_fail(err, TRAJ_EDATA, -1, "the run was pinned to BLAS"
				 " core %s: %s", core, why.msg);
	if (trainer_init(t, &s->rc, err) < 0 ||
	    trainstate_restore(t, s->last, err) < 0)
		return -1;
	*out = cut_output(s, err);
	if (!*out)
		return -1;
	s->f = NULL; /* now *out, the caller's */
	*w = stream_writer_resume(*out, s->rp.r, &s->wopts, err);
	return *w ? 0 : -1;
}

void resume_session_free(struct resume_session *s)
{
	if (s->f)
		fclose(s->f);
	resume_point_free(&s->rp);
	run_config_free(&s->rc);
	s->f = NULL;
}

FILE *resume_output_open(const char *path, int force, struct traj_error *err)
{
	FILE *out;
	if (!path || strcmp(path, "-") == 0)
		return stdout;
	if (!force && resume_file_holds_run(path)) {
		traj_fail(err, TRAJ_ECREATE, -1, "'%s' holds a run: continue it "
			  "with --resume, or replace it with --force", path);
		return NULL;
	}
	if (!(out = fopen(path, "wb")))
		traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s': %s", path,
			  strerror(errno));
	return out;
}
