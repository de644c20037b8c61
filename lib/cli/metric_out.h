/* Metric lines on standard output, through the metric writer, for the
 * programs that compute statistics. A value that is not finite is printed
 * as such (nan, inf, -inf: formats/metric-lines.md), and the first time a
 * series (a run and a metric) takes one, one line on stderr names the
 * run, the step and the metric, so that a statistic an input made
 * undefined is never silent. The exit status stays 0: the line is a true
 * measurement of that checkpoint (a diverged model's loss is nan). */
#ifndef TRAJ_CLI_METRIC_OUT_H
#define TRAJ_CLI_METRIC_OUT_H

#include <stdint.h>

void cli_metric(const char *run, int64_t step, const char *metric,
		double value);

#endif
