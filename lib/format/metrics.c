#include "format/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void metric_print(FILE *out, const char *run, int64_t step, const char *metric,
		  double value)
{
	fprintf(out, "%s\t%lld\t%s\t%.9g\n", run, (long long)step, metric, value);
}

static char *next_field(char **cursor)
{
	char *start = *cursor;
	if (!start)
		return NULL;
	char *tab = strchr(start, '\t');
	if (tab) {
		*tab = '\0';
		*cursor = tab + 1;
	} else {
		*cursor = NULL;
	}
	return start;
}

int metric_parse(char *line, struct metric_line *out, const char **why)
{
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	char *cursor = line;
	char *run = next_field(&cursor), *step = next_field(&cursor);
	char *metric = next_field(&cursor), *value = next_field(&cursor);
	if (!value || cursor) {
		*why = "expected 4 tab-separated fields";
		return -1;
	}
	char *end;
	errno = 0;
	long long s = strtoll(step, &end, 10);
	if (end == step || *end || errno || s < 0) {
		*why = "step: expected a non-negative integer";
		return -1;
	}
	double v = strtod(value, &end);
	if (end == value || *end) {
		*why = "value: expected a number";
		return -1;
	}
	if (run[0] == '\0' || metric[0] == '\0') {
		*why = "empty run or metric name";
		return -1;
	}
	out->run = run;
	out->step = s;
	out->metric = metric;
	out->value = v;
	return 1;
}
