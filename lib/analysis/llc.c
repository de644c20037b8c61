#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/llc.h"

int llc_config_check(const struct llc_config *c, int64_t n_examples,
		     struct traj_error *err)
{
	const struct sgld_params *p = &c->sgld;
	if (!(isfinite(p->eps) && p->eps > 0))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "eps: expected a finite number > 0, got %g", p->eps);
	if (!(isfinite(p->nbeta) && p->nbeta > 0))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "nbeta: expected a finite number > 0, got %g",
				 p->nbeta);
	if (!(isfinite(p->gamma) && p->gamma >= 0))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "gamma: expected a finite number >= 0, got %g",
				 p->gamma);
	if (!(isfinite(p->sigma) && p->sigma >= 0))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "sigma: expected a finite number >= 0, got %g",
				 p->sigma);
	if (c->chains < 1 || c->draws < 1 || c->every < 1 || c->burnin < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "chains, draws and steps between draws must be "
				 ">= 1, burn-in >= 0");
	if (c->burnin > c->draws)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "burn-in: %d steps is more than the %d draws",
				 c->burnin, c->draws);
	if (c->batch < 1 || c->batch > n_examples)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "batch: expected 1..%lld (the training examples), "
				 "got %d", (long long)n_examples, c->batch);
	return 0;
}

uint64_t llc_chain_seed(uint64_t seed, int64_t key, int chain)
{
	return seed ^ ((uint64_t)key * 0x9e3779b97f4a7c15ULL) ^
	       ((uint64_t)(chain + 1) * 0xbf58476d1ce4e5b9ULL);
}

struct worker {
	const struct llc_config *c;
	struct llc_target *t;
	const float *w0;
	int64_t key;
	int first, stride;    /* chains first, first + stride, ... */
	double *trace;        /* the result's (chains, draws) */
	int32_t *perm;        /* (n_examples) */
	int failed_chain;
	int64_t failed_step;
	double failed_loss;
};

/* Returns 0, or -1 when the chain reached a non-finite loss. */
static int run_chain(struct worker *wk, int chain)
{
	const struct llc_config *c = wk->c;
	struct llc_target *t = wk->t;
	int64_t N = t->n_examples, pos = N;
	struct rng r;
	rng_seed(&r, llc_chain_seed(c->seed, wk->key, chain));
	memcpy(t->w, wk->w0, t->n * sizeof *t->w);
	for (int64_t i = 0; i < N; i++)
		wk->perm[i] = (int32_t)i;
	double *trace = wk->trace + (size_t)chain * (size_t)c->draws;
	int64_t total = (int64_t)c->burnin + (int64_t)c->draws * c->every;
	int d = 0;
	for (int64_t step = 0; step < total; step++) {
		if (pos + c->batch > N) {
			rng_shuffle(&r, wk->perm, N);
			pos = 0;
		}
		double loss = t->loss_grad(t->ctx, wk->perm + pos, c->batch);
		pos += c->batch;
		if (!isfinite(loss)) {
			wk->failed_chain = chain;
			wk->failed_step = step;
			wk->failed_loss = loss;
			return -1;
		}
		if (step >= c->burnin && (step - c->burnin) % c->every == 0)
			trace[d++] = loss;
		if (d == c->draws)
			break;
		sgld_step(&c->sgld, t->w, t->g, wk->w0, t->n, &r);
	}
	return 0;
}

static void *run_worker(void *arg)
{
	struct worker *wk = arg;
	for (int ch = wk->first; ch < wk->c->chains; ch += wk->stride)
		if (run_chain(wk, ch) < 0)
			break;
	return NULL;
}

void llc_result_free(struct llc_result *res)
{
	free(res->chain_llc);
	free(res->trace);
	res->chain_llc = NULL;
	res->trace = NULL;
}

static void summarise(const struct llc_config *c, struct llc_result *res)
{
	int64_t below = 0;
	double sum = 0;
	for (int ch = 0; ch < c->chains; ch++) {
		const double *tr = res->trace + (size_t)ch * (size_t)c->draws;
		double m = 0;
		for (int d = 0; d < c->draws; d++) {
			m += tr[d];
			below += tr[d] < res->init_loss;
		}
		m /= c->draws;
		res->chain_llc[ch] = c->sgld.nbeta * (m - res->init_loss);
		sum += res->chain_llc[ch];
	}
	res->mean = sum / c->chains;
	double ss = 0;
	for (int ch = 0; ch < c->chains; ch++)
		ss += (res->chain_llc[ch] - res->mean) *
		      (res->chain_llc[ch] - res->mean);
	res->std = c->chains > 1 ? sqrt(ss / (c->chains - 1)) : 0;
	res->below_frac = (double)below / ((double)c->chains * c->draws);
}

int llc_estimate(const struct llc_config *c, struct llc_target *targets,
		 int ntargets, const float *w0, double init_loss, int64_t key,
		 struct llc_result *res, struct traj_error *err)
{
	memset(res, 0, sizeof *res);
	res->failed_chain = -1;
	res->init_loss = init_loss;
	if (llc_config_check(c, targets[0].n_examples, err) < 0)
		return -1;
	if (ntargets > c->chains)
		ntargets = c->chains;
	res->chain_llc = malloc((size_t)c->chains * sizeof *res->chain_llc);
	res->trace = malloc((size_t)c->chains * (size_t)c->draws *
			    sizeof *res->trace);
	struct worker *wk = calloc((size_t)ntargets, sizeof *wk);
	int rc = -1;
	if (!res->chain_llc || !res->trace || !wk)
		goto out;
	for (int i = 0; i < ntargets; i++) {
		wk[i] = (struct worker){ .c = c, .t = &targets[i], .w0 = w0,
			.key = key, .first = i, .stride = ntargets,
			.trace = res->trace, .failed_chain = -1 };
		wk[i].perm = malloc((size_t)targets[i].n_examples *
				    sizeof *wk[i].perm);
		if (!wk[i].perm)
			goto out;
	}
	pthread_t *tid = calloc((size_t)ntargets, sizeof *tid);
	int *started = calloc((size_t)ntargets, sizeof *started);
	if (!tid || !started) {
		free(tid);
		free(started);
		goto out;
	}
	for (int i = 1; i < ntargets; i++)
		started[i] = pthread_create(&tid[i], NULL, run_worker,
					    &wk[i]) == 0;
	run_worker(&wk[0]);
	for (int i = 1; i < ntargets; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			run_worker(&wk[i]); /* no thread: same chains, later */
	}
	free(tid);
	free(started);
	/* The lowest failed chain, whatever the threads' timing. */
	for (int i = 0; i < ntargets; i++)
		if (wk[i].failed_chain >= 0 &&
		    (res->failed_chain < 0 ||
		     wk[i].failed_chain < res->failed_chain)) {
			res->failed_chain = wk[i].failed_chain;
			res->failed_step = wk[i].failed_step;
			res->failed_loss = wk[i].failed_loss;
		}
	if (res->failed_chain < 0)
		summarise(c, res);
	rc = 0;
out:
	if (wk)
		for (int i = 0; i < ntargets; i++) {
			free(wk[i].perm);
		}
	free(wk);
	if (rc < 0) {
		llc_result_free(res);
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	return rc;
}
