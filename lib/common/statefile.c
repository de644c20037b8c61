#include "common/statefile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

uint64_t statefile_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/* ---- writing: every byte but the last line's goes through the sum ---- */

void statefile_write_begin(struct statefile_writer *w, FILE *f,
			   const char *magic, int version)
{
	w->f = f;
	w->sum = STATEFILE_FNV_START;
	w->failed = 0;
	statefile_printf(w, "%s %d\n", magic, version);
}

void statefile_printf(struct statefile_writer *w, const char *fmt, ...)
{
	/* names in a line (a run id, a metric) have no length limit */
	char small[1024], *buf = small;
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof small && (buf = malloc((size_t)n + 1)))
		vsnprintf(buf, (size_t)n + 1, fmt, again);
	va_end(again);
	if (n < 0 || !buf) {
		w->failed = 1;
		return;
	}
	w->sum = statefile_fnv(w->sum, buf, (size_t)n);
	fwrite(buf, 1, (size_t)n, w->f);
	if (buf != small)
		free(buf);
}

int statefile_write_end(struct statefile_writer *w, const char *fields,
			struct traj_error *err)
{
	if (w->failed)
		return traj_fail(err, TRAJ_ENOMEM, -1, "cannot write the state: "
				 "out of memory");
	fprintf(w->f, "end\t%s%s%016" PRIx64 "\n", fields ? fields : "",
		fields ? "\t" : "", w->sum);
	if (fflush(w->f) != 0 || ferror(w->f))
		return traj_fail(err, TRAJ_EFAIL, -1, "cannot write the state: %s",
				 strerror(errno));
	return 0;
}

/* ---- reading ---- */

int statefile_next(struct statefile_reader *r)
{
	r->lineno++;
	r->nfield = 0;
	r->sum = r->sum_next;
	ssize_t n = getline(&r->line, &r->cap, r->f);
	if (n <= 0)
		return -1;
	r->sum_next = statefile_fnv(r->sum_next, r->line, (size_t)n);
	if (r->line[n - 1] != '\n')
		return -1; /* a last line without its newline: cut */
	r->line[n - 1] = '\0';
	for (char *p = r->line; r->nfield < STATEFILE_FIELDS_MAX;) {
		r->field[r->nfield++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	return 0;
}

int statefile_fail(const struct statefile_reader *r, const char *why,
		   struct traj_error *err)
{
	return traj_fail(err, TRAJ_EDATA, -1, "%s: line %ld: %s", r->name,
			 r->lineno, why);
}

int statefile_read_begin(struct statefile_reader *r, FILE *f, const char *name,
			 const char *magic, int version, const char *tool,
			 struct traj_error *err)
{
	memset(r, 0, sizeof *r);
	r->f = f;
	r->name = name;
	r->sum_next = STATEFILE_FNV_START;
	size_t m = strlen(magic);
	char *end;
	long v = 0;
	if (statefile_next(r) == 0 && r->nfield == 1 &&
	    strncmp(r->line, magic, m) == 0 && r->line[m] == ' ' &&
	    r->line[m + 1] >= '0' && r->line[m + 1] <= '9') {
		errno = 0;
		v = strtol(r->line + m + 1, &end, 10);
		if (*end || errno || v < 1)
			v = 0;
	}
	if (v == 0) {
		char why[96];
		snprintf(why, sizeof why, "not a %s state file", tool);
		return statefile_fail(r, why, err);
	}
	if (v > version)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "%s: state format version %ld is newer than this %s's (%d)",
				 name, v, tool, version);
	r->version = (int)v;
	return 0;
}

int statefile_at_end(struct statefile_reader *r, int nfield)
{
	char expect[32];
	snprintf(expect, sizeof expect, "%016" PRIx64, r->sum);
	return r->nfield == nfield && nfield >= 2 &&
	       strcmp(r->field[0], "end") == 0 &&
	       strcmp(r->field[nfield - 1], expect) == 0 && getc(r->f) == EOF;
}

void statefile_read_free(struct statefile_reader *r)
{
	free(r->line);
	r->line = NULL;
	r->cap = 0;
}

/* ---- fields ---- */

int statefile_i64(const char *t, int64_t lo, int64_t hi, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(t, &end, 10);
	if (end == t || *end || errno || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

int statefile_int(const char *t, int lo, int hi, int *v)
{
	int64_t x;
	if (statefile_i64(t, lo, hi, &x) < 0)
		return -1;
	*v = (int)x;
	return 0;
}

int statefile_hex(const char *t, uint64_t *v)
{
	uint64_t x = 0;
	for (int i = 0; i < 16; i++) {
		char c = t[i];
		if (c >= '0' && c <= '9')
			x = x << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = x << 4 | (uint64_t)(c - 'a' + 10);
		else
			return -1;
	}
	if (t[16])
		return -1;
	*v = x;
	return 0;
}

int statefile_double(const char *t, double *v)
{
	char *end;
	double x = strtod(t, &end);
	if (end == t || *end)
		return -1;
	*v = x;
	return 0;
}
