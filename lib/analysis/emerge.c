#include "analysis/emerge.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/steepest.h"

struct series {
	char *run, *metric;
	struct series *chain;    /* next in the hash bucket */
	struct series *next;     /* next in order of first appearance */
	int have_last;
	int64_t last_step;
	double last_value;
	int analyse;             /* steepest and changepoint look at it */
	unsigned char *holding;  /* (nwhen) the condition held at the last point */
	struct cusum cp;
	struct steepest st;
};

struct emerge {
	const struct emerge_opts *o;
	struct series **buckets;
	size_t nbuckets, nseries;
	struct series *first, *last;
};

/* ---- --when expressions ---- */

static const struct { const char *text; enum when_op op; } ops[] = {
	{">=", WHEN_GE}, {"<=", WHEN_LE}, {">", WHEN_GT}, {"<", WHEN_LT},
};

int emerge_when_parse(const char *expr, struct emerge_when *w, const char **why)
{
	size_t at = strcspn(expr, "<>");
	if (expr[at] == '\0') {
		*why = "expected METRIC>=X, METRIC>X, METRIC<=X or METRIC<X";
		return -1;
	}
	if (at == 0 || at >= EMERGE_PATTERN_MAX) {
		*why = "the metric name is empty or too long";
		return -1;
	}
	size_t i = 0;
	while (strncmp(expr + at, ops[i].text, strlen(ops[i].text)) != 0)
		i++;
	const char *num = expr + at + strlen(ops[i].text);
	char *end;
	errno = 0;
	double x = strtod(num, &end);
	if (end == num || *end || errno || isnan(x)) {
		*why = "expected a number after the comparison";
		return -1;
	}
	memcpy(w->pattern, expr, at);
	w->pattern[at] = '\0';
	w->op = ops[i].op;
	w->x = x;
	snprintf(w->text, sizeof w->text, "%s", expr);
	return 0;
}

static int when_holds(const struct emerge_when *w, double v)
{
	switch (w->op) {
	case WHEN_GE: return v >= w->x;
	case WHEN_GT: return v > w->x;
	case WHEN_LE: return v <= w->x;
	case WHEN_LT: return v < w->x;
	}
	return 0;
}

/* ---- the series table ---- */

static uint64_t hash_key(const char *run, const char *metric)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = run; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '\t') * 1099511628211ULL;
	for (const char *p = metric; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static int grow_table(struct emerge *e)
{
	size_t n = e->nbuckets ? 2 * e->nbuckets : 64;
	struct series **b = calloc(n, sizeof *b);
	if (!b)
		return -1;
	for (size_t i = 0; i < e->nbuckets; i++) {
		struct series *s = e->buckets[i], *next;
		for (; s; s = next) {
			next = s->chain;
			size_t j = hash_key(s->run, s->metric) % n;
			s->chain = b[j];
			b[j] = s;
		}
	}
	free(e->buckets);
	e->buckets = b;
	e->nbuckets = n;
	return 0;
}

static int matches_any(char *const *globs, int n, const char *metric)
{
	if (n == 0)
		return 1;
	for (int i = 0; i < n; i++)
		if (fnmatch(globs[i], metric, 0) == 0)
			return 1;
	return 0;
}

static void series_free(struct series *s)
{
	if (!s)
		return;
	free(s->run);
	free(s->metric);
	free(s->holding);
	steepest_free(&s->st);
	free(s);
}

static struct series *series_new(const struct emerge *e, const char *run,
				 const char *metric)
{
	struct series *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->run = strdup(run);
	s->metric = strdup(metric);
	s->holding = calloc((size_t)e->o->nwhen + 1, 1);
	if (!s->run || !s->metric || !s->holding) {
		series_free(s);
		return NULL;
	}
	s->analyse = matches_any(e->o->metrics, e->o->nmetrics, metric);
	steepest_init(&s->st);
	changepoint_cusum_reset(&s->cp);
	return s;
}

static struct series *series_get(struct emerge *e, const char *run,
				 const char *metric)
{
	uint64_t h = hash_key(run, metric);
	struct series *s = e->buckets[h % e->nbuckets];
	for (; s; s = s->chain)
		if (strcmp(s->run, run) == 0 && strcmp(s->metric, metric) == 0)
			return s;
	if (e->nseries >= e->nbuckets && grow_table(e) < 0)
		return NULL;
	if (!(s = series_new(e, run, metric)))
		return NULL;
	size_t j = h % e->nbuckets;
	s->chain = e->buckets[j];
	e->buckets[j] = s;
	e->nseries++;
	if (e->last)
		e->last->next = s;
	else
		e->first = s;
	e->last = s;
	return s;
}

struct emerge *emerge_new(const struct emerge_opts *opts)
{
	struct emerge *e = calloc(1, sizeof *e);
	if (!e || grow_table(e) < 0) {
		free(e);
		return NULL;
	}
	e->o = opts;
	return e;
}

void emerge_free(struct emerge *e)
{
	if (!e)
		return;
	struct series *s = e->first, *next;
	for (; s; s = next) {
		next = s->next;
		series_free(s);
	}
	free(e->buckets);
	free(e);
}

/* ---- detection ---- */

/* A step that does not increase starts the series again (a rerun of the
 * same run id, or concatenated outputs): its history says nothing about
 * the new points. */
static void series_restart(struct series *s, int nwhen)
{
	s->have_last = 0;
	memset(s->holding, 0, (size_t)nwhen);
	changepoint_cusum_reset(&s->cp);
	steepest_free(&s->st);
}

static int check_thresholds(const struct emerge *e, struct series *s,
			    const struct metric_line *m, emerge_emit emit,
			    void *ctx)
{
	for (int i = 0; i < e->o->nwhen; i++) {
		const struct emerge_when *w = &e->o->when[i];
		if (fnmatch(w->pattern, m->metric, 0) != 0)
			continue;
		int holds = when_holds(w, m->value);
		int entered = holds && !s->holding[i];
		s->holding[i] = (unsigned char)holds;
		if (!entered)
			continue;
		struct emerge_event ev = {
			s->run, s->metric, m->step, "cross",
			s->have_last ? s->last_value : NAN, m->value,
			s->have_last ? s->last_step : m->step, m->step, w->text,
		};
		int rc = emit(&ev, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_changepoint(const struct emerge *e, struct series *s,
			     const struct metric_line *m, emerge_emit emit,
			     void *ctx)
{
	struct cusum_change c;
	if (!changepoint_cusum_add(&s->cp, &e->o->cusum, m->step, m->value, &c) ||
	    fabs(c.after - c.before) < e->o->cusum.min_delta)
		return 0;
	struct emerge_event ev = {
		s->run, s->metric, c.step, c.rise ? "rise" : "fall",
		c.before, c.after, c.from, c.to, "changepoint",
	};
	return emit(&ev, ctx);
}

int emerge_add(struct emerge *e, const struct metric_line *m, emerge_emit emit,
	       void *ctx, struct traj_error *err)
{
	struct series *s = series_get(e, m->run, m->metric);
	if (!s)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (s->have_last && m->step <= s->last_step)
		series_restart(s, e->o->nwhen);
	int rc = check_thresholds(e, s, m, emit, ctx);
	if (!rc && s->analyse && e->o->changepoint)
		rc = check_changepoint(e, s, m, emit, ctx);
	if (!rc && s->analyse && e->o->steepest &&
	    steepest_add(&s->st, e->o->window, m->step, m->value) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	s->have_last = 1;
	s->last_step = m->step;
	s->last_value = m->value;
	return rc;
}

int emerge_finish(struct emerge *e, emerge_emit emit, void *ctx)
{
	for (struct series *s = e->first; s; s = s->next) {
		const struct steepest *st = &s->st;
		if (!st->have || fabs(st->after - st->before) < e->o->cusum.min_delta ||
		    st->after == st->before)
			continue;
		struct emerge_event ev = {
			s->run, s->metric, st->mid,
			st->after > st->before ? "rise" : "fall",
			st->before, st->after, st->from, st->to, "steepest",
		};
		int rc = emit(&ev, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

void emerge_event_print(FILE *out, const struct emerge_event *ev)
{
	fprintf(out, "%s\t%lld\t%s\t%s\t%.9g\t%.9g\t%lld\t%lld\t%s\n", ev->run,
		(long long)ev->step, ev->metric, ev->kind, ev->before, ev->after,
		(long long)ev->from, (long long)ev->to, ev->method);
}
