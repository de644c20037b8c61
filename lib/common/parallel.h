/* A small persistent thread pool for the element-wise passes between BLAS
 * products (bias and activation, softmax and cross-entropy, bias-gradient
 * sums). It runs as many threads as OpenBLAS is set to use, so the two
 * alternate on the same cores: the pool's workers sleep while sgemm runs,
 * and OpenBLAS's are idle while a pass runs.
 *
 * A pass splits [0, n) into contiguous ranges, a few per thread, which
 * the threads take in turn. Callers keep results independent of the
 * thread count, and of which thread runs which range, by making each
 * output element the work of exactly one range, computed in the same
 * order as a serial loop would (rows for row-wise work, columns for sums
 * over rows).
 *
 * Workers start on the first pass that needs them and stop in
 * parallel_free. Before the first one starts, once per process, OpenBLAS's
 * idle workers are set to sleep after about 2^16 cycles of spinning
 * instead of 2^28, unless OPENBLAS_THREAD_TIMEOUT is set (see
 * parallel.c): a side effect on every later product of the process. A pool serves one caller at a time (like the model that
 * owns it); fn must not start another pass on the same pool. */
#ifndef TRAJ_PARALLEL_H
#define TRAJ_PARALLEL_H

#include <stddef.h>

struct parallel;

/* NULL when out of memory; no threads are started yet. */
struct parallel *parallel_new(void);
void parallel_free(struct parallel *p);

/* Calls fn(ctx, lo, hi) on consecutive ranges covering [0, n), on the
 * calling thread and the workers, and returns when all are done. cost is the work
 * of one item in elements touched; passes too small to repay waking a
 * thread (and a NULL pool) run serially, in one call fn(ctx, 0, n). When
 * a thread cannot be started the pass runs with fewer. */
void parallel_for(struct parallel *p, int n, size_t cost,
		  void (*fn)(void *ctx, int lo, int hi), void *ctx);

/* Calls fn(ctx, t, t + 1) for each t < parts, each on a thread of its
 * own where that many can run (the caller is one): for parts that each
 * call single-threaded BLAS (see linalg_set_threads) on their own rows,
 * without meeting between products. When fewer threads start, some run
 * several parts, in turn; with a NULL pool, fn(ctx, 0, parts). */
void parallel_run(struct parallel *p, int parts,
		  void (*fn)(void *ctx, int lo, int hi), void *ctx);

/* Threads a pass may use: OpenBLAS's current thread count, at most
 * PARALLEL_MAX_THREADS, unless set otherwise. */
#define PARALLEL_MAX_THREADS 64
int parallel_threads(void);
/* For tests: n > 0 makes every pass of every pool use n threads (at most
 * one per item), however small the pass; 0 restores the default. Tests
 * need it because OpenBLAS's own sums can round differently at another
 * thread count, while the pool's must not. Call when no pass runs. */
void parallel_set_threads(int n);

#endif
