#include "common/linalg.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* OpenBLAS internals of DYNAMIC_ARCH builds; weak so that a library built
 * for one fixed core (without them) still links, and we skip the fix. */
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

/* Set once linalg_set_core chose the core: linalg_init leaves it alone. */
static int pinned;

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
	if (!done && !pinned) {
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

/* Each core OpenBLAS can be pinned to here, with the instructions its
 * kernels use: pinning a core the CPU cannot run would end in SIGILL. */
struct core_need {
	const char *name;
	const char *features[6];
};

static const struct core_need cores[] = {
	{ "Prescott", { "sse3" } },
	{ "Nehalem", { "sse4.2" } },
	{ "Sandybridge", { "avx" } },
	{ "Haswell", { "avx2", "fma" } },
	{ "Zen", { "avx2", "fma" } },
	{ "SkylakeX", { "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd" } },
	{ "Cooperlake", { "avx512f", "avx512bw", "avx512vl", "avx512dq",
			  "avx512bf16" } },
};
#define NCORES (sizeof cores / sizeof cores[0])

static int cpu_has(const char *feature)
{
	/* __builtin_cpu_supports needs a literal, hence the table. */
	if (!strcmp(feature, "sse3")) return __builtin_cpu_supports("sse3");
	if (!strcmp(feature, "sse4.2")) return __builtin_cpu_supports("sse4.2");
	if (!strcmp(feature, "avx")) return __builtin_cpu_supports("avx");
	if (!strcmp(feature, "avx2")) return __builtin_cpu_supports("avx2");
	if (!strcmp(feature, "fma")) return __builtin_cpu_supports("fma");
	if (!strcmp(feature, "avx512f")) return __builtin_cpu_supports("avx512f");
	if (!strcmp(feature, "avx512bw")) return __builtin_cpu_supports("avx512bw");
	if (!strcmp(feature, "avx512vl")) return __builtin_cpu_supports("avx512vl");
	if (!strcmp(feature, "avx512dq")) return __builtin_cpu_supports("avx512dq");
	if (!strcmp(feature, "avx512cd")) return __builtin_cpu_supports("avx512cd");
	if (!strcmp(feature, "avx512bf16"))
		return __builtin_cpu_supports("avx512bf16");
	return 0;
}

const char *linalg_core_names(void)
{
	return "Prescott, Nehalem, Sandybridge, Haswell, Zen, SkylakeX, Cooperlake";
}

int linalg_set_core(const char *name, struct traj_error *err)
{
	const struct core_need *c = NULL;
	for (size_t i = 0; i < NCORES && !c; i++)
		if (strcasecmp(name, cores[i].name) == 0)
			c = &cores[i];
	if (!c)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "unknown BLAS core '%.64s' (one of %s)", name,
				 linalg_core_names());
	__builtin_cpu_init();
	for (int k = 0; k < 6 && c->features[k]; k++)
		if (!cpu_has(c->features[k]))
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "BLAS core %s needs the CPU's %s instructions, "
					 "which this CPU lacks", c->name, c->features[k]);
	if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) {
		if (strcasecmp(openblas_get_corename(), c->name) == 0)
			return 0;
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "this OpenBLAS is built for core %s only and "
				 "cannot switch to %s", openblas_get_corename(), c->name);
	}
	char *saved = getenv("OPENBLAS_CORETYPE");
	saved = saved ? strdup(saved) : NULL;
	setenv("OPENBLAS_CORETYPE", c->name, 1);
	gotoblas_dynamic_quit();
	gotoblas_dynamic_init();
	if (saved) {
		setenv("OPENBLAS_CORETYPE", saved, 1);
		free(saved);
	} else {
		unsetenv("OPENBLAS_CORETYPE");
	}
	pinned = 1;
	if (strcasecmp(openblas_get_corename(), c->name) != 0)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "OpenBLAS did not switch to core %s (it runs %s)",
				 c->name, openblas_get_corename());
	return 0;
}

const char *linalg_core(void)
{
	return openblas_get_corename();
}

const char *linalg_library(void)
{
	return openblas_get_config();
}

int linalg_threads(void)
{
	return openblas_get_num_threads();
}

void linalg_set_threads(int n)
{
	openblas_set_num_threads(n);
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
