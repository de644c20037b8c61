/* Finding transitions in metric lines (the engine of traj-emerge): series
 * are keyed by (run, metric) and fed one line at a time; events come out
 * through a callback as soon as they are known (threshold crossings at
 * once, change points when they are over, the steepest change at the
 * end). Every event carries the series' noise (analysis/noise.h) and how
 * far the change stands out of it. Memory grows with the number of
 * series, not with their length. */
#ifndef TRAJ_EMERGE_H
#define TRAJ_EMERGE_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/changepoint.h"
#include "common/error.h"
#include "format/metrics.h"

#define EMERGE_PATTERN_MAX 256

enum when_op { WHEN_GE, WHEN_GT, WHEN_LE, WHEN_LT };

/* "METRIC>=X": METRIC is a shell glob (fnmatch) over metric names. */
struct emerge_when {
	char pattern[EMERGE_PATTERN_MAX];
	enum when_op op;
	double x;
	char text[EMERGE_PATTERN_MAX + 64]; /* the expression, for event lines */
};

/* Returns 0, or -1 with err naming what is wrong (status TRAJ_EUSAGE). X
 * is a finite decimal number: no hexadecimal, no blanks, no overflow. */
int emerge_when_parse(const char *expr, struct emerge_when *w,
		      struct traj_error *err);

struct emerge_opts {
	const struct emerge_when *when;
	int nwhen;
	int steepest, changepoint;     /* methods on */
	char *const *metrics;          /* globs the two methods look at; */
	int nmetrics;                  /* 0: every metric */
	double window;                 /* decades, for steepest */
	struct changepoint_opts cp;    /* also gives steepest its significance */
	int skip_seen;                 /* a step not after the series' last is
					  skipped (fed again), not a restart */
	int early;                     /* a change under way is announced once,
					  provisionally, as soon as it is
					  significant (EMERGE_EARLY_POINTS), and
					  not at the end of the input */
};

/* A change under way is announced (opts.early) once it has
 * EMERGE_EARLY_POINTS points past its alarm, is significant as it stands
 * (the mean since the alarm against the level before), and the mean of
 * its last EMERGE_EARLY_LAST points is too (a spike of a few checkpoints
 * has come back by then, a step that stays has not). */
#define EMERGE_EARLY_POINTS 4
#define EMERGE_EARLY_LAST 2

/* A change found in a series' first EMERGE_JUDGE_WINDOWS x W points
 * (W: opts.cp.window) stands out of a noise estimated from few points,
 * which correlated noise makes look smaller than it is: unless its z is
 * EMERGE_SURE_Z or more, it is held back until the series has that many
 * points, then judged again against the noise of all of them (the
 * changes found taken out), and printed or dropped (with opts.early, its
 * provisional line withdrawn). The detector goes on watching meanwhile,
 * so a second change is a change of its own. At the end of the input
 * (emerge_finish, not with opts.early) the held changes are judged
 * against the points there are. */
#define EMERGE_JUDGE_WINDOWS 12
#define EMERGE_SURE_Z 50

/* The defaults of traj-emerge: no method on, window 0.3 decades, the
 * smallest change-point window 8, threshold 5 noise s.d., min_delta 0.05. */
void emerge_opts_init(struct emerge_opts *o);

struct emerge_event {
	const char *run, *metric;
	int64_t step;        /* where the transition is */
	const char *kind;    /* "rise", "fall", "spike", "cross", or
				"rising", "falling": still under way
				(provisional), at the end of the input or,
				with opts.early, as soon as it is known;
				"retract" (opts.early): the provisional
				line of the series at `step` is withdrawn,
				its change over as no such rise or fall */
	double before, after;
	int64_t from, to;    /* the interval that shows it */
	const char *method;  /* "changepoint", "steepest" or the --when text */
	double z;            /* how far it stands out of the noise, in s.d. */
	double noise;        /* the series' noise s.d. (one point) */
};

/* Returns 0 to go on, non-zero to stop (the value is passed back). */
typedef int (*emerge_emit)(const struct emerge_event *ev, void *ctx);

struct emerge;

/* Borrows opts (and what it points to) for its lifetime; NULL when out of
 * memory. */
struct emerge *emerge_new(const struct emerge_opts *opts);
/* Returns 0, the emitter's non-zero value, or -1 with err set (ENOMEM). */
int emerge_add(struct emerge *e, const struct metric_line *m, emerge_emit emit,
	       void *ctx, struct traj_error *err);
/* The identity of a run's stream (format/metrics.h, "# traj-run"): when
 * it differs from the one recorded for the run, the run's series start
 * afresh (the stream was replaced by another under the same run id: its
 * steps begin again and what was seen says nothing about them), each
 * provisional line of theirs withdrawn through emit (a "retract" with
 * AFTER and Z NaN; emit may be NULL). Returns 1 when they did, 0 when not
 * (the same stream, or the run's first identity), the emitter's non-zero
 * value, -1 with err set (TRAJ_ENOMEM). */
int emerge_run_identity(struct emerge *e, const char *run, uint64_t ident,
			emerge_emit emit, void *ctx, struct traj_error *err);
/* Reports what is known only at the end, series in order of first
 * appearance: a change still under way, as it stands (kind "rising" or
 * "falling"; not with opts.early, which announced it when it was known),
 * and the steepest change. */
int emerge_finish(struct emerge *e, emerge_emit emit, void *ctx);
void emerge_free(struct emerge *e);

/* RUN STEP METRIC KIND BEFORE AFTER FROM TO METHOD Z NOISE, tab-separated. */
void emerge_event_print(FILE *out, const struct emerge_event *ev);

#endif
