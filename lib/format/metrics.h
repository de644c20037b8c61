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

/* Writes one line with the value in %.9g (round-trips a float), and a
 * non-finite value as `nan`, `inf` or `-inf`, whatever its sign bit.
 *
 * A run or metric field that is empty or holds a tab, newline, space or
 * other control character would let data forge lines (the stream reader
 * already refuses such names, so it is a bug): the line is refused, and
 * so is every later one, so that what was printed is a clean prefix.
 * Returns 0, or -1 when refused; metric_refusal() then says why, and the
 * programs' output checks (cli_check_output, cli_finish) end with status
 * 70 on it, so a caller that ignores the result still cannot leak. */
int metric_print(FILE *out, const char *run, int64_t step, const char *metric,
		 double value);
/* Why metric_print refused a line (a static string), or NULL. */
const char *metric_refusal(void);
/* Whether s is a printable metric-line field: non-empty, no byte below
 * 0x21 and no DEL. */
int metric_field_valid(const char *s);
/* Parses `line` in place (tabs become NULs, the newline is dropped).
 * Returns 1 for a metric line, 0 for a blank or comment line, -1 for a
 * malformed line with *why set to the reason. */
int metric_parse(char *line, struct metric_line *out, const char **why);

/* A run's identity, a comment line "# traj-run<TAB>RUN<TAB>IDENTITY" (16
 * lower-case hexadecimal digits) before the run's first metric line:
 * traj-score --state prints one (run/score_state.h says what it hashes),
 * so that traj-emerge --state notices a stream replaced by another under
 * the same run id. Readers that do not know it skip it as a comment.
 * Returns 0, or -1 (nothing printed) for a run that is not a valid field. */
int metric_print_identity(FILE *out, const char *run, uint64_t identity);
/* Whether a line metric_parse took for a comment is an identity: 1 with
 * *run (pointing into line, which is split in place) and *identity set,
 * else 0. */
int metric_parse_identity(char *line, const char **run, uint64_t *identity);

#endif
