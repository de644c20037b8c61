#include "format/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/statefile.h"

/* One refused line ends all metric output of the process (see metrics.h);
 * the programs turn it into status 70 when they check their output. */
static const char *refused;

const char *metric_refusal(void)
{
	return refused;
}

int metric_field_valid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

int metric_print(FILE *out, const char *run, int64_t step, const char *metric,
		 double value)
{
	if (!refused && !metric_field_valid(run))
		refused = "a metric line's run field is empty or holds a space or control character";
	if (!refused && !metric_field_valid(metric))
		refused = "a metric line's metric field is empty or holds a space or control character";
	if (refused)
		return -1;
	/* printf's "-nan" (a NaN with its sign bit set) is not in the spec. */
	if (isnan(value))
		fprintf(out, "%s\t%lld\t%s\tnan\n", run, (long long)step, metric);
	else
		fprintf(out, "%s\t%lld\t%s\t%.9g\n", run, (long long)step, metric,
			value);
	return 0;
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

/* A VALUE as formats/metric-lines.md has it: a decimal number, or nan,
 * inf, -inf. strtod alone also takes 0x10, " 0.5", "infinity", and turns
 * 1e400 into inf: a reader would see another number than the line. */
static const char *value_parse(const char *s, double *v)
{
	if (strcmp(s, "nan") == 0 || strcmp(s, "inf") == 0 || strcmp(s, "-inf") == 0) {
		*v = strtod(s, NULL);
		return NULL;
	}
	const char *p = s + (*s == '-' || *s == '+');
	size_t digits = strspn(p, "0123456789");
	p += digits;
	if (*p == '.') {
		size_t frac = strspn(p + 1, "0123456789");
		digits += frac;
		p += 1 + frac;
	}
	if (digits && (*p == 'e' || *p == 'E')) {
		const char *e = p + 1 + (p[1] == '-' || p[1] == '+');
		size_t n = strspn(e, "0123456789");
		p = n ? e + n : p;
	}
	if (!digits || *p)
		return "value: expected a decimal number, nan, inf or -inf";
	*v = strtod(s, NULL);
	if (isinf(*v))
		return "value: out of the range of a double";
	return NULL;
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
	double v;
	if ((*why = value_parse(value, &v)))
		return -1;
	/* Whatever reads metric lines may print these fields again. */
	if (!metric_field_valid(run) || !metric_field_valid(metric)) {
		*why = "run or metric name empty or holding a space or control character";
		return -1;
	}
	out->run = run;
	out->step = s;
	out->metric = metric;
	out->value = v;
	return 1;
}

#define IDENTITY_TAG "# traj-run\t"

int metric_print_identity(FILE *out, const char *run, uint64_t identity)
{
	if (refused || !metric_field_valid(run))
		return -1;
	fprintf(out, IDENTITY_TAG "%s\t%016" PRIx64 "\n", run, identity);
	return 0;
}

int metric_parse_identity(char *line, const char **run, uint64_t *identity)
{
	size_t n = strlen(IDENTITY_TAG);
	if (strncmp(line, IDENTITY_TAG, n) != 0)
		return 0;
	char *r = line + n, *tab = strchr(r, '\t');
	if (!tab)
		return 0;
	*tab = '\0';
	if (!metric_field_valid(r) || statefile_hex(tab + 1, identity) < 0)
		return 0;
	*run = r;
	return 1;
}
