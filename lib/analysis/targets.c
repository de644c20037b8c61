#include "analysis/targets.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
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

/* Appends a target named by the format; its values are left to fill.
 * Returns it (valid until the next add: the array may move), or NULL
 * when out of memory. */
static struct probe_target *add(struct target_set *ts, int nclass,
				const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct probe_target *add(struct target_set *ts, int nclass,
				const char *fmt, ...)
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
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->name, sizeof t->name, fmt, ap);
	va_end(ap);
	return t;
}

static const char *const mod_vars[3] = { "a", "b", "answer" };

static int mod_var(const struct probe_inputs *in, int64_t e, int v)
{
	return v < 2 ? in->tokens[e * in->T + v] : in->labels[e * in->K];
}

static int modular_targets(const struct task_config *cfg,
			   const struct probe_inputs *in, const int *freqs,
			   int nfreq, struct target_set *ts,
			   struct traj_error *err)
{
	int p = cfg->p, kmax = (p - 1) / 2;
	for (int i = 0; i < nfreq; i++)
		if (freqs[i] < 1 || freqs[i] > kmax)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "--freq: %d outside 1..%d ((p - 1) / 2 for p = %d)",
					 freqs[i], kmax, p);
	for (int v = 0; v < 3; v++) {
		struct probe_target *t = add(ts, p, "%s", mod_vars[v]);
		if (!t)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		for (int64_t e = 0; e < ts->n; e++)
			t->value[e] = mod_var(in, e, v);
	}
	int nk = nfreq ? nfreq : kmax;
	for (int v = 0; v < 3; v++)
		for (int i = 0; i < nk; i++) {
			int k = nfreq ? freqs[i] : i + 1;
			/* both added before either is used: add may move ts->t */
			if (!add(ts, 0, "%s_cos%d", mod_vars[v], k) ||
			    !add(ts, 0, "%s_sin%d", mod_vars[v], k))
				return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
			struct probe_target *c = &ts->t[ts->count - 2], *s = c + 1;
			for (int64_t e = 0; e < ts->n; e++) {
				/* k x mod p first: the angle stays in [0, 2 pi) */
				double w = 2 * M_PI * (double)((int64_t)k * mod_var(in, e, v) % p) / p;
				c->value[e] = cos(w);
				s->value[e] = sin(w);
			}
		}
	return 0;
}

/* Digit i (most significant first) of an operand is token i of a and
 * token n + 1 + i of b; the answer's digits are the labels. */
static int add_targets(const struct task_config *cfg,
		       const struct probe_inputs *in, struct target_set *ts,
		       struct traj_error *err)
{
	int n = cfg->digits;
	for (int op = 0; op < 2; op++)
		for (int i = 0; i < n; i++) {
			struct probe_target *t = add(ts, 10, "%c%d", "ab"[op], i);
			if (!t)
				return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
			for (int64_t e = 0; e < ts->n; e++)
				t->value[e] = in->tokens[e * in->T + op * (n + 1) + i];
		}
	for (int i = 0; i <= n; i++) {
		struct probe_target *t = add(ts, 10, "c%d", i);
		if (!t)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		for (int64_t e = 0; e < ts->n; e++)
			t->value[e] = in->labels[e * in->K + i];
	}
	int first = ts->count;
	for (int i = 0; i < n; i++)
		if (!add(ts, 2, "carry%d", i))
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int64_t e = 0; e < ts->n; e++) {
		const int32_t *tok = in->tokens + e * in->T;
		int carry = 0;
		for (int i = n - 1; i >= 0; i--) { /* least significant first */
			carry = (tok[i] + tok[n + 1 + i] + carry) >= 10;
			ts->t[first + i].value[e] = carry;
		}
	}
	return 0;
}

static int parity_targets(const struct task_config *cfg,
			  const struct probe_inputs *in, struct target_set *ts,
			  struct traj_error *err)
{
	for (int i = 0; i <= cfg->bits; i++) {
		int label = i == cfg->bits;
		struct probe_target *t = label ? add(ts, 2, "parity")
					       : add(ts, 2, "bit%d", i);
		if (!t)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		for (int64_t e = 0; e < ts->n; e++)
			t->value[e] = label ? in->labels[e * in->K]
					    : in->tokens[e * in->T + i];
	}
	return 0;
}

static int fashion_targets(const struct probe_inputs *in,
			   struct target_set *ts, struct traj_error *err)
{
	struct probe_target *t = add(ts, 10, "class");
	if (!t)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int64_t e = 0; e < ts->n; e++)
		t->value[e] = in->labels[e * in->K];
	return 0;
}

int targets_from_task(const struct task_config *cfg,
		      const struct probe_inputs *in, const int *freqs,
		      int nfreq, struct target_set *ts, struct traj_error *err)
{
	memset(ts, 0, sizeof *ts);
	ts->n = in->n;
	int rc;
	switch (cfg->family) {
	case TASK_MODULAR: rc = modular_targets(cfg, in, freqs, nfreq, ts, err); break;
	case TASK_ADD: rc = add_targets(cfg, in, ts, err); break;
	case TASK_PARITY: rc = parity_targets(cfg, in, ts, err); break;
	case TASK_FASHION: rc = fashion_targets(in, ts, err); break;
	default:
		rc = traj_fail(err, TRAJ_EUSAGE, -1,
			       "task %s defines no probe targets; give --labels FILE",
			       cfg->name);
	}
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
