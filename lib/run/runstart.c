#include "run/runstart.h"

#include <stdio.h>
#include <string.h>

#include "run/runsource.h"
#include "run/trainstate.h"

int run_start_any(const struct run_start *s)
{
	return s->mask || s->init_from || s->reinit;
}

/* The other run must be of this model (and task, when `task`). */
static int same_run(const struct run_source *src, const struct run_config *rc,
		    int task, const char *role, struct traj_error *err)
{
	char diff[256];
	if (run_json_diff(src->rc.model, rc->model, "model", diff, sizeof diff))
		return traj_fail(err, TRAJ_EDATA, -1, "%s: %s of another model: %s",
				 src->path, role, diff);
	if (!task)
		return 0;
	cJSON *a = task_to_json(&src->rc.task), *b = task_to_json(&rc->task);
	int d = run_json_diff(a, b, "task", diff, sizeof diff);
	cJSON_Delete(a);
	cJSON_Delete(b);
	if (d)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: %s of another task: %s",
				 src->path, role, diff);
	if (src->rc.optim.kind != rc->optim.kind)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: %s of another "
				 "optimiser: optim.kind is \"%s\" there, \"%s\" here",
				 src->path, role, optim_kind_name(src->rc.optim.kind),
				 optim_kind_name(rc->optim.kind));
	return 0;
}

static int init_from(struct trainer *t, struct run_config *rc, const char *arg,
		     cJSON *init, struct traj_error *err)
{
	char path[4096];
	int64_t step;
	if (run_source_parse(arg, path, sizeof path, &step) < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--init-from: '%s': "
				 "expected STREAM or STREAM:STEP", arg);
	if (step < 0)
		step = 0;
	if (step > rc->train.steps)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--steps %lld: before the "
				 "rewind step %lld of --init-from",
				 (long long)rc->train.steps, (long long)step);
	struct run_source src;
	if (run_source_open(&src, path, step, NULL, err) < 0)
		return -1;
	int rc_ = same_run(&src, rc, 1, "a run", err);
	if (rc_ == 0 && !stream_ckpt_find(src.c, "optim/step"))
		rc_ = traj_fail(err, TRAJ_EDATA, -1, "%s: the checkpoint at step "
				"%lld holds no training state (optim/ tensors): "
				"train it with --state all, or rewind to a key "
				"checkpoint", path, (long long)step);
	if (rc_ == 0 && trainstate_restore(t, src.c, err) < 0) {
		traj_error_prefix(err, path);
		rc_ = -1;
	}
	if (rc_ == 0) {
		cJSON_AddStringToObject(init, "from", path);
		cJSON_AddStringToObject(init, "run", src.rc.id);
		cJSON_AddNumberToObject(init, "step", (double)step);
	}
	run_source_close(&src);
	return rc_;
}

static int load_mask(struct trainer *t, struct run_config *rc, const char *path,
		     struct traj_error *err)
{
	struct run_source src;
	if (run_source_open(&src, path, -1, "optim/", err) < 0)
		return -1;
	int n = same_run(&src, rc, 0, "a mask", err);
	if (n == 0 && trainer_mask_on(t, err) < 0)
		n = -1;
	if (n == 0) {
		n = mask_load(&t->mask, t->model, src.c->tensors, src.c->ntensors,
			      err);
		if (n < 0)
			traj_error_prefix(err, path);
		else if (n == 0)
			n = traj_fail(err, TRAJ_EDATA, -1, "%s: no mask tensors "
				      "(mask/...) in the checkpoint at step %lld",
				      path, (long long)src.c->step);
	}
	if (n > 0) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "from", path);
		cJSON_AddStringToObject(m, "run", src.rc.id);
		cJSON_AddNumberToObject(m, "step", (double)src.c->step);
		cJSON_AddItemToObject(m, "densities",
				      mask_densities_json(&t->mask, t->model));
		rc->mask = m;
	}
	run_source_close(&src);
	return n > 0 ? 0 : -1;
}

int run_start_apply(struct trainer *t, struct run_config *rc,
		    const struct run_start *s, struct traj_error *err)
{
	cJSON *init = cJSON_CreateObject();
	if (!init)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (rc->has_order_seed && !t->perm) {
		cJSON_Delete(init);
		return traj_fail(err, TRAJ_EUSAGE, -1, "--order-seed: full-batch "
				 "training has no batch order (give --batch)");
	}
	if (s->init_from && init_from(t, rc, s->init_from, init, err) < 0) {
		cJSON_Delete(init);
		return -1;
	}
	if (s->init_from && rc->has_order_seed)
		trainer_reorder(t);
	if (s->reinit) {
		trainer_reinit(t, s->reinit_seed);
		cJSON_AddNumberToObject(init, "reinit", (double)s->reinit_seed);
	}
	if (cJSON_GetArraySize(init) > 0)
		rc->init = init;
	else
		cJSON_Delete(init);
	if (s->mask && load_mask(t, rc, s->mask, err) < 0)
		return -1;
	trainer_mask_apply(t);
	return 0;
}
