#include "analysis/emerge.h"
#include "analysis/emerge_impl.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/noise.h"
#include "analysis/steepest.h"

/* ---- --when expressions ---- */

static const struct { const char *text; enum when_op op; } ops[] = {
	{">=", WHEN_GE}, {"<=", WHEN_LE}, {">", WHEN_GT}, {"<", WHEN_LT},
};

/* A finite decimal number, as a person writes one: [+-]digits[.digits]
 * [e[+-]digits]. strtod alone also takes hexadecimal, "inf", leading
 * blanks, and overflows to infinity. */
static int decimal(const char *t, double *out)
{
	const char *p = t;
	if (*p == '+' || *p == '-')
		p++;
	size_t whole = strspn(p, "0123456789");
	p += whole;
	size_t frac = 0;
	if (*p == '.')
		p++, frac = strspn(p, "0123456789"), p += frac;
	if (whole + frac == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		size_t exp = strspn(p, "0123456789");
		if (exp == 0)
			return -1;
		p += exp;
	}
	if (*p)
		return -1;
	errno = 0;
	double x = strtod(t, NULL);
	if (errno == ERANGE && fabs(x) > 1)
		return -1;
	*out = x;
	return isfinite(x) ? 0 : -1;
}

int emerge_when_parse(const char *expr, struct emerge_when *w,
		      struct traj_error *err)
{
	size_t at = strcspn(expr, "<>");
	if (expr[at] == '\0')
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "expected METRIC>=X, METRIC>X, METRIC<=X or METRIC<X");
	if (at == 0 || at >= EMERGE_PATTERN_MAX)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "the metric name is empty or too long");
	size_t i = 0;
	while (strncmp(expr + at, ops[i].text, strlen(ops[i].text)) != 0)
		i++;
	const char *num = expr + at + strlen(ops[i].text);
	double x;
	if (decimal(num, &x) < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "'%.64s' is not a finite decimal number", num);
	memcpy(w->pattern, expr, at);
	w->pattern[at] = '\0';
	w->op = ops[i].op;
	w->x = x;
	snprintf(w->text, sizeof w->text, "%s", expr);
	return 0;
}

void emerge_opts_init(struct emerge_opts *o)
{
	memset(o, 0, sizeof *o);
	o->window = 0.3;
	o->cp = (struct changepoint_opts){.window = 8, .threshold = 5,
					  .min_delta = 0.05};
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
	changepoint_free(&s->cp);
	free(s);
}

static struct series *series_new(const struct emerge *e, const char *run,
				 const char *metric, struct traj_error *err)
{
	struct series *s = calloc(1, sizeof *s);
	if (!s) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		return NULL;
	}
	s->run = strdup(run);
	s->metric = strdup(metric);
	s->holding = calloc((size_t)e->o->nwhen + 1, 1);
	if (!s->run || !s->metric || !s->holding) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		series_free(s);
		return NULL;
	}
	if (changepoint_init(&s->cp, &e->o->cp, err) < 0) {
		series_free(s);
		return NULL;
	}
	s->analyse = matches_any(e->o->metrics, e->o->nmetrics, metric);
	return s;
}

struct series *emerge_series_get(struct emerge *e, const char *run,
				 const char *metric, struct traj_error *err)
{
	uint64_t h = hash_key(run, metric);
	struct series *s = e->buckets[h % e->nbuckets];
	for (; s; s = s->chain)
		if (strcmp(s->run, run) == 0 && strcmp(s->metric, metric) == 0)
			return s;
	if (e->nseries >= e->nbuckets && grow_table(e) < 0) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		return NULL;
	}
	if (!(s = series_new(e, run, metric, err)))
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
	for (struct run_ident *r = e->idents, *next; r; r = next) {
		next = r->next;
		free(r->run);
		free(r);
	}
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
	s->announced = EMERGE_ANNOUNCED_NONE;
	memset(s->holding, 0, (size_t)nwhen);
	changepoint_reset(&s->cp);
	memset(&s->steep, 0, sizeof s->steep);
	s->nearly = 0;
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
			NAN, NAN,
		};
		struct noise_est ne;
		if (changepoint_noise(&s->cp, &e->o->cp, &ne) == 0) {
			ev.noise = ne.sigma;
			ev.z = fabs(m->value - w->x) / ne.point;
		}
		int rc = emit(&ev, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

const char *const emerge_kinds[] = {[CP_RISE] = "rise", [CP_FALL] = "fall",
				     [CP_SPIKE] = "spike"};

/* The steepest window among the points of the change c, if it is the
 * steepest of the series so far. */
static void keep_steepest(const struct emerge *e, struct series *s,
			  const struct changepoint_change *c)
{
	struct steep_window w;
	steepest_find(c->points, c->npoints, c->work, e->o->window,
		      c->kind == CP_RISE, &w);
	emerge_offer_steepest(s, &w, c->z, c->noise.sigma);
}

static const char *const open_kinds[] = {[CP_RISE] = "rising", [CP_FALL] = "falling"};

/* The last EMERGE_EARLY_LAST points of the change c still stand out of
 * its old level, on the side it moves to: a spike decaying over a few
 * checkpoints, whose mean since the alarm may still look like a rise, has
 * come back by then; a rise has not. */
static int still_away(const struct emerge *e, const struct series *s,
		      const struct changepoint_change *c)
{
	double last = 0;
	for (int i = c->npoints - EMERGE_EARLY_LAST; i < c->npoints; i++)
		last += c->points[i].value / EMERGE_EARLY_LAST;
	double d = last - c->before;
	double se = c->noise.tau * sqrt(1.0 / s->cp.n_before + 1.0 / EMERGE_EARLY_LAST);
	if ((d > 0) != (c->after > c->before) || fabs(d) < e->o->cp.min_delta / 2)
		return 0;
	return se > 0 ? fabs(d) / se >= e->o->cp.threshold / 2 : 1;
}

/* opts.early: the change under way, once, as soon as it is a significant
 * rise or fall as it stands (changepoint_open), has EMERGE_EARLY_POINTS
 * points past its alarm and is still away from the old level. Decided at
 * every point from the points so far, whatever comes after them, so a
 * stream fed in pieces announces just what it does fed whole. */
static int announce(const struct emerge *e, struct series *s, emerge_emit emit,
		    void *ctx)
{
	struct changepoint_change c;
	if (s->announced || !s->cp.moving || s->cp.since < EMERGE_EARLY_POINTS ||
	    !changepoint_open(&s->cp, &e->o->cp, &c) || c.npoints < EMERGE_EARLY_LAST ||
	    !still_away(e, s, &c))
		return 0;
	s->announced = c.kind == CP_RISE ? EMERGE_ANNOUNCED_RISING
					 : EMERGE_ANNOUNCED_FALLING;
	s->announced_step = c.step;
	struct emerge_event ev = {
		s->run, s->metric, c.step, open_kinds[c.kind], c.before,
		c.after, c.from, c.to, "changepoint", c.z, c.noise.sigma,
	};
	return emit(&ev, ctx);
}

/* The change c is the rise or fall announced (was: an
 * EMERGE_ANNOUNCED_*). */
static int confirms(const struct changepoint_change *c, int was)
{
	return (c->kind == CP_RISE && was != EMERGE_ANNOUNCED_FALLING) ||
	       (c->kind == CP_FALL && was != EMERGE_ANNOUNCED_RISING);
}

/* The announced change is over (at step `at`, its points from `first` on)
 * and was not the rise or fall announced (found: what it was): the
 * provisional line is withdrawn, once. The line names the provisional
 * line's STEP, the level before, the level the series settled at (the
 * mean of the points the detector settled on, as a final AFTER) and how
 * far that stands out of the noise. */
static int retract(const struct emerge *e, const struct series *s, int was,
		   int found, const struct changepoint_change *c, int64_t first,
		   int64_t at, emerge_emit emit, void *ctx)
{
	if (found && confirms(c, was))
		return 0;
	const struct changepoint *cp = &s->cp;
	int W = e->o->cp.window, v = cp->scale / 2 > W ? cp->scale / 2 : W;
	int n = 2 * v < cp->n ? 2 * v : cp->n;
	double after = 0;
	for (int i = cp->n - n; i < cp->n; i++)
		after += cp->ring[(cp->head + i) % cp->cap].value;
	after /= n;
	double se = cp->noise.tau * sqrt(1.0 / cp->n_before + 1.0 / n);
	double d = fabs(after - cp->before);
	struct emerge_event ev = {
		s->run, s->metric, s->announced_step, "retract", cp->before,
		after, first, at, "changepoint",
		se > 0 ? d / se : d > 0 ? INFINITY : 0, cp->noise.sigma,
	};
	return emit(&ev, ctx);
}

/* Feeds the point to the change-point detector; a significant change
 * may hold the steepest window of the series. */
static int analyse(const struct emerge *e, struct series *s,
		   const struct metric_line *m, emerge_emit emit, void *ctx,
		   struct traj_error *err)
{
	struct changepoint_change c;
	int64_t first = s->cp.moving && s->cp.nkept ? s->cp.kept[0].step : m->step;
	int found = changepoint_add(&s->cp, &e->o->cp, m->step, m->value, &c,
				    err);
	if (found < 0)
		return -1;
	/* an announced change that is over: the next change is another */
	int was = s->cp.moving ? EMERGE_ANNOUNCED_NONE : s->announced;
	if (!s->cp.moving)
		s->announced = EMERGE_ANNOUNCED_NONE;
	/* a change found early, not far out of the noise, waits for more
	 * points to judge it by (emerge.h) */
	int held = found && emerge_holds(e, s, &c);
	int waits = held && was != EMERGE_ANNOUNCED_NONE && confirms(&c, was);
	if (held)
		emerge_hold(e, s, &c, waits ? was : EMERGE_ANNOUNCED_NONE, first,
			    m->step);
	int rc = 0;
	if (s->nearly && emerge_past_judging(e, s) &&
	    (rc = emerge_judge_early(e, s, emit, ctx)))
		return rc;
	if (found && !held && c.kind != CP_SPIKE && e->o->steepest)
		keep_steepest(e, s, &c);
	if (e->o->changepoint && found && !held) {
		struct emerge_event ev = {
			s->run, s->metric, c.step, emerge_kinds[c.kind], c.before,
			c.after, c.from, c.to, "changepoint", c.z, c.noise.sigma,
		};
		if ((rc = emit(&ev, ctx)))
			return rc;
	}
	if (!e->o->changepoint)
		return 0;
	if (was != EMERGE_ANNOUNCED_NONE && !waits &&
	    (rc = retract(e, s, was, found, &c, first, m->step, emit, ctx)))
		return rc;
	return e->o->early ? announce(e, s, emit, ctx) : 0;
}

/* The series starts afresh: a change it announced will never end, so
 * its provisional line is withdrawn (AFTER and Z unknown, TO its last
 * step), and the series is restarted. */
static int restart(const struct emerge *e, struct series *s, emerge_emit emit,
		   void *ctx)
{
	int rc = emerge_judge_early(e, s, emit, ctx);
	if (!rc && s->announced && e->o->changepoint && emit) {
		const struct changepoint *cp = &s->cp;
		struct emerge_event ev = {
			s->run, s->metric, s->announced_step, "retract",
			cp->before, NAN, cp->nkept ? cp->kept[0].step : s->last_step,
			s->last_step, "changepoint", NAN, cp->noise.sigma,
		};
		rc = emit(&ev, ctx);
	}
	series_restart(s, e->o->nwhen);
	return rc;
}

int emerge_run_identity(struct emerge *e, const char *run, uint64_t ident,
			emerge_emit emit, void *ctx, struct traj_error *err)
{
	struct run_ident *r = e->idents;
	while (r && strcmp(r->run, run) != 0)
		r = r->next;
	if (r && r->ident == ident)
		return 0;
	if (r) {
		r->ident = ident;
		int rc = 0;
		for (struct series *s = e->first; s; s = s->next)
			if (strcmp(s->run, run) == 0 && !rc)
				rc = restart(e, s, emit, ctx);
			else if (strcmp(s->run, run) == 0)
				series_restart(s, e->o->nwhen);
		return rc ? rc : 1;
	}
	if (!(r = calloc(1, sizeof *r)) || !(r->run = strdup(run))) {
		free(r);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	r->ident = ident;
	if (e->last_ident)
		e->last_ident->next = r;
	else
		e->idents = r;
	e->last_ident = r;
	return 0;
}

int emerge_add(struct emerge *e, const struct metric_line *m, emerge_emit emit,
	       void *ctx, struct traj_error *err)
{
	struct series *s = emerge_series_get(e, m->run, m->metric, err);
	if (!s)
		return -1;
	if (s->have_last && m->step <= s->last_step) {
		if (e->o->skip_seen)
			return 0;
		int rc = restart(e, s, emit, ctx);
		if (rc)
			return rc;
	}
	/* The detector first, so that a crossing sees the noise up to and
	 * including its point. */
	int rc = 0;
	if (s->analyse && (e->o->changepoint || e->o->steepest))
		rc = analyse(e, s, m, emit, ctx, err);
	else
		changepoint_observe(&s->cp, m->step, m->value);
	if (!rc)
		rc = check_thresholds(e, s, m, emit, ctx);
	s->have_last = 1;
	s->last_step = m->step;
	s->last_value = m->value;
	return rc;
}

int emerge_finish(struct emerge *e, emerge_emit emit, void *ctx)
{
	for (struct series *s = e->first; s; s = s->next) {
		struct changepoint_change c;
		/* with early, judged at their point or not yet: a tick
		 * cannot tell the end */
		int rc = e->o->early ? 0 : emerge_judge_early(e, s, emit, ctx);
		if (rc)
			return rc;
		if (s->analyse && (e->o->changepoint || e->o->steepest) &&
		    changepoint_open(&s->cp, &e->o->cp, &c)) {
			if (e->o->steepest)
				keep_steepest(e, s, &c);
			struct emerge_event ev = {
				s->run, s->metric, c.step, open_kinds[c.kind],
				c.before, c.after, c.from, c.to, "changepoint",
				c.z, c.noise.sigma,
			};
			/* with early, announced when it was known, or
			 * not yet known: a tick cannot tell the end */
			rc = e->o->changepoint && !e->o->early ? emit(&ev, ctx) : 0;
			if (rc)
				return rc;
		}
		const struct steep_window *st = &s->steep;
		if (!st->have || st->after == st->before)
			continue;
		struct emerge_event ev = {
			s->run, s->metric, st->mid,
			st->after > st->before ? "rise" : "fall",
			st->before, st->after, st->from, st->to, "steepest",
			s->steep_z, s->steep_noise,
		};
		rc = emit(&ev, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

void emerge_event_print(FILE *out, const struct emerge_event *ev)
{
	fprintf(out, "%s\t%lld\t%s\t%s\t%.9g\t%.9g\t%lld\t%lld\t%s\t%.3g\t%.3g\n",
		ev->run, (long long)ev->step, ev->metric, ev->kind, ev->before,
		ev->after, (long long)ev->from, (long long)ev->to, ev->method,
		ev->z, ev->noise);
}
