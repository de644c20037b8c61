/* Timing helpers shared by the C benchmarks: a monotonic clock in
 * milliseconds and an order for qsort of repeated measurements. Header-only
 * because each benchmark is a single program file. */
#ifndef TRAJ_BENCHTIME_H
#define TRAJ_BENCHTIME_H

#include <stdlib.h>
#include <time.h>

static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}


#endif
