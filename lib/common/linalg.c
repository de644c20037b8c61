#include "common/linalg.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* OpenBLAS internals of DYNAMIC_ARCH builds; weak so that a library built
 * for one fixed core (without them) still links, and we skip the fix. */
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static const char *better_core(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl"))
		return "SkylakeX";
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return "Haswell";
	return NULL;
}

const char *linalg_init(void)
{
	static int done;
	if (!done) {
		done = 1;
		const char *core = better_core();
		if (core && !getenv("OPENBLAS_CORETYPE") &&
		    strcmp(openblas_get_corename(), "Prescott") == 0 &&
		    gotoblas_dynamic_init && gotoblas_dynamic_quit) {
			setenv("OPENBLAS_CORETYPE", core, 0);
			gotoblas_dynamic_quit();
			gotoblas_dynamic_init();
			unsetenv("OPENBLAS_CORETYPE");
		}
	}
	return openblas_get_corename();
}

static int counting;
static struct linalg_counts counts;

void linalg_count(int on)
{
	if (on)
		memset(&counts, 0, sizeof counts);
	counting = on;
}

struct linalg_counts linalg_counted(void)
{
	return counts;
}

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The end of a counted product started at t0. */
static void counted(double t0, int m, int n, int k)
{
	counts.seconds += seconds_now() - t0;
	counts.flop += 2.0 * m * n * k;
	counts.calls++;
}

void linalg_matmul(int m, int n, int k, const float *a, const float *b,
		   float beta, float *c)
{
	double t0 = counting ? seconds_now() : 0;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k,
		    1.0f, a, k, b, n, beta, c, n);
	if (counting)
		counted(t0, m, n, k);
}

void linalg_matmul_tn_acc(int m, int n, int k, const float *a, const float *b,
			  float *c)
{
	double t0 = counting ? seconds_now() : 0;
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k,
		    1.0f, a, m, b, n, 1.0f, c, n);
	if (counting)
		counted(t0, m, n, k);
}

void linalg_matmul_nt(int m, int n, int k, const float *a, const float *b,
		      float *c)
{
	double t0 = counting ? seconds_now() : 0;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k,
		    1.0f, a, k, b, k, 0.0f, c, n);
	if (counting)
		counted(t0, m, n, k);
}

void linalg_matmul_nt_acc(int m, int n, int k, const float *a,
			  const float *b, float *c)
{
	double t0 = counting ? seconds_now() : 0;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k,
		    1.0f, a, k, b, k, 1.0f, c, n);
	if (counting)
		counted(t0, m, n, k);
}
