/* Metric series as a gnuplot script and its data files (traj-plot): the
 * script draws one curve per series over steps, optionally a right-hand
 * axis, log scales and event markers. Every string that came from the
 * user or the data (titles, metric and run names, paths) reaches gnuplot
 * only through gnuplot_quote, so no input can add a command. */
#ifndef TRAJ_GNUPLOT_H
#define TRAJ_GNUPLOT_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "format/metric_series.h"

/* A vertical marker: an event line of traj emerge (its step, labelled
 * with its metric and kind). */
struct gnuplot_event {
	int64_t step;
	char *label;
};

struct gnuplot_events {
	struct gnuplot_event *ev;
	size_t n, cap;
};

enum gnuplot_term { GNUPLOT_PNG, GNUPLOT_SVG };

struct gnuplot_plot {
	enum gnuplot_term term;
	int width, height;      /* pixels */
	const char *title;      /* NULL: none */
	int logx, logy;         /* log scales; with logx, step 0 is drawn at 1 */
	const char *output;     /* the picture gnuplot writes */
	char *const *y2;        /* globs of the metrics on the right-hand axis */
	int ny2;
};

/* Writes s as a gnuplot single-quoted string: a quote is doubled, and a
 * line break or other control character, which would end the command
 * inside the quotes, becomes a space. Backquotes and '@' are literal
 * inside single quotes. */
void gnuplot_quote(FILE *out, const char *s);

/* Reads the event lines of `in` (RUN STEP METRIC KIND BEFORE AFTER FROM
 * TO METHOD, as traj emerge prints); other lines are skipped. Returns 0,
 * or -1 with err set (TRAJ_EFAIL, TRAJ_ENOMEM). */
int gnuplot_read_events(struct gnuplot_events *evs, FILE *in, const char *name,
			struct traj_error *err);
void gnuplot_events_free(struct gnuplot_events *evs);

/* Writes dir/sN.dat (N from 1, one per series, "step value" lines, the
 * series sorted by step) and dir/plot.gp, the script that draws them and
 * the events into plot->output. Titles are the metric names, with the run
 * in front when there are several runs. Returns 0, or -1 with err set
 * (TRAJ_ECREATE, TRAJ_EFAIL). */
int gnuplot_write(const char *dir, const struct gnuplot_plot *plot,
		  const struct metric_series_set *set,
		  const struct gnuplot_events *evs, struct traj_error *err);

#endif
