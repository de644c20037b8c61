/* Metric lines (formats/metric-lines.md): "run<TAB>step<TAB>metric<TAB>value",
 * one measurement per line, '#' starts a comment. */
#ifndef TRAJ_METRICS_H
#define TRAJ_METRICS_H

#include <stdint.h>
#include <stdio.h>

#define METRIC_HEADER "# run\tstep\tmetric\tvalue\n"

struct metric_line {
	const char *run;     /* point into the parsed line */
	int64_t step;
	const char *metric;
	double value;        /* NAN for "nan", +-INFINITY for "inf"/"-inf" */
};

/* Writes one line with the value in %.9g (round-trips a float). */
void metric_print(FILE *out, const char *run, int64_t step, const char *metric,
		  double value);
/* Parses `line` in place (tabs become NULs, the newline is dropped).
 * Returns 1 for a metric line, 0 for a blank or comment line, -1 for a
 * malformed line with *why set to the reason. */
int metric_parse(char *line, struct metric_line *out, const char **why);

#endif
