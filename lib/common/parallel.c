/* The pool synchronises with one mutex and two condition variables only
 * (no spinning, no atomics): a sleeping worker costs nothing while
 * OpenBLAS has the cores, and valgrind's thread checkers understand every
 * hand-over. A pass is published by bumping a generation counter. */
#include "common/parallel.h"

#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>

/* Elements a thread must get before waking it pays. On the 2-core VM of
 * bench/README.md, waking a worker and handing back costs 5 us with the
 * other core busy and 100-200 us when its virtual CPU sleeps (after a
 * long sgemm on one thread), while a core does element-wise updates at
 * roughly one per nanosecond out of cache. */
#define PARALLEL_MIN_WORK 524288

/* Chunks per thread in a pass: threads take chunks in turn, so a worker
 * that wakes late (its core busy with another program) costs the pass
 * only its own chunks, which the others take instead of waiting. */
#define PARALLEL_CHUNKS 4

/* OpenBLAS's idle workers spin, calling sched_yield, for 2^28 cycles
 * (about 0.1 s) after each product before they sleep: between the
 * products of a training step they never sleep, and hold the cores the
 * pool's passes need (on 2 cores, a pass on 2 threads then ran no faster
 * than on one). OPENBLAS_THREAD_TIMEOUT=16 makes them sleep after 2^16
 * cycles (tens of microseconds), still long enough to go straight from
 * one product to the next. It is read when OpenBLAS starts its threads,
 * so they are restarted; these internals of OpenBLAS's pthread builds
 * are weak, and without them the pool runs as it is. */
#define PARALLEL_BLAS_TIMEOUT "16"
extern void openblas_read_env(void) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));

/* Once per process, before the pool's first worker starts, from the
 * thread that calls OpenBLAS, between two products. A timeout the user
 * chose is kept. */
static void quiet_blas_workers(void)
{
	static int done;
	if (done || !openblas_read_env || !blas_thread_shutdown_)
		return;
	done = 1;
	if (getenv("OPENBLAS_THREAD_TIMEOUT"))
		return;
	setenv("OPENBLAS_THREAD_TIMEOUT", PARALLEL_BLAS_TIMEOUT, 0);
	openblas_read_env();
	unsetenv("OPENBLAS_THREAD_TIMEOUT");
	blas_thread_shutdown_(); /* the next product starts them again */
}

struct parallel {
	pthread_mutex_t mu;
	pthread_cond_t work;   /* a pass was published, or quit */
	pthread_cond_t done;   /* the last chunk of a pass finished */
	unsigned long gen;     /* passes published so far */
	int quit;
	int nworkers;
	pthread_t tid[PARALLEL_MAX_THREADS - 1];
	/* The current pass: */
	void (*fn)(void *ctx, int lo, int hi);
	void *ctx;
	int n, chunks;
	int parts;             /* threads taking part: the caller, workers 1.. */
	int next;              /* the first chunk nobody took */
	int busy;              /* chunks taken, not finished */
};

struct worker_arg {
	struct parallel *p;
	int id;                /* 1, 2, ...: takes part when id < parts */
	unsigned long seen;    /* the generation when the worker started */
};

static int threads_set; /* parallel_set_threads; 0: OpenBLAS's count */

void parallel_set_threads(int n)
{
	threads_set = n > 0 ? n : 0;
}

int parallel_threads(void)
{
	int n = threads_set ? threads_set : openblas_get_num_threads();
	if (n < 1)
		return 1;
	return n < PARALLEL_MAX_THREADS ? n : PARALLEL_MAX_THREADS;
}

struct parallel *parallel_new(void)
{
	struct parallel *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->work, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->done, NULL) != 0) {
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

/* Chunk k of chunks over [0, n): [n k / chunks, n (k + 1) / chunks). */
static void run_chunk(void (*fn)(void *, int, int), void *ctx, int n, int k,
		      int chunks)
{
	int lo = (int)((long long)n * k / chunks);
	int hi = (int)((long long)n * (k + 1) / chunks);
	if (lo < hi)
		fn(ctx, lo, hi);
}

/* Takes and runs chunks of the current pass until none is left; called
 * and returns with p->mu held. */
static void take_chunks(struct parallel *p)
{
	while (p->next < p->chunks) {
		int k = p->next++;
		void (*fn)(void *, int, int) = p->fn;
		void *ctx = p->ctx;
		int n = p->n, chunks = p->chunks;
		p->busy++;
		pthread_mutex_unlock(&p->mu);
		run_chunk(fn, ctx, n, k, chunks);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0 && p->next >= p->chunks)
			pthread_cond_signal(&p->done);
	}
}

static void *worker_main(void *arg)
{
	struct worker_arg a = *(struct worker_arg *)arg;
	struct parallel *p = a.p;
	free(arg);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->gen == a.seen && !p->quit)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		a.seen = p->gen;
		if (a.id < p->parts)
			take_chunks(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Starts workers until parts - 1 run; returns the parts that can run. */
static int start_workers(struct parallel *p, int parts)
{
	if (p->nworkers < parts - 1)
		quiet_blas_workers();
	while (p->nworkers < parts - 1) {
		struct worker_arg *a = malloc(sizeof *a);
		if (!a)
			break;
		*a = (struct worker_arg){ p, p->nworkers + 1, p->gen };
		if (pthread_create(&p->tid[p->nworkers], NULL, worker_main,
				   a) != 0) {
			free(a);
			break;
		}
		p->nworkers++;
	}
	return p->nworkers + 1 < parts ? p->nworkers + 1 : parts;
}

static void publish(struct parallel *p, void (*fn)(void *ctx, int lo, int hi),
		    void *ctx, int n, int chunks, int parts);

static int parts_for(int n, size_t cost)
{
	double work = (double)n * (double)cost;
	int parts = parallel_threads();
	if (!threads_set && work < (double)parts * PARALLEL_MIN_WORK)
		parts = (int)(work / PARALLEL_MIN_WORK);
	if (parts > n)
		parts = n;
	return parts > 1 ? parts : 1;
}

void parallel_for(struct parallel *p, int n, size_t cost,
		  void (*fn)(void *ctx, int lo, int hi), void *ctx)
{
	if (n <= 0)
		return;
	int parts = p ? parts_for(n, cost) : 1;
	if (parts > 1)
		parts = start_workers(p, parts);
	if (parts == 1) {
		fn(ctx, 0, n);
		return;
	}
	publish(p, fn, ctx, n,
		parts * PARALLEL_CHUNKS < n ? parts * PARALLEL_CHUNKS : n, parts);
}

void parallel_run(struct parallel *p, int parts,
		  void (*fn)(void *ctx, int lo, int hi), void *ctx)
{
	if (parts <= 0)
		return;
	int run = p && parts > 1 ? start_workers(p, parts) : 1;
	if (run == 1)
		fn(ctx, 0, parts);
	else
		publish(p, fn, ctx, parts, parts, run);
}

/* Runs chunks of [0, n) on parts threads, the caller one of them, and
 * returns when all are done. */
static void publish(struct parallel *p, void (*fn)(void *ctx, int lo, int hi),
		    void *ctx, int n, int chunks, int parts)
{
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->ctx = ctx;
	p->n = n;
	p->chunks = chunks;
	p->parts = parts;
	p->next = 0;
	p->gen++;
	pthread_cond_broadcast(&p->work);
	take_chunks(p);
	while (p->busy > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void parallel_free(struct parallel *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->tid[i], NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
