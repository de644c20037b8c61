#include "analysis/targets.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nameglob.h"

void targets_free(struct target_set *ts)
{
	for (int i = 0; i < ts->count; i++)
		free(ts->t[i].value);
	free(ts->t);
	memset(ts, 0, sizeof *ts);
}

/* Appends a target called `name`; its values are left to fill. Returns
 * it (valid until the next add: the array may move), or NULL when out of
 * memory. */
static struct probe_target *add(struct target_set *ts, int nclass,
				const char *name)
{
	if (ts->count == ts->cap) {
		int cap = ts->cap ? 2 * ts->cap : 16;
		struct probe_target *t = realloc(ts->t, (size_t)cap * sizeof *t);
		if (!t)
			return NULL;
		ts->t = t;
		ts->cap = cap;
	}
	struct probe_target *t = &ts->t[ts->count];
	t->value = malloc((size_t)(ts->n > 0 ? ts->n : 1) * sizeof *t->value);
	if (!t->value)
		return NULL;
	ts->count++;
	t->nclass = nclass;
	snprintf(t->name, sizeof t->name, "%s", name);
	return t;
}

/* task_variables' callback: each variable a target. */
static double *add_variable(void *ctx, int nclass, const char *name)
{
	struct probe_target *t = add(ctx, nclass, name);
	return t ? t->value : NULL;
}

int targets_from_task(const struct task_config *cfg,
		      const struct task_examples *in, const int *freqs,
		      int nfreq, struct target_set *ts, struct traj_error *err)
{
	memset(ts, 0, sizeof *ts);
	ts->n = in->n;
	int rc = task_variables(cfg, in, freqs, nfreq, add_variable, ts, err);
	if (rc < 0)
		targets_free(ts);
	return rc;
}

/* Parses one line holding a number; 0, or -1 with *why set. */
static int parse_label(char *line, double *v, const char **why)
{
	line[strcspn(line, "\r\n")] = '\0';
	char *end;
	errno = 0;
	*v = strtod(line, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == line || *end != '\0' || errno == ERANGE || !isfinite(*v)) {
		*why = "not a finite number";
		return -1;
	}
	return 0;
}

static int labels_categorical(const double *v, int64_t n, int *nclass)
{
	double top = -1;
	for (int64_t i = 0; i < n; i++) {
		if (!(v[i] >= 0 && v[i] < TARGET_MAX_CLASSES && v[i] == floor(v[i])))
			return 0;
		if (v[i] > top)
			top = v[i];
	}
	*nclass = (int)top + 1;
	return 1;
}

/* Divides numeric labels by a power of two that brings them into
 * [-1, 1]: exact, and neither a ridge fit nor R^2 changes with the
 * scale of y, but squares of labels over 1e154 overflow to inf. */
static void scale_down(double *v, int64_t n)
{
	double top = 0;
	int e;
	for (int64_t i = 0; i < n; i++)
		top = fabs(v[i]) > top ? fabs(v[i]) : top;
	frexp(top, &e);
	for (int64_t i = 0; e > 0 && i < n; i++)
		v[i] = ldexp(v[i], -e);
}

int targets_from_file(FILE *f, int64_t n, struct target_set *ts,
		      struct traj_error *err)
{
	memset(ts, 0, sizeof *ts);
	ts->n = n;
	struct probe_target *t = add(ts, 0, "label");
	if (!t)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	char *line = NULL;
	size_t cap = 0;
	int64_t count = 0;
	const char *why = NULL;
	while (getline(&line, &cap, f) >= 0) {
		double v;
		if (parse_label(line, &v, &why) < 0)
			break;
		if (count < n)
			t->value[count] = v;
		count++;
	}
	free(line);
	if (why) {
		targets_free(ts);
		return traj_fail(err, TRAJ_EDATA, -1, "line %lld: %s",
				 (long long)count + 1, why);
	}
	if (ferror(f) || count != n) {
		targets_free(ts);
		return ferror(f) ? traj_fail(err, TRAJ_EFAIL, -1, "read error")
				 : traj_fail(err, TRAJ_EDATA, -1,
					     "%lld labels for %lld probe inputs (one per line)",
					     (long long)count, (long long)n);
	}
	int nclass;
	if (labels_categorical(t->value, n, &nclass))
		t->nclass = nclass;
	else
		scale_down(t->value, n);
	return 0;
}

int targets_select(struct target_set *ts, char *const *globs, int nglobs,
		   struct traj_error *err)
{
	int kept = 0;
	char names[400] = "";
	for (int i = 0; i < ts->count; i++) {
		if (strlen(names) + strlen(ts->t[i].name) + 8 < sizeof names)
			snprintf(names + strlen(names), sizeof names - strlen(names),
				 "%s%s", i ? ", " : "", ts->t[i].name);
		if (nameglob_match(globs, nglobs, ts->t[i].name))
			ts->t[kept++] = ts->t[i];
		else
			free(ts->t[i].value);
	}
	ts->count = kept;
	if (kept == 0)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--target: no target matches; targets: %s%s", names,
				 strlen(names) + 60 > sizeof names ? ", ..." : "");
	return 0;
}

int targets_width(const struct probe_target *t)
{
	return t->nclass > 0 ? t->nclass : 1;
}

int targets_total_width(const struct target_set *ts)
{
	int w = 0;
	for (int i = 0; i < ts->count; i++)
		w += targets_width(&ts->t[i]);
	return w;
}

void targets_row(void *ctx, int64_t e, double *y)
{
	const struct target_set *ts = ctx;
	int off = 0;
	for (int i = 0; i < ts->count; i++) {
		const struct probe_target *t = &ts->t[i];
		int w = targets_width(t);
		if (t->nclass > 0) {
			memset(y + off, 0, (size_t)w * sizeof *y);
			y[off + (int)t->value[e]] = 1;
		} else {
			y[off] = t->value[e];
		}
		off += w;
	}
}
