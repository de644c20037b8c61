#include "cli/metric_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "format/metrics.h"

/* The series already reported: a set of 64-bit hashes of run and metric,
 * open addressing, half full at most. A collision only silences a line. */
static uint64_t *seen;
static size_t seen_cap, seen_count;

static uint64_t series_hash(const char *run, const char *metric)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const char *p = run; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0x1f) * 1099511628211ULL;  /* a separator no name holds */
	for (const char *p = metric; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h ? h : 1; /* 0 marks an empty slot */
}

static void insert(uint64_t h)
{
	size_t i = h & (seen_cap - 1);
	while (seen[i] && seen[i] != h)
		i = (i + 1) & (seen_cap - 1);
	if (!seen[i])
		seen_count++;
	seen[i] = h;
}

/* Adds the series; returns 1 when it was new. */
static int first_time(uint64_t h)
{
	if (2 * (seen_count + 1) > seen_cap) {
		uint64_t *old = seen;
		size_t old_cap = seen_cap;
		seen_cap = seen_cap ? 2 * seen_cap : 64;
		seen = calloc(seen_cap, sizeof *seen);
		if (!seen)
			cli_die(TRAJ_ENOMEM, "out of memory");
		seen_count = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i])
				insert(old[i]);
		free(old);
	}
	size_t before = seen_count;
	insert(h);
	return seen_count > before;
}

void cli_metric(const char *run, int64_t step, const char *metric,
		double value)
{
	metric_print(stdout, run, step, metric, value);
	if (isfinite(value) || !first_time(series_hash(run, metric)))
		return;
	fprintf(stderr, "%s: run '%s' step %lld: %s is %s, not a finite number "
		"(later steps of it are not reported)\n", cli_prog(), run,
		(long long)step, metric,
		isnan(value) ? "nan" : value > 0 ? "inf" : "-inf");
}
