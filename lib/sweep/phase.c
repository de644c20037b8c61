/* Outcome over two axes, as a gnuplot script. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/phase.h"

static const char *const classes[4] = {"comprehension", "grokking", "memorisation",
				       "confusion"};
static const int colours[4] = {0x2166ac, 0x1b7837, 0xd6604d, 0x999999};

struct cell {
	double x, y;
	int count[4];
	double delay_log_sum;
	int ndelay;
};

static int shade(double frac)
{
	/* from light green (short delay) to dark green (long) */
	int lo[3] = {0xc7, 0xe9, 0xc0}, hi[3] = {0x00, 0x44, 0x1b}, c = 0;
	frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
	for (int k = 0; k < 3; k++)
		c = c * 256 + (int)(lo[k] + frac * (hi[k] - lo[k]));
	return c;
}

int sweep_phase_write(const char *dir, const struct gnuplot_plot *plot,
		      const struct tsv_table *t, const char *xcol, const char *ycol,
		      struct traj_error *err)
{
	int xc = tsv_col(t, xcol), yc = tsv_col(t, ycol), oc = tsv_col(t, "outcome");
	int dc = tsv_col(t, "delay");
	if (xc < 0 || yc < 0 || oc < 0)
		return traj_fail(err, TRAJ_EDATA, -1, "no column '%s'",
				 xc < 0 ? xcol : yc < 0 ? ycol : "outcome");
	struct cell *cells = calloc((size_t)t->nrows + 1, sizeof *cells);
	if (!cells)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int n = 0;
	double maxd = 1;
	for (int r = 0; r < t->nrows; r++) {
		double x, y, d;
		int c = 0;
		while (c < 4 && strcmp(tsv_cell(t, r, oc), classes[c]) != 0)
			c++;
		if (c == 4 || tsv_number(tsv_cell(t, r, xc), &x) < 0 ||
		    tsv_number(tsv_cell(t, r, yc), &y) < 0)
			continue;
		int k = 0;
		while (k < n && (cells[k].x != x || cells[k].y != y))
			k++;
		if (k == n) {
			cells[n].x = x;
			cells[n++].y = y;
		}
		cells[k].count[c]++;
		if (c == 1 && dc >= 0 && tsv_number(tsv_cell(t, r, dc), &d) == 0 && d > 0) {
			cells[k].delay_log_sum += log10(d);
			cells[k].ndelay++;
			maxd = fmax(maxd, log10(d));
		}
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/phase.dat", dir);
	FILE *f = fopen(path, "w");
	for (int k = 0; f && k < n; k++) {
		int best = 0;
		for (int c = 1; c < 4; c++)
			if (cells[k].count[c] > cells[k].count[best])
				best = c;
		int rgb = best == 1 && cells[k].ndelay
			? shade(cells[k].delay_log_sum / cells[k].ndelay / maxd) : colours[best];
		fprintf(f, "%.9g %.9g %d\n", cells[k].x, cells[k].y, rgb);
	}
	free(cells);
	if (!f || (ferror(f) | fclose(f)))
		return traj_fail(err, TRAJ_ECREATE, -1, "cannot write '%s'", path);
	if (n == 0)
		return traj_fail(err, TRAJ_EDATA, -1, "no run with a known outcome and "
				 "numbers in '%s' and '%s'", xcol, ycol);
	snprintf(path, sizeof path, "%s/plot.gp", dir);
	if (!(f = fopen(path, "w")))
		return traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s'", path);
	fprintf(f, "set terminal %s size %d,%d\nset output ", plot->term == GNUPLOT_PNG ?
		"pngcairo enhanced font 'sans,10'" : "svg enhanced font 'sans,10'",
		plot->width, plot->height);
	gnuplot_quote(f, plot->output);
	fputs("\nset xlabel ", f);
	gnuplot_quote(f, xcol);
	fputs("\nset ylabel ", f);
	gnuplot_quote(f, ycol);
	if (plot->title) {
		fputs("\nset title ", f);
		gnuplot_quote(f, plot->title);
	}
	fprintf(f, "\n%s%sset offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n"
		"set key outside right\nplot ", plot->logx ? "set logscale x\n" : "",
		plot->logy ? "set logscale y\n" : "");
	snprintf(path, sizeof path, "%s/phase.dat", dir);
	gnuplot_quote(f, path);
	fputs(" using 1:2:3 with points pt 5 ps 3 lc rgb variable notitle", f);
	for (int c = 0; c < 4; c++)
		fprintf(f, ", NaN with points pt 5 ps 2 lc rgb '#%06x' title '%s%s'",
			c == 1 ? shade(0.6) : colours[c], classes[c],
			c == 1 ? " (darker: longer delay)" : "");
	fputc('\n', f);
	if (ferror(f) | fclose(f))
		return traj_fail(err, TRAJ_ECREATE, -1, "cannot write '%s'", path);
	return 0;
}
