#include "interp/prune_study.h"

#include <stdio.h>
#include <string.h>

#include "format/metrics.h"

/* The mask of --mask FILE: of the same model. */
static int load_other_mask(struct prune_result *r, const char *path,
			   struct traj_error *err)
{
	struct run_source ms;
	char diff[256];
	if (run_source_open(&ms, path, -1, "optim/", err) < 0)
		return -1;
	int n = 0;
	if (run_json_diff(ms.rc.model, r->src.rc.model, "model", diff, sizeof diff))
		n = traj_fail(err, TRAJ_EDATA, -1, "%s: a mask of another model: %s",
			      path, diff);
	if (n == 0) {
		n = mask_load(&r->mask, r->model, ms.c->tensors, ms.c->ntensors, err);
		if (n < 0)
			traj_error_prefix(err, path);
		else if (n == 0)
			n = traj_fail(err, TRAJ_EDATA, -1, "%s: no mask tensors "
				      "(mask/...) in the checkpoint at step %lld",
				      path, (long long)ms.c->step);
	}
	snprintf(r->mask_from, sizeof r->mask_from, "%s", path);
	run_source_close(&ms);
	return n > 0 ? 0 : -1;
}

int prune_study_run(const struct prune_job *j, struct prune_result *r,
		    struct traj_error *err)
{
	memset(r, 0, sizeof *r);
	if (run_source_open(&r->src, j->input, j->step, "optim/", err) < 0)
		return -1;
	const struct traj_ckpt *c = r->src.c;
	r->model = model_from_json(r->src.rc.model, 1, err);
	if (!r->model || mask_init(&r->mask, r->model, err) < 0)
		goto fail;
	if (j->mask) {
		if (load_other_mask(r, j->mask, err) < 0)
			return -1;
	} else {
		int n = mask_load(&r->mask, r->model, c->tensors, c->ntensors, err);
		if (n < 0)
			goto fail;
		if (n > 0)
			snprintf(r->mask_from, sizeof r->mask_from, "%s", j->input);
	}
	/* a mask file holds no weights: enough to list it */
	r->have_weights = stream_ckpt_find(c, r->model->views[0].name) != NULL;
	if ((r->have_weights || j->prune) &&
	    model_load(r->model, c->tensors, c->ntensors, err) < 0)
		goto fail;
	if (!j->prune)
		return 0;
	if (prune_mask(&r->mask, r->model, r->model->params, &j->opts, err) < 0)
		return err->status == TRAJ_EUSAGE ? -1 : (traj_error_prefix(err, j->input), -1);
	return 0;
fail:
	traj_error_prefix(err, j->input);
	return -1;
}

static cJSON *mask_header(const struct prune_job *j, const struct prune_result *r)
{
	cJSON *m = cJSON_CreateObject(), *p = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "from", j->input);
	cJSON_AddStringToObject(m, "run", r->src.rc.id);
	cJSON_AddNumberToObject(m, "step", (double)r->src.c->step);
	if (r->mask_from[0])
		cJSON_AddStringToObject(m, "pruned_from", r->mask_from);
	if (j->prune) {
		const struct prune_opts *o = &j->opts;
		cJSON_AddStringToObject(p, "method", o->random ? "random" : "magnitude");
		cJSON_AddStringToObject(p, "scope", o->global ? "global" : "layer");
		cJSON_AddNumberToObject(p, "rate", o->rate);
		cJSON_AddNumberToObject(p, "output_rate",
					o->output_rate < 0 ? o->rate : o->output_rate);
		if (o->random)
			cJSON_AddNumberToObject(p, "seed", (double)o->seed);
		cJSON_AddItemToObject(m, "prune", p);
	} else {
		cJSON_Delete(p);
	}
	cJSON_AddItemToObject(m, "densities", mask_densities_json(&r->mask, r->model));
	return m;
}

int prune_study_write(const struct prune_job *j, const struct prune_result *r,
		      FILE *out, struct traj_error *err)
{
	cJSON *run = cJSON_Duplicate(r->src.run, 1);
	if (!run)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(run, "type");
	cJSON_DeleteItemFromObjectCaseSensitive(run, "version");
	cJSON_DeleteItemFromObjectCaseSensitive(run, "mask");
	cJSON_AddItemToObject(run, "mask", mask_header(j, r));
	struct traj_writer *w = stream_writer_open(out, run, NULL, err);
	cJSON_Delete(run);
	if (!w)
		return -1;
	const struct model *m = r->model;
	int rc = stream_write_begin(w, r->src.c->step, mask_count(&r->mask), NULL, err);
	for (int i = 0; rc == 0 && i < m->nviews; i++) {
		struct traj_tensor t;
		if (!r->mask.masked[i])
			continue;
		if (mask_view_tensor(&r->mask, m, i, &t) < 0)
			rc = traj_fail(err, TRAJ_EINTERNAL, -1, "name too long");
		else
			rc = stream_write_tensor(w, &t, err);
	}
	if (rc == 0)
		rc = stream_write_end(w, err);
	if (rc == 0)
		return stream_writer_close(w, err);
	stream_writer_free(w);
	return -1;
}

int prune_study_list(const struct prune_result *r, FILE *out)
{
	const struct model *m = r->model;
	const char *run = r->src.rc.id;
	int64_t step = r->src.c->step, kept = 0, all = 0;
	char name[TRAJ_NAME_MAX + 32];
	for (int i = 0; i < m->nviews; i++) {
		if (!r->mask.masked[i])
			continue;
		int64_t k = mask_kept(&r->mask, m, i), n = (int64_t)m->views[i].numel;
		kept += k;
		all += n;
		snprintf(name, sizeof name, "prune/%s/density", m->views[i].name);
		if (metric_print(out, run, step, name, (double)k / (double)n) < 0)
			return -1;
		snprintf(name, sizeof name, "prune/%s/kept", m->views[i].name);
		if (metric_print(out, run, step, name, (double)k) < 0)
			return -1;
		if (!r->have_weights)
			continue;
		snprintf(name, sizeof name, "prune/%s/nonzero", m->views[i].name);
		if (metric_print(out, run, step, name,
				 (double)mask_nonzero(m, m->params, i) / (double)n) < 0)
			return -1;
	}
	return metric_print(out, run, step, "prune/total/density",
			    all ? (double)kept / (double)all : 1.0);
}

void prune_result_free(struct prune_result *r)
{
	if (r->model) {
		mask_free(&r->mask);
		model_free(r->model);
	}
	run_source_close(&r->src);
	memset(r, 0, sizeof *r);
}
