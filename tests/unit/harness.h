/* A tiny TAP producer for the C unit tests. Each test is a function; the
 * CHECK macros record failures with file and line, and the runner prints
 * "ok N - name" or "not ok N - name" plus "# ..." diagnostics. */
#ifndef TRAJ_HARNESS_H
#define TRAJ_HARNESS_H

#include <math.h>
#include <stdio.h>

static int harness_failed_checks;
static int harness_count;
static int harness_failures;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("#   %s:%d: check failed: %s\n", __FILE__,    \
			       __LINE__, #cond);                             \
			harness_failed_checks++;                             \
		}                                                            \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                                \
	do {                                                                 \
		double ha_ = (double)(a), hb_ = (double)(b);                 \
		if (!(fabs(ha_ - hb_) <= (tol))) {                           \
			printf("#   %s:%d: %s = %.9g, %s = %.9g, tol %g\n",  \
			       __FILE__, __LINE__, #a, ha_, #b, hb_,         \
			       (double)(tol));                               \
			harness_failed_checks++;                             \
		}                                                            \
	} while (0)

static inline void harness_run(const char *name, void (*fn)(void))
{
	harness_failed_checks = 0;
	fn();
	harness_count++;
	if (harness_failed_checks) {
		harness_failures++;
		printf("not ok %d - %s\n", harness_count, name);
	} else {
		printf("ok %d - %s\n", harness_count, name);
	}
	fflush(stdout);
}

#define RUN(fn) harness_run(#fn, fn)

static inline int harness_done(void)
{
	printf("1..%d\n", harness_count);
	return harness_failures ? 1 : 0;
}

#endif
