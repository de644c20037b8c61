#include "analysis/probe_study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/cka.h"

void probe_study_opts_default(struct probe_study_opts *o)
{
	memset(o, 0, sizeof *o);
	o->pos = -1;
	o->ref_step = -1;
	probe_opts_default(&o->probe);
}

void probe_study_free(struct probe_study *s)
{
	probe_subject_reset(&s->subj);
	targets_free(&s->ts);
	probe_split_free(&s->split);
	probe_capture_free(&s->cap);
	probe_capture_free(&s->ref);
	free(s->res);
	memset(s, 0, sizeof *s);
	s->cka_slot = -1;
}

/* The hooks to probe: the globs given, or the residual stream after each
 * block (transformer) or each hidden layer's output (MLP). */
static int find_probe_hooks(const struct model *m,
			    const struct probe_study_opts *o, int *hooks,
			    struct traj_error *err)
{
	static char resid[] = "*hook_resid_post", post[] = "layers.*.hook_post";
	char *def[1] = { strcmp(m->kind, "transformer") == 0 ? resid : post };
	if (o->nhooks)
		return probe_capture_find_hooks(m, o->hooks, o->nhooks, hooks,
						CAPTURE_MAX_HOOKS - 1, err);
	return probe_capture_find_hooks(m, def, 1, hooks, CAPTURE_MAX_HOOKS - 1,
					err);
}

/* Over inputs, or with a group variable over its values. */
static int make_split(struct probe_study *s, const struct probe_study_opts *o,
		      struct traj_error *err)
{
	if (!o->group)
		return probe_split_make(&s->split, s->subj.in.n, &o->probe, err);
	for (int i = 0; i < s->ts.count; i++) {
		const struct probe_target *t = &s->ts.t[i];
		if (strcmp(t->name, o->group) == 0 && t->nclass > 0 && !o->labels)
			return probe_split_grouped(&s->split, t->value, t->nclass,
						   s->subj.in.n, &o->probe, err);
	}
	return traj_fail(err, TRAJ_EUSAGE, -1,
			 "--group '%s': not a categorical variable of the task",
			 o->group);
}

/* Prefixes err's message with the option and the file it names: the
 * reader of a label file or reference stream knows neither. */
static int with_context(struct traj_error *err, const char *what,
			const char *path)
{
	char why[sizeof err->msg];
	snprintf(why, sizeof why, "%s", err->msg);
	return traj_fail(err, err->status, -1, "%s '%s': %s", what, path, why);
}

static int setup_targets(struct probe_study *s, const struct probe_study_opts *o,
			 struct traj_error *err)
{
	const struct task_examples *in = &s->subj.in;
	if (o->labels) {
		FILE *f = fopen(o->labels, "r");
		if (!f)
			return traj_fail(err, TRAJ_ENOINPUT, -1,
					 "--labels: cannot open '%s'", o->labels);
		int rc = targets_from_file(f, in->n, &s->ts, err);
		fclose(f);
		if (rc < 0)
			return with_context(err, "--labels", o->labels);
	} else if (targets_from_task(&s->subj.run.rc.task, in, o->freqs, o->nfreq,
				     &s->ts, err) < 0) {
		return -1;
	}
	if (make_split(s, o, err) < 0 ||
	    targets_select(&s->ts, o->targets, o->ntargets, err) < 0)
		return -1;
	s->res = malloc((size_t)s->ts.count * sizeof *s->res);
	if (!s->res)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	return 0;
}

static int same_inputs(const struct task_examples *a, const struct task_examples *b)
{
	if (a->n != b->n || a->T != b->T || a->F != b->F)
		return 0;
	if (a->T && memcmp(a->tokens, b->tokens, (size_t)a->n * a->T * 4))
		return 0;
	return !a->F || !memcmp(a->features, b->features, (size_t)a->n * a->F * 4);
}

/* Captures the probed hooks of the reference checkpoint c of subject r. */
static int capture_ref(struct probe_study *s, struct probe_subject *r,
		       const struct traj_ckpt *c, const struct probe_study_opts *o,
		       struct traj_error *err)
{
	if (!same_inputs(&s->subj.in, &r->in))
		return traj_fail(err, TRAJ_EUSAGE, -1, "--cka-ref: the reference "
				 "run's task gives other probe inputs");
	int hooks[CAPTURE_MAX_HOOKS];
	for (int i = 0; i < s->nprobe; i++) {
		const char *name = s->subj.run.model->hooks[s->cap.hook[i]].name;
		hooks[i] = model_find_hook(r->run.model, name);
		if (hooks[i] < 0 || strcmp(r->run.model->kind, s->subj.run.model->kind))
			return traj_fail(err, TRAJ_EUSAGE, -1, "--cka-ref: the "
					 "reference model has no hook '%s'", name);
	}
	if (model_load(r->run.model, c->tensors, c->ntensors, err) < 0 ||
	    probe_capture_init(&s->ref, r->run.model, hooks, s->nprobe, o->pos,
			       r->in.n, err) < 0)
		return -1;
	return probe_capture_run(&s->ref, r->run.model, &r->in, err);
}

/* Reads the reference stream up to its checkpoint at `step` (-1: the
 * last) and captures it. */
static int read_ref(struct probe_study *s, const char *path, int64_t step,
		    const struct probe_study_opts *o, struct traj_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return traj_fail(err, TRAJ_ENOINPUT, -1,
				 "--cka-ref: cannot open '%s'", path);
	struct traj_reader *r = stream_reader_open(f, path, NULL, err);
	struct probe_subject ref = {0};
	int rec = -1, rc = -1, done = 0;
	if (r) {
		stream_reader_skip_prefix(r, "optim/");
		while (!done && (rec = stream_read_next(r, err)) > 0) {
			if (rec == TRAJ_REC_RUN &&
			    probe_subject_setup(&ref, stream_reader_run(r), o->split,
						o->max, err) < 0)
				break;
			done = rec == TRAJ_REC_CKPT &&
			       stream_reader_ckpt(r)->step == step;
		}
		const struct traj_ckpt *c = done ? stream_reader_ckpt(r) :
					    stream_reader_last_ckpt(r);
		if (rec == 0 && step < 0 && c->step >= 0)
			done = 1;
		if (done)
			rc = capture_ref(s, &ref, c, o, err);
		else if (rec == 0)
			traj_fail(err, TRAJ_EUSAGE, -1, "--cka-ref: no checkpoint%s%lld in '%s'",
				  step < 0 ? "" : " at step ",
				  step < 0 ? 0LL : (long long)step, path);
		stream_reader_free(r);
	}
	probe_subject_reset(&ref);
	fclose(f);
	if (rc < 0 && err->msg[0] && strncmp(err->msg, "--cka-ref", 9) != 0)
		with_context(err, "--cka-ref", path);
	return rc;
}

static int setup_cka(struct probe_study *s, const struct probe_study_opts *o,
		     struct traj_error *err)
{
	if (!o->cka_ref)
		return 0;
	char *end;
	long long step = strtoll(o->cka_ref, &end, 10);
	int is_step = *o->cka_ref && *end == '\0' && step >= 0;
	if (is_step && (!o->input || strcmp(o->input, "-") == 0))
		return traj_fail(err, TRAJ_EUSAGE, -1, "--cka-ref STEP: needs "
				 "FILE, standard input cannot be read twice");
	return read_ref(s, is_step ? o->input : o->cka_ref,
			is_step ? step : o->ref_step, o, err);
}

int probe_study_subject(struct probe_study *s, const cJSON *run,
			const struct probe_study_opts *o, struct traj_error *err)
{
	probe_study_free(s);
	return probe_subject_setup(&s->subj, run, o->split, o->max, err);
}

int probe_study_setup(struct probe_study *s, const cJSON *run,
		      const struct probe_study_opts *o, struct traj_error *err)
{
	if (probe_study_subject(s, run, o, err) < 0)
		return -1;
	const struct model *m = s->subj.run.model;
	s->option_error = 1; /* from here on, failures concern options */
	int hooks[CAPTURE_MAX_HOOKS];
	int n = find_probe_hooks(m, o, hooks, err);
	if (n < 0)
		return -1;
	s->nprobe = n;
	if (o->cka_hook) {
		char *glob[1] = { (char *)o->cka_hook };
		int h;
		if (probe_capture_find_hooks(m, glob, 1, &h, 1, err) < 0)
			return -1;
		s->cka_slot = n;
		for (int i = 0; i < n; i++)
			if (hooks[i] == h)
				s->cka_slot = i;
		if (s->cka_slot == n)
			hooks[n++] = h;
	}
	if (probe_capture_init(&s->cap, m, hooks, n, o->pos, s->subj.in.n, err) < 0)
		return -1;
	if ((!o->no_probe && setup_targets(s, o, err) < 0) ||
	    setup_cka(s, o, err) < 0)
		return -1;
	s->option_error = 0;
	return 0;
}

static void emit_probes(const struct probe_study *s, int slot, int64_t step,
			const struct probe_study_opts *o, probe_emit_fn *emit,
			void *ctx)
{
	const char *run = s->subj.run.rc.id;
	const char *hook = s->subj.run.model->hooks[s->cap.hook[slot]].name;
	char metric[256];
	for (int i = 0; i < s->ts.count; i++) {
		const struct probe_target *t = &s->ts.t[i];
		snprintf(metric, sizeof metric, "probe/%s/%s/%s", hook, t->name,
			 t->nclass > 0 ? "acc" : "r2");
		emit(ctx, run, step, metric, s->res[i].score);
		if (o->show_lambda) {
			snprintf(metric, sizeof metric, "probe/%s/%s/lambda", hook,
				 t->name);
			emit(ctx, run, step, metric, s->res[i].lambda);
		}
	}
}

static int emit_cka(const struct probe_study *s, int slot, int64_t step,
		    const struct capture *other, int oslot, const char *what,
		    probe_emit_fn *emit, void *ctx, struct traj_error *err)
{
	const struct capture *c = &s->cap;
	double v;
	if (cka_linear(c->act[slot], c->width[slot], other->act[oslot],
		       other->width[oslot], c->n, &v, err) < 0)
		return -1;
	char metric[256];
	snprintf(metric, sizeof metric, "cka/%s/%s",
		 s->subj.run.model->hooks[c->hook[slot]].name, what);
	emit(ctx, s->subj.run.rc.id, step, metric, v);
	return 0;
}

int probe_study_ckpt(struct probe_study *s, const struct traj_ckpt *c,
		     const struct probe_study_opts *o, probe_emit_fn *emit,
		     void *ctx, struct traj_error *err)
{
	struct model *m = s->subj.run.model;
	if (model_load(m, c->tensors, c->ntensors, err) < 0 ||
	    probe_capture_run(&s->cap, m, &s->subj.in, err) < 0)
		return -1;
	for (int h = 0; h < s->nprobe; h++) {
		if (!o->no_probe) {
			if (probe_run(s->cap.act[h], s->cap.width[h], &s->ts,
				      &s->split, &o->probe, s->res, err) < 0)
				return -1;
			emit_probes(s, h, c->step, o, emit, ctx);
		}
		if (s->cka_slot >= 0 &&
		    emit_cka(s, h, c->step, &s->cap, s->cka_slot, o->cka_hook,
			     emit, ctx, err) < 0)
			return -1;
		if (s->ref.nh &&
		    emit_cka(s, h, c->step, &s->ref, h, "ref", emit, ctx, err) < 0)
			return -1;
	}
	return 0;
}
