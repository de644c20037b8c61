#include "analysis/emerge_state.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/emerge_impl.h"
#include "common/statefile.h"

#define MAGIC "traj-emerge-state"

/* Everything that changes what the detectors do, hashed: a state made
 * with other options would go on from the wrong place. */
static uint64_t fingerprint(const struct emerge_opts *o)
{
	char buf[512];
	uint64_t h = STATEFILE_FNV_START;
	int n = snprintf(buf, sizeof buf, "%d %d %a %d %a %a %d %d",
			 o->changepoint, o->steepest, o->window, o->cp.window,
			 o->cp.threshold, o->cp.min_delta, o->nwhen, o->nmetrics);
	h = statefile_fnv(h, buf, (size_t)n);
	for (int i = 0; i < o->nwhen; i++)
		h = statefile_fnv(h, o->when[i].text, strlen(o->when[i].text) + 1);
	for (int i = 0; i < o->nmetrics; i++)
		h = statefile_fnv(h, o->metrics[i], strlen(o->metrics[i]) + 1);
	return h;
}

/* ---- writing ---- */

static void save_series(struct statefile_writer *w, const struct series *s, int nwhen)
{
	char holding[EMERGE_PATTERN_MAX];
	int k = 0;
	for (; k < nwhen && k < (int)sizeof holding - 1; k++)
		holding[k] = s->holding[k] ? '1' : '0';
	holding[k] = '\0';
	const struct changepoint *c = &s->cp;
	statefile_printf(w, "series\t%s\t%s\t%d\t%" PRId64 "\t%a\t%s\t%d\t%" PRId64 "\n",
	    s->run, s->metric, s->have_last, s->last_step, s->last_value,
	    k ? holding : "-", s->announced,
	    s->announced ? s->announced_step : (int64_t)0);
	statefile_printf(w, "cp\t%" PRId64 "\t%d\t%d\t%d\t%d\t%a\t%d\t%d\t%" PRId64 "\t%a\t%a\t%a\n",
	    c->seen, c->seg_n, c->moving, c->scale, c->since, c->before,
	    c->n_before, c->have_noise, c->noise_seen, c->noise.sigma,
	    c->noise.point, c->noise.tau);
	statefile_printf(w, "ring\t%d\n", c->n);
	for (int i = 0; i < c->n; i++) {
		const struct cp_point *p = &c->ring[(c->head + i) % c->cap];
		statefile_printf(w, "%" PRId64 "\t%a\n", p->step, p->value);
	}
	statefile_printf(w, "kept\t%d\n", c->moving ? c->nkept : 0);
	for (int i = 0; c->moving && i < c->nkept; i++)
		statefile_printf(w, "%" PRId64 "\t%a\n", c->kept[i].step, c->kept[i].value);
	const struct steep_window *st = &s->steep;
	statefile_printf(w, "steep\t%d\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%a\t%a\t%a\t%a\n",
	    st->have, st->from, st->to, st->mid, st->before, st->after,
	    s->steep_z, s->steep_noise);
	statefile_printf(w, "levels\t%d\n", c->nlevels);
	for (int i = 0; i < c->nlevels; i++) {
		const struct cp_level_change *l = &c->levels[i];
		statefile_printf(w, "%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%a\n",
		    l->skip_first, l->skip_last, l->shift_at, l->height);
	}
	statefile_printf(w, "held\t%d\n", s->nearly);
	for (int i = 0; i < s->nearly; i++) {
		const struct early_change *x = &s->early[i];
		statefile_printf(w, "%d\t%" PRId64 "\t%" PRId64 "\t%" PRId64
		    "\t%a\t%a\t%a\t%a\t%d\t%d\t%d\t%" PRId64 "\t%" PRId64 "\t%" PRId64
		    "\t%d\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%a\t%a\n",
		    (int)x->kind, x->step, x->from, x->to, x->before,
		    x->after, x->z, x->noise, x->n_before, x->n_after,
		    x->announced, x->announced_step, x->first, x->at,
		    x->steep.have, x->steep.from, x->steep.to, x->steep.mid,
		    x->steep.before, x->steep.after);
	}
}

int emerge_state_save(const struct emerge *e, FILE *f, struct traj_error *err)
{
	struct statefile_writer w;
	char count[32];
	statefile_write_begin(&w, f, MAGIC, EMERGE_STATE_VERSION);
	statefile_printf(&w, "options\t%016" PRIx64 "\n", fingerprint(e->o));
	for (const struct run_ident *r = e->idents; r; r = r->next)
		statefile_printf(&w, "ident\t%s\t%016" PRIx64 "\n", r->run, r->ident);
	for (const struct series *s = e->first; s; s = s->next)
		save_series(&w, s, e->o->nwhen);
	snprintf(count, sizeof count, "%zu", e->nseries);
	return statefile_write_end(&w, count, err);
}

/* ---- reading ---- */

static int get_i64(const char *t, int64_t *v)
{
	return statefile_i64(t, INT64_MIN, INT64_MAX, v);
}

/* Version 5's changes found among the detector's points, and the
 * changes held back (emerge_held.c). */
static int read_early(struct statefile_reader *r, struct series *s)
{
	struct changepoint *c = &s->cp;
	int n, kind;
	char **f = r->field;
	if (statefile_next(r) < 0 || r->nfield != 2 || strcmp(f[0], "levels") ||
	    statefile_int(f[1], 0, CHANGEPOINT_LEVELS, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct cp_level_change *l = &c->levels[i];
		if (statefile_next(r) < 0 || r->nfield != 4 ||
		    get_i64(f[0], &l->skip_first) < 0 || get_i64(f[1], &l->skip_last) < 0 ||
		    get_i64(f[2], &l->shift_at) < 0 ||
		    statefile_double(f[3], &l->height) < 0 || !isfinite(l->height))
			return -1;
	}
	c->nlevels = n;
	if (statefile_next(r) < 0 || r->nfield != 2 || strcmp(f[0], "held") ||
	    statefile_int(f[1], 0, EMERGE_EARLY_MAX, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct early_change *x = &s->early[i];
		memset(x, 0, sizeof *x);
		if (statefile_next(r) < 0 || r->nfield != 20 ||
		    statefile_int(f[0], CP_RISE, CP_SPIKE, &kind) < 0 ||
		    get_i64(f[1], &x->step) < 0 || get_i64(f[2], &x->from) < 0 ||
		    get_i64(f[3], &x->to) < 0 ||
		    statefile_double(f[4], &x->before) < 0 ||
		    statefile_double(f[5], &x->after) < 0 ||
		    statefile_double(f[6], &x->z) < 0 ||
		    statefile_double(f[7], &x->noise) < 0 ||
		    statefile_int(f[8], 1, 1 << 30, &x->n_before) < 0 ||
		    statefile_int(f[9], 1, 1 << 30, &x->n_after) < 0 ||
		    statefile_int(f[10], EMERGE_ANNOUNCED_NONE, EMERGE_ANNOUNCED_UNKNOWN,
				  &x->announced) < 0 ||
		    get_i64(f[11], &x->announced_step) < 0 ||
		    get_i64(f[12], &x->first) < 0 || get_i64(f[13], &x->at) < 0 ||
		    statefile_int(f[14], 0, 1, &x->steep.have) < 0 ||
		    get_i64(f[15], &x->steep.from) < 0 || get_i64(f[16], &x->steep.to) < 0 ||
		    get_i64(f[17], &x->steep.mid) < 0 ||
		    statefile_double(f[18], &x->steep.before) < 0 ||
		    statefile_double(f[19], &x->steep.after) < 0)
			return -1;
		x->kind = (enum changepoint_kind)kind;
	}
	s->nearly = n;
	return 0;
}

/* Reads `count` lines of "STEP<TAB>VALUE": -1 on a bad line, -2 with
 * err set when out of memory. */
static int read_points(struct statefile_reader *r, struct changepoint *c,
		       int count, int kept, struct traj_error *err)
{
	for (int i = 0; i < count; i++) {
		struct cp_point p;
		if (statefile_next(r) < 0 || r->nfield != 2 ||
		    get_i64(r->field[0], &p.step) < 0 ||
		    statefile_double(r->field[1], &p.value) < 0 ||
		    !isfinite(p.value)) /* a detector never holds one */
			return -1;
		if (kept) {
			if (changepoint_keep(c, &p, err) < 0)
				return -2;
		} else {
			changepoint_observe(c, p.step, p.value);
		}
	}
	return 0;
}

static int load_series(struct emerge *e, struct statefile_reader *r, struct traj_error *err)
{
	const struct emerge_opts *o = e->o;
	/* version 3 added whether the change under way was announced,
	 * version 4 as what and at which STEP (for its retraction) */
	if (r->nfield != (r->version >= 4 ? 9 : r->version == 3 ? 8 : 7))
		return -1;
	struct series *s = emerge_series_get(e, r->field[1], r->field[2], err);
	if (!s)
		return -2;
	const char *holding = r->field[6];
	if (s->have_last || statefile_int(r->field[3], 0, 1, &s->have_last) < 0 ||
	    get_i64(r->field[4], &s->last_step) < 0 ||
	    statefile_double(r->field[5], &s->last_value) < 0 ||
	    strlen(holding) != (size_t)(o->nwhen ? o->nwhen : 1))
		return -1;
	for (int i = 0; i < o->nwhen; i++)
		s->holding[i] = holding[i] == '1';
	if (r->version == 3) {
		if (statefile_int(r->field[7], 0, 1, &s->announced) < 0)
			return -1;
		if (s->announced)
			s->announced = EMERGE_ANNOUNCED_UNKNOWN;
	}
	if (r->version >= 4 &&
	    (statefile_int(r->field[7], EMERGE_ANNOUNCED_NONE,
			   EMERGE_ANNOUNCED_UNKNOWN, &s->announced) < 0 ||
	     get_i64(r->field[8], &s->announced_step) < 0 ||
	     (!s->announced && s->announced_step != 0)))
		return -1;
	struct changepoint *c = &s->cp;
	int n, nkept;
	if (statefile_next(r) < 0 || r->nfield != 13 || strcmp(r->field[0], "cp") ||
	    get_i64(r->field[1], &c->seen) < 0 ||
	    statefile_int(r->field[2], 0, c->cap, &c->seg_n) < 0 ||
	    statefile_int(r->field[3], 0, 1, &c->moving) < 0 ||
	    statefile_int(r->field[4], 0, 1 << 30, &c->scale) < 0 ||
	    statefile_int(r->field[5], 0, 1 << 30, &c->since) < 0 ||
	    statefile_double(r->field[6], &c->before) < 0 ||
	    statefile_int(r->field[7], 0, c->cap, &c->n_before) < 0 ||
	    statefile_int(r->field[8], 0, 1, &c->have_noise) < 0 ||
	    get_i64(r->field[9], &c->noise_seen) < 0 ||
	    statefile_double(r->field[10], &c->noise.sigma) < 0 ||
	    statefile_double(r->field[11], &c->noise.point) < 0 ||
	    statefile_double(r->field[12], &c->noise.tau) < 0)
		return -1;
	int64_t seen = c->seen;
	int seg_n = c->seg_n;
	if (statefile_next(r) < 0 || r->nfield != 2 || strcmp(r->field[0], "ring") ||
	    statefile_int(r->field[1], 0, c->cap, &n) < 0 || seg_n > n)
		return -1;
	int rc = read_points(r, c, n, 0, err);
	if (rc < 0)
		return rc;
	c->seen = seen;
	c->seg_n = seg_n;
	if (statefile_next(r) < 0 || r->nfield != 2 || strcmp(r->field[0], "kept") ||
	    statefile_int(r->field[1], 0, 1 << 30, &nkept) < 0 ||
	    (c->moving && nkept == 0) || (s->announced && !c->moving))
		return -1;
	if ((rc = read_points(r, c, nkept, 1, err)) < 0)
		return rc;
	/* version 3 did not keep the provisional line's STEP: a retraction
	 * names the change's first point instead */
	if (r->version == 3 && s->announced)
		s->announced_step = c->kept[0].step;
	struct steep_window *st = &s->steep;
	if (statefile_next(r) < 0 || r->nfield != 9 || strcmp(r->field[0], "steep") ||
	    statefile_int(r->field[1], 0, 1, &st->have) < 0 ||
	    get_i64(r->field[2], &st->from) < 0 || get_i64(r->field[3], &st->to) < 0 ||
	    get_i64(r->field[4], &st->mid) < 0 ||
	    statefile_double(r->field[5], &st->before) < 0 ||
	    statefile_double(r->field[6], &st->after) < 0 ||
	    statefile_double(r->field[7], &s->steep_z) < 0 ||
	    statefile_double(r->field[8], &s->steep_noise) < 0)
		return -1;
	return r->version >= 5 ? read_early(r, s) : 0;
}

/* After the options: version 2's run identities, then the series. */
static int load_body(struct emerge *e, struct statefile_reader *r,
		     struct traj_error *err)
{
	int series = 0;
	for (;;) {
		if (statefile_next(r) < 0)
			return -1;
		if (strcmp(r->field[0], "end") == 0) {
			int64_t count;
			return statefile_at_end(r, 3) && get_i64(r->field[1], &count) == 0 &&
			       count == (int64_t)e->nseries ? 0 : -1;
		}
		uint64_t ident;
		if (strcmp(r->field[0], "ident") == 0 && !series && r->version >= 2) {
			if (r->nfield != 3 || statefile_hex(r->field[2], &ident) < 0)
				return -1;
			int rc = emerge_run_identity(e, r->field[1], ident, NULL, NULL, err);
			if (rc != 0)
				return rc < 0 ? -2 : -1; /* twice the same run */
			continue;
		}
		if (strcmp(r->field[0], "series") != 0)
			return -1;
		series = 1;
		int rc = load_series(e, r, err);
		if (rc < 0)
			return rc;
	}
}

int emerge_state_load(struct emerge *e, FILE *f, const char *name,
		      struct traj_error *err)
{
	struct statefile_reader r;
	char expect[32];
	int rc = statefile_read_begin(&r, f, name, MAGIC, EMERGE_STATE_VERSION,
				      "traj-emerge", err);
	if (rc == 0) {
		snprintf(expect, sizeof expect, "%016" PRIx64, fingerprint(e->o));
		if (statefile_next(&r) < 0 || r.nfield != 2 ||
		    strcmp(r.field[0], "options") || strcmp(r.field[1], expect))
			rc = statefile_fail(&r, "written with other options (--when, --metric, methods, thresholds)", err);
	}
	if (rc == 0 && (rc = load_body(e, &r, err)) == -1)
		statefile_fail(&r, "damaged or truncated", err);
	statefile_read_free(&r);
	return rc < 0 ? -1 : 0;
}
