/* libFuzzer target: the metric line parser (lib/metrics.c), line by line
 * as a reader of metric files would call it, and the run identity
 * comments (# traj-run) among them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *line = buf, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct metric_line m;
		const char *why;
		int rc = metric_parse(line, &m, &why);
		if (rc == 1 && (!m.run || !m.metric))
			abort(); /* a parsed line always names run and metric */
		const char *run;
		uint64_t id;
		if (rc == 0 && metric_parse_identity(line, &run, &id) &&
		    !metric_field_valid(run))
			abort(); /* an identity names a printable run */
	}
	free(buf);
	return 0;
}
