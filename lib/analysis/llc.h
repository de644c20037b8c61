/* The local learning coefficient (LLC) of a point w* of a loss, estimated
 * by SGLD chains localised at w* (Lau et al. 2023; devinterp's
 * estimator):
 *
 *   lambda_hat = nbeta (E_w[L_n(w)] - L_n(w*))
 *
 * per chain, E_w the mean over the chain's draws of the minibatch loss at
 * the draw (an unbiased estimate of L_n(w) there), L_n(w*) given by the
 * caller (the loss over the whole training set). Each chain starts at w*
 * and takes burnin + draws * every SGLD steps (sgld.h); the loss computed
 * for a step, at the weights the step starts from, is a draw when at
 * least burnin steps came before and (steps - burnin) % every == 0 (so
 * with no burn-in the first draw is the loss at w*). Minibatches of
 * `batch` examples are taken in order from a shuffled permutation of the
 * examples, reshuffled when fewer than `batch` remain.
 *
 * Chains are independent: chain c draws its shuffles and its noise, in
 * that order within each step, from one generator seeded with
 * llc_chain_seed(seed, key, c), so an estimate depends on the seed and
 * not on the number of threads. Never prints. */
#ifndef TRAJ_LLC_H
#define TRAJ_LLC_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/sgld.h"
#include "common/error.h"

struct llc_config {
	struct sgld_params sgld;
	int chains;        /* >= 1 */
	int draws;         /* >= 1 */
	int burnin;        /* >= 0, steps before the first draw */
	int every;         /* >= 1, steps from one draw to the next */
	int batch;         /* examples per minibatch, 1..n_examples */
	uint64_t seed;
};

/* What a chain samples: a parameter vector w (n floats) and a function
 * that computes, at the current w, the mean loss over the examples
 * idx[0..nidx) and its gradient into g. A target is used by one thread
 * at a time. */
struct llc_target {
	float *w, *g;      /* (n) each */
	size_t n;
	int64_t n_examples;
	double (*loss_grad)(void *ctx, const int32_t *idx, int nidx);
	void *ctx;
};

/* One estimate: per chain, its LLC and its draws' losses. */
struct llc_result {
	double mean, std;      /* across chains; std with n - 1 (0: 1 chain) */
	double init_loss;      /* L_n(w*) as given */
	double below_frac;     /* draws whose loss is below init_loss */
	double *chain_llc;     /* (chains) */
	double *trace;         /* (chains, draws) the draws' losses */
	/* A chain that reached a non-finite loss ends the estimate: */
	int failed_chain;      /* -1: none */
	int64_t failed_step;   /* its SGLD step */
	double failed_loss;
};

int llc_config_check(const struct llc_config *c, int64_t n_examples,
		     struct traj_error *err);

/* The generator seed of chain `chain` for the estimate named `key` (the
 * checkpoint's step): splitmix64 mixing in rng_seed does the rest. */
uint64_t llc_chain_seed(uint64_t seed, int64_t key, int chain);

/* Runs c->chains chains from w0 (n floats) on the targets, ntargets >= 1
 * of them with the same n and n_examples, each on its own thread (chain
 * i on target i % ntargets). res is allocated here (llc_result_free).
 * Returns 0, also when a chain diverged (res->failed_chain >= 0, the
 * other fields then unset); -1 with err on bad configuration or memory. */
int llc_estimate(const struct llc_config *c, struct llc_target *targets,
		 int ntargets, const float *w0, double init_loss, int64_t key,
		 struct llc_result *res, struct traj_error *err);
void llc_result_free(struct llc_result *res);

#endif
