#include "analysis/probe_subject.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/probe_capture.h"

void probe_subject_reset(struct probe_subject *s)
{
	run_subject_free(&s->run);
	free(s->tokens);
	free(s->labels);
	free(s->features);
	memset(s, 0, sizeof *s);
}

/* Copies rows of both splits, train first, into one buffer. */
static void *join(const void *a, int64_t na, const void *b, int64_t nb,
		  size_t row)
{
	if (!a)
		return NULL;
	char *out = malloc((size_t)(na + nb) * row);
	if (out) {
		memcpy(out, a, (size_t)na * row);
		memcpy(out + (size_t)na * row, b, (size_t)nb * row);
	}
	return out;
}

static int join_splits(struct probe_subject *s, struct traj_error *err)
{
	const struct dataset *d = &s->run.data;
	const struct split *tr = &d->train, *te = &d->test;
	int T = d->vocab ? d->n_inputs : 0;
	int F = d->vocab ? 0 : d->n_inputs, K = d->n_outputs;
	s->tokens = join(tr->tokens, tr->n, te->tokens, te->n, (size_t)T * 4);
	s->features = join(tr->features, tr->n, te->features, te->n, (size_t)F * 4);
	s->labels = join(tr->labels, tr->n, te->labels, te->n, (size_t)K * 4);
	if (!s->labels || (T && !s->tokens) || (F && !s->features))
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the probe inputs");
	s->in.tokens = s->tokens;
	s->in.features = s->features;
	s->in.labels = s->labels;
	s->in.n = tr->n + te->n;
	return 0;
}

static int choose_inputs(struct probe_subject *s, enum probe_split_set which,
			 int64_t max, struct traj_error *err)
{
	const struct dataset *d = &s->run.data;
	s->in.T = d->vocab ? d->n_inputs : 0;
	s->in.F = d->vocab ? 0 : d->n_inputs;
	s->in.K = d->n_outputs;
	if (which == PROBE_SPLIT_ALL) {
		if (join_splits(s, err) < 0)
			return -1;
	} else {
		const struct split *sp = which == PROBE_SPLIT_TRAIN ?
					 &d->train : &d->test;
		s->in.n = sp->n;
		s->in.tokens = sp->tokens;
		s->in.features = sp->features;
		s->in.labels = sp->labels;
	}
	if (max > 0 && max < s->in.n)
		s->in.n = max;
	return 0;
}

int probe_subject_setup(struct probe_subject *s, const cJSON *run,
			enum probe_split_set which, int64_t max,
			struct traj_error *err)
{
	probe_subject_reset(s);
	if (run_subject_setup(&s->run, run, 1, CAPTURE_BATCH, err) < 0 ||
	    choose_inputs(s, which, max, err) < 0) {
		probe_subject_reset(s);
		return -1;
	}
	return 0;
}

void probe_subject_write_hooks(FILE *out, const struct probe_subject *s)
{
	const struct model *m = s->run.model;
	for (int h = 0; h < m->nhooks; h++) {
		fprintf(out, "%s\t[", m->hooks[h].name);
		for (int i = 0; i < m->hooks[h].rank; i++)
			fprintf(out, "%s%lld", i ? ", " : "",
				(long long)m->hooks[h].shape[i]);
		fprintf(out, "]\n");
	}
}

void probe_subject_write_inputs(FILE *out, const struct probe_subject *s)
{
	const struct task_examples *in = &s->in;
	for (int64_t e = 0; e < in->n; e++) {
		for (int t = 0; t < in->T; t++)
			fprintf(out, "%s%d", t ? " " : "", in->tokens[e * in->T + t]);
		for (int k = 0; k < in->K; k++)
			fprintf(out, "%s%d", k ? " " : "\t",
				in->labels[e * in->K + k]);
		fprintf(out, "\n");
	}
}
