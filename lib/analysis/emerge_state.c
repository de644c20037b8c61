#include "analysis/emerge_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/emerge_impl.h"

#define MAGIC "traj-emerge-state"

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

#define FNV_START 1469598103934665603ULL

/* Everything that changes what the detectors do, hashed: a state made
 * with other options would go on from the wrong place. */
static uint64_t fingerprint(const struct emerge_opts *o)
{
	char buf[512];
	uint64_t h = FNV_START;
	int n = snprintf(buf, sizeof buf, "%d %d %a %d %a %a %d %d",
			 o->changepoint, o->steepest, o->window, o->cp.window,
			 o->cp.threshold, o->cp.min_delta, o->nwhen, o->nmetrics);
	h = fnv(h, buf, (size_t)n);
	for (int i = 0; i < o->nwhen; i++)
		h = fnv(h, o->when[i].text, strlen(o->when[i].text) + 1);
	for (int i = 0; i < o->nmetrics; i++)
		h = fnv(h, o->metrics[i], strlen(o->metrics[i]) + 1);
	return h;
}

/* ---- writing: every line goes through out(), which sums it ---- */

struct writer { FILE *f; uint64_t sum; };

__attribute__((format(printf, 2, 3)))
static void out(struct writer *w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		n = 0; /* cannot happen: names are at most a line of metric text */
	w->sum = fnv(w->sum, buf, (size_t)n);
	fwrite(buf, 1, (size_t)n, w->f);
}

static void save_series(struct writer *w, const struct series *s, int nwhen)
{
	char holding[EMERGE_PATTERN_MAX];
	int k = 0;
	for (; k < nwhen && k < (int)sizeof holding - 1; k++)
		holding[k] = s->holding[k] ? '1' : '0';
	holding[k] = '\0';
	const struct changepoint *c = &s->cp;
	out(w, "series\t%s\t%s\t%d\t%" PRId64 "\t%a\t%s\n", s->run, s->metric,
	    s->have_last, s->last_step, s->last_value, k ? holding : "-");
	out(w, "cp\t%" PRId64 "\t%d\t%d\t%d\t%d\t%a\t%d\t%d\t%" PRId64 "\t%a\t%a\t%a\n",
	    c->seen, c->seg_n, c->moving, c->scale, c->since, c->before,
	    c->n_before, c->have_noise, c->noise_seen, c->noise.sigma,
	    c->noise.point, c->noise.tau);
	out(w, "ring\t%d\n", c->n);
	for (int i = 0; i < c->n; i++) {
		const struct cp_point *p = &c->ring[(c->head + i) % c->cap];
		out(w, "%" PRId64 "\t%a\n", p->step, p->value);
	}
	out(w, "kept\t%d\n", c->moving ? c->nkept : 0);
	for (int i = 0; c->moving && i < c->nkept; i++)
		out(w, "%" PRId64 "\t%a\n", c->kept[i].step, c->kept[i].value);
	const struct steep_window *st = &s->steep;
	out(w, "steep\t%d\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%a\t%a\t%a\t%a\n",
	    st->have, st->from, st->to, st->mid, st->before, st->after,
	    s->steep_z, s->steep_noise);
}

int emerge_state_save(const struct emerge *e, FILE *f, struct traj_error *err)
{
	struct writer w = {f, FNV_START};
	out(&w, "%s %d\n", MAGIC, EMERGE_STATE_VERSION);
	out(&w, "options\t%016" PRIx64 "\n", fingerprint(e->o));
	for (const struct series *s = e->first; s; s = s->next)
		save_series(&w, s, e->o->nwhen);
	fprintf(f, "end\t%zu\t%016" PRIx64 "\n", e->nseries, w.sum);
	if (fflush(f) != 0 || ferror(f))
		return traj_fail(err, TRAJ_EFAIL, -1, "cannot write the state: %s",
				 strerror(errno));
	return 0;
}

/* ---- reading ---- */

struct reader {
	FILE *f;
	const char *name;
	char *line;
	size_t cap;
	long lineno;
	uint64_t sum;
	char *field[16];
	int nfield;
};

/* The next line, split at tabs into r->field; 0, or -1 at the end. */
static int next_line(struct reader *r)
{
	ssize_t n = getline(&r->line, &r->cap, r->f);
	if (n <= 0)
		return -1;
	r->lineno++;
	r->sum = fnv(r->sum, r->line, (size_t)n);
	if (r->line[n - 1] != '\n')
		return -1; /* a last line without its newline: truncated */
	r->line[n - 1] = '\0';
	r->nfield = 0;
	for (char *p = r->line; r->nfield < 16;) {
		r->field[r->nfield++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	return 0;
}


static int get_i64(const char *t, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(t, &end, 10);
	if (end == t || *end || errno)
		return -1;
	*v = x;
	return 0;
}

static int get_int(const char *t, int *v, int lo, int hi)
{
	int64_t x;
	if (get_i64(t, &x) < 0 || x < lo || x > hi)
		return -1;
	*v = (int)x;
	return 0;
}

static int get_double(const char *t, double *v)
{
	char *end;
	*v = strtod(t, &end);
	return end == t || *end ? -1 : 0;
}

/* Reads `count` lines of "STEP<TAB>VALUE". */
static int read_points(struct reader *r, struct changepoint *c, int count,
		       int kept)
{
	for (int i = 0; i < count; i++) {
		struct cp_point p;
		if (next_line(r) < 0 || r->nfield != 2 ||
		    get_i64(r->field[0], &p.step) < 0 ||
		    get_double(r->field[1], &p.value) < 0)
			return -1;
		if (kept) {
			if (changepoint_keep(c, &p) < 0)
				return -2;
		} else {
			changepoint_observe(c, p.step, p.value);
		}
	}
	return 0;
}

static int load_series(struct emerge *e, struct reader *r, struct traj_error *err)
{
	const struct emerge_opts *o = e->o;
	if (r->nfield != 7)
		return -1;
	struct series *s = emerge_series_get(e, r->field[1], r->field[2]);
	if (!s)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory"), -2;
	const char *holding = r->field[6];
	if (s->have_last || get_int(r->field[3], &s->have_last, 0, 1) < 0 ||
	    get_i64(r->field[4], &s->last_step) < 0 ||
	    get_double(r->field[5], &s->last_value) < 0 ||
	    strlen(holding) != (size_t)(o->nwhen ? o->nwhen : 1))
		return -1;
	for (int i = 0; i < o->nwhen; i++)
		s->holding[i] = holding[i] == '1';
	struct changepoint *c = &s->cp;
	int n, nkept;
	if (next_line(r) < 0 || r->nfield != 13 || strcmp(r->field[0], "cp") ||
	    get_i64(r->field[1], &c->seen) < 0 ||
	    get_int(r->field[2], &c->seg_n, 0, c->cap) < 0 ||
	    get_int(r->field[3], &c->moving, 0, 1) < 0 ||
	    get_int(r->field[4], &c->scale, 0, 1 << 30) < 0 ||
	    get_int(r->field[5], &c->since, 0, 1 << 30) < 0 ||
	    get_double(r->field[6], &c->before) < 0 ||
	    get_int(r->field[7], &c->n_before, 0, c->cap) < 0 ||
	    get_int(r->field[8], &c->have_noise, 0, 1) < 0 ||
	    get_i64(r->field[9], &c->noise_seen) < 0 ||
	    get_double(r->field[10], &c->noise.sigma) < 0 ||
	    get_double(r->field[11], &c->noise.point) < 0 ||
	    get_double(r->field[12], &c->noise.tau) < 0)
		return -1;
	int64_t seen = c->seen;
	int seg_n = c->seg_n;
	if (next_line(r) < 0 || r->nfield != 2 || strcmp(r->field[0], "ring") ||
	    get_int(r->field[1], &n, 0, c->cap) < 0 || seg_n > n)
		return -1;
	int rc = read_points(r, c, n, 0);
	if (rc < 0)
		return rc;
	c->seen = seen;
	c->seg_n = seg_n;
	if (next_line(r) < 0 || r->nfield != 2 || strcmp(r->field[0], "kept") ||
	    get_int(r->field[1], &nkept, 0, 1 << 30) < 0 ||
	    (c->moving && nkept == 0))
		return -1;
	if ((rc = read_points(r, c, nkept, 1)) < 0)
		return rc == -2 ? (traj_fail(err, TRAJ_ENOMEM, -1, "out of memory"), -2) : -1;
	struct steep_window *st = &s->steep;
	if (next_line(r) < 0 || r->nfield != 9 || strcmp(r->field[0], "steep") ||
	    get_int(r->field[1], &st->have, 0, 1) < 0 ||
	    get_i64(r->field[2], &st->from) < 0 || get_i64(r->field[3], &st->to) < 0 ||
	    get_i64(r->field[4], &st->mid) < 0 ||
	    get_double(r->field[5], &st->before) < 0 ||
	    get_double(r->field[6], &st->after) < 0 ||
	    get_double(r->field[7], &s->steep_z) < 0 ||
	    get_double(r->field[8], &s->steep_noise) < 0)
		return -1;
	return 0;
}

int emerge_state_load(struct emerge *e, FILE *f, const char *name,
		      struct traj_error *err)
{
	struct reader r = {.f = f, .name = name, .sum = FNV_START};
	int rc = -1, version;
	char expect[32];
	const char *why = "not a traj-emerge state file";
	if (next_line(&r) < 0 || sscanf(r.line, MAGIC " %d", &version) != 1)
		goto fail;
	if (version > EMERGE_STATE_VERSION) {
		traj_fail(err, TRAJ_EDATA, -1,
			  "%s: state format version %d is newer than this traj-emerge's (%d)",
			  name, version, EMERGE_STATE_VERSION);
		goto done;
	}
	why = "written with other options (--when, --metric, methods, thresholds)";
	snprintf(expect, sizeof expect, "%016" PRIx64, fingerprint(e->o));
	if (next_line(&r) < 0 || r.nfield != 2 || strcmp(r.field[0], "options") ||
	    strcmp(r.field[1], expect))
		goto fail;
	why = "damaged or truncated";
	for (;;) {
		uint64_t sum = r.sum;
		if (next_line(&r) < 0)
			goto fail;
		if (strcmp(r.field[0], "end") == 0) {
			snprintf(expect, sizeof expect, "%016" PRIx64, sum);
			int64_t count;
			if (r.nfield != 3 || get_i64(r.field[1], &count) < 0 ||
			    count != (int64_t)e->nseries || strcmp(r.field[2], expect) ||
			    getc(f) != EOF)
				goto fail;
			rc = 0;
			goto done;
		}
		if (strcmp(r.field[0], "series") != 0)
			goto fail;
		int s = load_series(e, &r, err);
		if (s == -2)
			goto done;
		if (s < 0)
			goto fail;
	}
fail:
	traj_fail(err, TRAJ_EDATA, -1, "%s: line %ld: %s", name, r.lineno, why);
done:
	free(r.line);
	return rc;
}
