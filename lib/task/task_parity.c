/* Sparse parity: the label is the parity of k of the `bits` input bits,
 * which k being drawn from the seed (see task.h). */
#include <stdio.h>

#include "task/task_impl.h"

#define PARITY_MAX_BITS 62
#define SEED_SUBSET 0x73756273ULL /* "subs": the subset apart from the data */

static void dims(const struct task_config *cfg, struct task_dims *d)
{
	d->n_inputs = cfg->bits + (cfg->eq_token ? 1 : 0);
	d->vocab = cfg->eq_token ? 3 : 2;
	d->n_classes = 2;
	d->n_outputs = 1;
}

static int validate(const struct task_config *cfg, const char *prefix,
		    struct traj_error *err)
{
	if (cfg->bits < 1 || cfg->bits > PARITY_MAX_BITS)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sbits: %d outside 1..%d",
				 prefix, cfg->bits, PARITY_MAX_BITS);
	if (cfg->k < 1 || cfg->k > cfg->bits)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sk: %d outside 1..%d (bits)",
				 prefix, cfg->k, cfg->bits);
	return task_check_counts(cfg, (uint64_t)1 << cfg->bits, prefix, err);
}

/* The mask of the k relevant bits. */
static uint64_t relevant_mask(const struct task_config *cfg)
{
	int32_t order[PARITY_MAX_BITS];
	struct rng r;
	rng_seed(&r, cfg->seed ^ SEED_SUBSET);
	for (int i = 0; i < cfg->bits; i++)
		order[i] = i;
	rng_shuffle(&r, order, cfg->bits);
	uint64_t mask = 0;
	for (int i = 0; i < cfg->k; i++)
		mask |= (uint64_t)1 << order[i];
	return mask;
}

static void fill(struct split *s, const uint64_t *ids,
		 const struct task_config *cfg)
{
	uint64_t mask = relevant_mask(cfg);
	int T = cfg->bits + (cfg->eq_token ? 1 : 0);
	for (int64_t e = 0; e < s->n; e++) {
		int32_t *tok = s->tokens + e * T;
		for (int i = 0; i < cfg->bits; i++)
			tok[i] = (int32_t)(ids[e] >> i & 1);
		if (cfg->eq_token)
			tok[cfg->bits] = 2;
		s->labels[e] = (int32_t)(__builtin_popcountll(ids[e] & mask) & 1);
	}
}

static int build(const struct task_config *cfg, struct dataset *ds,
		 struct traj_error *err)
{
	return task_build_sampled(cfg, ds, (uint64_t)1 << cfg->bits, fill, err);
}

static void defaults(struct task_config *cfg)
{
	if (!cfg->bits)
		cfg->bits = 20;
	if (!cfg->k)
		cfg->k = 3;
	if (!cfg->n_train)
		cfg->n_train = 2000;
	if (!cfg->n_test)
		cfg->n_test = 1000;
}

static void to_json(const struct task_config *cfg, cJSON *o)
{
	cJSON_AddNumberToObject(o, "bits", cfg->bits);
	cJSON_AddNumberToObject(o, "k", cfg->k);
}

static int from_json(const cJSON *json, struct task_config *cfg,
		     struct traj_error *err)
{
	return task_json_int(json, "bits", 1, 4096, &cfg->bits, err) < 0 ||
	       task_json_int(json, "k", 1, 4096, &cfg->k, err) < 0 ? -1 : 0;
}

static void run_id(const struct task_config *cfg, unsigned long long seed,
		   char *buf, size_t cap)
{
	snprintf(buf, cap, "parity-n%dk%d-s%llu", cfg->bits, cfg->k, seed);
}

/* The bits (tokens) and the parity (the label). */
static int variables(const struct task_config *cfg,
		     const struct task_examples *ex, const int *freqs,
		     int nfreq, task_variable_fn *add, void *ctx,
		     struct traj_error *err)
{
	(void)freqs;
	(void)nfreq;
	for (int i = 0; i <= cfg->bits; i++) {
		int label = i == cfg->bits;
		double *x = label ? task_variable_add(add, ctx, 2, err, "parity") :
			    task_variable_add(add, ctx, 2, err, "bit%d", i);
		if (!x)
			return -1;
		for (int64_t e = 0; e < ex->n; e++)
			x[e] = label ? ex->labels[e * ex->K]
				     : ex->tokens[e * ex->T + i];
	}
	return 0;
}

const struct task_family_ops task_parity_ops = {
	.eq_token = 1, .counted = 1, .defaults = defaults, .dims = dims,
	.validate = validate, .build = build, .to_json = to_json,
	.from_json = from_json, .run_id = run_id, .variables = variables,
};
