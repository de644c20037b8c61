/* traj sweep collect: a sweep directory as one table. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/emerge.h"
#include "sweep/collect.h"
#include "sweep/job.h"
#include "sweep/sweepdir.h"

#define PATHLEN 4096

void sweep_outcome_opts_init(struct sweep_outcome_opts *o)
{
	o->train_acc = 0.9;
	o->test_acc = 0.9;
	o->ratio = 3;
	o->train_metric = "train/acc";
	o->test_metric = "test/acc";
}

const char *sweep_outcome_name(enum sweep_outcome c)
{
	static const char *const names[] = {"NA", "comprehension", "grokking",
					    "memorisation", "confusion"};
	return names[c];
}

enum sweep_outcome sweep_outcome_classify(int64_t train_step, int64_t test_step,
					  const struct sweep_outcome_opts *o)
{
	if (train_step < 0)
		return SWEEP_OUTCOME_CONFUSION;
	if (test_step < 0)
		return SWEEP_OUTCOME_MEMORISATION;
	/* a train transition at step 0 counts as one step, so that the ratio
	 * still means something */
	double t = train_step > 0 ? (double)train_step : 1;
	return (double)test_step > o->ratio * t ? SWEEP_OUTCOME_GROKKING
						: SWEEP_OUTCOME_COMPREHENSION;
}

struct crossings {
	const struct sweep_outcome_opts *o;
	int64_t train_step, test_step;
};

/* The first time each accuracy enters its region. */
static int on_event(const struct emerge_event *ev, void *ctx)
{
	struct crossings *c = ctx;
	if (strcmp(ev->metric, c->o->train_metric) == 0 && c->train_step < 0)
		c->train_step = ev->step;
	if (strcmp(ev->metric, c->o->test_metric) == 0 && c->test_step < 0)
		c->test_step = ev->step;
	return 0;
}

static void keep_last(const struct metric_line *m, const char *metric, double *v,
		      int64_t *at)
{
	if (strcmp(m->metric, metric) == 0 && m->step >= *at) {
		*v = m->value;
		*at = m->step;
	}
}

int sweep_summarise(FILE *in, const char *name, const struct sweep_outcome_opts *o,
		    struct sweep_summary *s, struct traj_error *err)
{
	struct emerge_when when[2];
	char text[2][EMERGE_PATTERN_MAX + 32];
	snprintf(text[0], sizeof text[0], "%s>=%.9g", o->train_metric, o->train_acc);
	snprintf(text[1], sizeof text[1], "%s>=%.9g", o->test_metric, o->test_acc);
	for (int i = 0; i < 2; i++)
		if (emerge_when_parse(text[i], &when[i], err) < 0)
			return -1;
	struct emerge_opts eo;
	emerge_opts_init(&eo);
	eo.when = when;
	eo.nwhen = 2;
	struct emerge *e = emerge_new(&eo);
	if (!e)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	struct crossings c = {o, -1, -1};
	*s = (struct sweep_summary){-1, NAN, NAN, NAN, NAN, -1, -1, SWEEP_OUTCOME_NA};
	int64_t at[4] = {-1, -1, -1, -1};
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, in) != -1) {
		struct metric_line m;
		const char *why;
		lineno++;
		int k = metric_parse(line, &m, &why);
		if (k < 0)
			rc = traj_fail(err, TRAJ_EDATA, -1, "%s: line %ld: %s", name, lineno, why);
		if (k <= 0)
			continue;
		if (m.step > s->final_step)
			s->final_step = m.step;
		keep_last(&m, "train/loss", &s->train_loss, &at[0]);
		keep_last(&m, o->train_metric, &s->train_acc, &at[1]);
		keep_last(&m, "test/loss", &s->test_loss, &at[2]);
		keep_last(&m, o->test_metric, &s->test_acc, &at[3]);
		if (emerge_add(e, &m, on_event, &c, err) < 0)
			rc = -1;
	}
	if (rc == 0 && ferror(in))
		rc = traj_fail(err, TRAJ_EFAIL, -1, "%s: read error", name);
	free(line);
	emerge_free(e);
	if (rc == 0 && at[1] < 0)
		rc = traj_fail(err, TRAJ_EDATA, -1, "%s: no %s line", name, o->train_metric);
	if (rc == 0 && at[3] < 0)
		rc = traj_fail(err, TRAJ_EDATA, -1, "%s: no %s line", name, o->test_metric);
	if (rc)
		return -1;
	s->train_step = c.train_step;
	s->test_step = c.test_step;
	s->outcome = sweep_outcome_classify(c.train_step, c.test_step, o);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_cfg(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && d->d_name[0] != '.' && strcmp(d->d_name + n - 4, ".cfg") == 0;
}

/* The union of the runs' axis names, in order of first appearance
 * (a flag's "!" dropped). */
static int add_axes(char ***axes, int *naxes, const struct sweep_cfg *c)
{
	for (int i = 0; i < c->n; i++) {
		size_t len = strcspn(c->names[i], "!");
		int seen = 0;
		for (int j = 0; j < *naxes && !seen; j++)
			seen = strlen((*axes)[j]) == len &&
			       strncmp((*axes)[j], c->names[i], len) == 0;
		if (seen)
			continue;
		char **a = realloc(*axes, (size_t)(*naxes + 1) * sizeof *a);
		if (!a)
			return -1;
		*axes = a;
		if (!(a[*naxes] = strndup(c->names[i], len)))
			return -1;
		(*naxes)++;
	}
	return 0;
}

static const char *cfg_value(const struct sweep_cfg *c, const char *axis)
{
	size_t len = strlen(axis);
	for (int i = 0; i < c->n; i++)
		if (strncmp(c->names[i], axis, len) == 0 &&
		    (c->names[i][len] == '\0' || strcmp(c->names[i] + len, "!") == 0))
			return c->values[i];
	return "NA";
}

static void print_num(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "\t%.9g", v);
	else
		fputs("\tNA", out);
}

static void print_step(FILE *out, int64_t step)
{
	if (step >= 0)
		fprintf(out, "\t%lld", (long long)step);
	else
		fputs("\tNA", out);
}

static int print_row(FILE *out, const char *dir, const char *id, const struct sweep_cfg *c,
		     char **axes, int naxes, const struct sweep_outcome_opts *o,
		     struct traj_error *err)
{
	const char *state = sweep_job_state(dir, id);
	struct sweep_summary s = {-1, NAN, NAN, NAN, NAN, -1, -1, SWEEP_OUTCOME_NA};
	if (strcmp(state, "done") == 0) {
		char path[PATHLEN];
		sweep_run_path(path, sizeof path, dir, id, ".tsv");
		FILE *in = fopen(path, "r");
		if (!in)
			return traj_fail(err, TRAJ_ENOINPUT, -1, "cannot open '%s': %s", path,
					 strerror(errno));
		int rc = sweep_summarise(in, path, o, &s, err);
		fclose(in);
		if (rc < 0)
			return -1;
	}
	fprintf(out, "%s\t%s\t%s", id, c->group, state);
	for (int j = 0; j < naxes; j++)
		fprintf(out, "\t%s", cfg_value(c, axes[j]));
	print_step(out, s.final_step);
	print_num(out, s.train_loss);
	print_num(out, s.train_acc);
	print_num(out, s.test_loss);
	print_num(out, s.test_acc);
	print_step(out, s.train_step);
	print_step(out, s.test_step);
	fprintf(out, "\t%s", sweep_outcome_name(s.outcome));
	print_step(out, s.train_step < 0 || s.test_step < 0 ? -1
			: s.test_step - s.train_step);
	fputc('\n', out);
	return 0;
}

int sweep_collect(const char *dir, const struct sweep_outcome_opts *o, FILE *out,
		  struct traj_error *err)
{
	char path[PATHLEN];
	struct stat st;
	if (stat(dir, &st) < 0)
		return traj_fail(err, TRAJ_ENOINPUT, -1, "cannot open '%s': %s", dir,
				 strerror(errno));
	snprintf(path, sizeof path, "%s/sweep.spec", dir);
	if (!S_ISDIR(st.st_mode) || stat(path, &st) < 0)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "'%s': not a sweep directory (no sweep.spec)", dir);
	snprintf(path, sizeof path, "%s/runs", dir);
	struct dirent **ents;
	int n = scandir(path, &ents, is_cfg, by_name);
	if (n < 0)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "'%s': not a sweep directory (no runs/)", dir);
	struct sweep_cfg *cfgs = calloc((size_t)n + 1, sizeof *cfgs);
	char **axes = NULL;
	int naxes = 0, rc = cfgs ? 0 : traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof path, "%s/runs/%s", dir, ents[i]->d_name);
		if (sweep_cfg_read(path, &cfgs[i], err) < 0 ||
		    (add_axes(&axes, &naxes, &cfgs[i]) < 0 &&
		     traj_fail(err, TRAJ_ENOMEM, -1, "out of memory")))
			rc = -1;
	}
	if (rc == 0) {
		fputs("id\tgroup\tstatus", out);
		for (int j = 0; j < naxes; j++)
			fprintf(out, "\t%s", axes[j]);
		fputs("\tfinal_step\ttrain_loss\ttrain_acc\ttest_loss\ttest_acc"
		      "\ttrain_step\ttest_step\toutcome\tdelay\n", out);
	}
	for (int i = 0; i < n && rc == 0; i++) {
		ents[i]->d_name[strlen(ents[i]->d_name) - 4] = '\0';
		rc = print_row(out, dir, ents[i]->d_name, &cfgs[i], axes, naxes, o, err);
		if (rc == 0 && ferror(out))
			rc = traj_fail(err, TRAJ_EFAIL, -1, "write error");
	}
	for (int i = 0; i < n; i++) {
		if (cfgs)
			sweep_cfg_free(&cfgs[i]);
		free(ents[i]);
	}
	for (int j = 0; j < naxes; j++)
		free(axes[j]);
	free(axes);
	free(ents);
	free(cfgs);
	return rc;
}
