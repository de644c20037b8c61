#include "format/gnuplot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/nameglob.h"

/* The inside of a single-quoted string, so that pieces can be joined. */
static void quote_body(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\'')
			fputs("''", out);
		else if (*p < 0x20 || *p == 0x7f)
			fputc(' ', out);
		else
			fputc(*p, out);
	}
}

void gnuplot_quote(FILE *out, const char *s)
{
	fputc('\'', out);
	quote_body(out, s);
	fputc('\'', out);
}

/* Splits line in place at tabs into at most max fields; returns the count. */
static int split_tabs(char *line, char **f, int max)
{
	int n = 0;
	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line; n < max; ) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			return n;
		*p++ = '\0';
	}
	return max + 1;
}

static int add_event(struct gnuplot_events *evs, int64_t step, const char *metric,
		     const char *kind)
{
	if (evs->n == evs->cap) {
		size_t cap = evs->cap ? 2 * evs->cap : 16;
		struct gnuplot_event *ev = realloc(evs->ev, cap * sizeof *ev);
		if (!ev)
			return -1;
		evs->ev = ev;
		evs->cap = cap;
	}
	size_t len = strlen(metric) + strlen(kind) + 2;
	char *label = malloc(len);
	if (!label)
		return -1;
	snprintf(label, len, "%s %s", metric, kind);
	evs->ev[evs->n++] = (struct gnuplot_event){step, label};
	return 0;
}

int gnuplot_read_events(struct gnuplot_events *evs, FILE *in, const char *name,
			struct traj_error *err)
{
	char *line = NULL, *f[10];
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, in) != -1) {
		lineno++;
		/* nine fields, or more (traj-emerge's Z and NOISE follow) */
		if (split_tabs(line, f, 9) < 9 || !f[1][0] ||
		    strspn(f[1], "0123456789") != strlen(f[1]))
			continue;
		errno = 0;
		long long step = strtoll(f[1], NULL, 10);
		if (errno)
			continue;
		if (add_event(evs, step, f[2], f[3]) < 0)
			rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	if (rc == 0 && ferror(in))
		rc = traj_fail(err, TRAJ_EFAIL, -1, "%s: read error at line %ld",
			       name, lineno + 1);
	free(line);
	return rc;
}

void gnuplot_events_free(struct gnuplot_events *evs)
{
	for (size_t i = 0; i < evs->n; i++)
		free(evs->ev[i].label);
	free(evs->ev);
	memset(evs, 0, sizeof *evs);
}

static char *data_path(const char *dir, size_t k)
{
	size_t len = strlen(dir) + 32;
	char *path = malloc(len);
	if (path)
		snprintf(path, len, "%s/s%zu.dat", dir, k + 1);
	return path;
}

static int64_t x_of(const struct gnuplot_plot *plot, int64_t step)
{
	return plot->logx && step == 0 ? 1 : step;
}

static int close_file(FILE *f, const char *path, struct traj_error *err)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return traj_fail(err, TRAJ_EFAIL, -1, "cannot write '%s': %s", path,
				 strerror(errno));
	return 0;
}

static int write_data(const char *path, const struct gnuplot_plot *plot,
		      const struct metric_series *s, struct traj_error *err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s': %s",
				 path, strerror(errno));
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%lld %.9g\n", (long long)x_of(plot, s->pts[i].step),
			s->pts[i].value);
	return close_file(f, path, err);
}

static void write_header(FILE *f, const struct gnuplot_plot *plot, int any_y2)
{
	fprintf(f, "set terminal %s size %d,%d\n", plot->term == GNUPLOT_PNG ?
		"pngcairo enhanced font 'sans,10'" :
		"svg enhanced font 'sans,10' dynamic", plot->width, plot->height);
	fputs("set output ", f);
	gnuplot_quote(f, plot->output);
	fputc('\n', f);
	if (plot->title) {
		fputs("set title ", f);
		gnuplot_quote(f, plot->title);
		fputs(" noenhanced\n", f);
	}
	fputs("set xlabel 'step'\nset key below noenhanced\nset grid\n", f);
	if (plot->logx)
		fputs("set logscale x\n", f);
	if (plot->logy)
		fputs("set logscale y\n", f);
	if (any_y2)
		fputs("set y2tics\nset ytics nomirror\n", f);
}

static void write_events(FILE *f, const struct gnuplot_plot *plot,
			 const struct gnuplot_events *evs)
{
	for (size_t i = 0; evs && i < evs->n; i++) {
		long long x = x_of(plot, evs->ev[i].step);
		fprintf(f, "set arrow from %lld, graph 0 to %lld, graph 1 nohead "
			"dashtype 2 lc rgb '#777777'\n", x, x);
		fputs("set label ", f);
		gnuplot_quote(f, evs->ev[i].label);
		fprintf(f, " at %lld, graph 0.98 rotate by 90 right offset -0.6,0 "
			"font ',8' tc rgb '#555555' noenhanced\n", x);
	}
}

int gnuplot_write(const char *dir, const struct gnuplot_plot *plot,
		  const struct metric_series_set *set,
		  const struct gnuplot_events *evs, struct traj_error *err)
{
	int any_y2 = 0, several = metric_series_runs(set) > 1;
	for (size_t k = 0; k < set->n; k++) {
		char *path = data_path(dir, k);
		if (!path)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		int rc = write_data(path, plot, &set->s[k], err);
		free(path);
		if (rc < 0)
			return -1;
		any_y2 |= plot->ny2 > 0 &&
			  nameglob_match(plot->y2, plot->ny2, set->s[k].metric);
	}
	size_t len = strlen(dir) + 16;
	char *script = malloc(len);
	if (!script)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	snprintf(script, len, "%s/plot.gp", dir);
	FILE *f = fopen(script, "w");
	if (!f) {
		traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s': %s", script,
			  strerror(errno));
		free(script);
		return -1;
	}
	write_header(f, plot, any_y2);
	write_events(f, plot, evs);
	fputs("plot ", f);
	for (size_t k = 0; k < set->n; k++) {
		const struct metric_series *s = &set->s[k];
		if (k)
			fputs(", \\\n     ", f);
		fputc('\'', f);
		quote_body(f, dir);
		fprintf(f, "/s%zu.dat' using 1:2 with lines lw 2 axes x1y%d title '",
			k + 1, plot->ny2 > 0 &&
			nameglob_match(plot->y2, plot->ny2, s->metric) ? 2 : 1);
		if (several) {
			quote_body(f, s->run);
			fputc(' ', f);
		}
		quote_body(f, s->metric);
		fputc('\'', f);
	}
	fputc('\n', f);
	int rc = close_file(f, script, err);
	free(script);
	return rc;
}
