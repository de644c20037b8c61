/* Metric lines (formats/metric-lines.md) gathered into series: the points
 * (step, value) of one metric of one run, for drawing (traj-plot) where
 * every point of a series must be at hand at once. */
#ifndef TRAJ_METRIC_SERIES_H
#define TRAJ_METRIC_SERIES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

struct metric_point {
	int64_t step;
	double value;
};

struct metric_series {
	char *run, *metric;
	struct metric_point *pts;
	size_t n, cap;
};

/* Series in order of first appearance. Zero-initialise before the first
 * metric_series_read. */
struct metric_series_set {
	struct metric_series *s;
	size_t n, cap;
};

/* Reads every line of `in` (named `name` in messages), keeping the metric
 * lines whose metric matches one of the nglobs globs (fnmatch; with none,
 * every metric). Returns 0, or -1 with err set: TRAJ_EDATA naming the
 * line of a malformed one, TRAJ_EFAIL on a read error, TRAJ_ENOMEM. */
int metric_series_read(struct metric_series_set *set, FILE *in,
		       const char *name, char *const *globs, int nglobs,
		       struct traj_error *err);
/* Sorts each series by step; points of equal step keep their order.
 * Returns 0, or -1 with err set (TRAJ_ENOMEM). */
int metric_series_sort(struct metric_series_set *set, struct traj_error *err);
/* The number of distinct runs among the series. */
size_t metric_series_runs(const struct metric_series_set *set);
void metric_series_free(struct metric_series_set *set);

#endif
