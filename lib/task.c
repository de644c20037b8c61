#include "task.h"

#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "rng.h"

#define MODP_MAX 4096 /* p^2 examples must stay a modest data set */

static const char *const op_task[NMODOPS] = {
	[MOD_ADD] = "modadd", [MOD_SUB] = "modsub", [MOD_MUL] = "modmul",
	[MOD_DIV] = "moddiv", [MOD_QUAD] = "modquad",
};

const char *task_names(void)
{
	return "modadd, modsub, modmul, moddiv, modquad";
}

int task_from_name(const char *name, struct task_config *cfg)
{
	for (int op = 0; op < NMODOPS; op++) {
		if (strcmp(name, op_task[op]) == 0) {
			memset(cfg->name, 0, sizeof cfg->name);
			strcpy(cfg->name, op_task[op]);
			cfg->op = (enum modop)op;
			return 0;
		}
	}
	return -1;
}

static int is_prime(int p)
{
	if (p < 2)
		return 0;
	for (int d = 2; d * d <= p; d++)
		if (p % d == 0)
			return 0;
	return 1;
}

int task_validate(const struct task_config *cfg, const char *prefix,
		  struct traj_error *err)
{
	if (cfg->p < 2 || cfg->p > MODP_MAX)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "%sp: %d outside 2..%d", prefix, cfg->p, MODP_MAX);
	if (cfg->op == MOD_DIV && !is_prime(cfg->p))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "%sp: division needs a prime modulus, %d is not prime",
				 prefix, cfg->p);
	if (!(cfg->frac > 0 && cfg->frac < 1))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "%sfrac: %g outside (0, 1)", prefix, cfg->frac);
	return 0;
}

cJSON *task_to_json(const struct task_config *cfg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", cfg->name);
	cJSON_AddNumberToObject(o, "p", cfg->p);
	cJSON_AddNumberToObject(o, "frac", cfg->frac);
	cJSON_AddNumberToObject(o, "seed", (double)cfg->seed);
	return o;
}

int task_from_json(const cJSON *json, struct task_config *cfg,
		   struct traj_error *err)
{
	const char *name;
	int64_t p, seed;
	if (!cJSON_IsObject(json))
		return traj_fail(err, TRAJ_EDATA, -1, "run.task: expected an object");
	if (json_get_string(json, "task", "name", &name, err) < 0)
		return -1;
	if (task_from_name(name, cfg) < 0)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "task.name: unknown task '%.64s'", name);
	if (json_get_int(json, "task", "p", 2, MODP_MAX, &p, err) < 0 ||
	    json_get_number(json, "task", "frac", 0, 1, &cfg->frac, err) < 0 ||
	    json_get_int(json, "task", "seed", 0, INT64_MAX, &seed, err) < 0)
		return -1;
	cfg->p = (int)p;
	cfg->seed = (uint64_t)seed;
	if (task_validate(cfg, "task.", err) < 0) {
		err->status = TRAJ_EDATA;
		return -1;
	}
	return 0;
}

static int64_t mod_pow(int64_t base, int64_t e, int64_t p)
{
	int64_t r = 1;
	base %= p;
	for (; e > 0; e >>= 1) {
		if (e & 1)
			r = r * base % p;
		base = base * base % p;
	}
	return r;
}

static int32_t mod_apply(enum modop op, int64_t a, int64_t b, int64_t p)
{
	switch (op) {
	case MOD_ADD: return (int32_t)((a + b) % p);
	case MOD_SUB: return (int32_t)(((a - b) % p + p) % p);
	case MOD_MUL: return (int32_t)(a * b % p);
	case MOD_DIV: return (int32_t)(a * mod_pow(b, p - 2, p) % p); /* Fermat */
	case MOD_QUAD: return (int32_t)((a * a + a * b + b * b) % p);
	default: return 0;
	}
}

static int split_alloc(struct split *s, int64_t n)
{
	s->n = n;
	s->tokens = malloc((size_t)(n ? n : 1) * 2 * sizeof *s->tokens);
	s->labels = malloc((size_t)(n ? n : 1) * sizeof *s->labels);
	return s->tokens && s->labels ? 0 : -1;
}

static void split_fill(struct split *s, const int32_t *order, int64_t first,
		       const struct task_config *cfg)
{
	int b_first = cfg->op == MOD_DIV;
	int64_t span = cfg->p - b_first;
	for (int64_t i = 0; i < s->n; i++) {
		int64_t k = order[first + i];
		int64_t a = k / span, b = k % span + b_first;
		s->tokens[2 * i] = (int32_t)a;
		s->tokens[2 * i + 1] = (int32_t)b;
		s->labels[i] = mod_apply(cfg->op, a, b, cfg->p);
	}
}

int dataset_build(const struct task_config *cfg, struct dataset *ds,
		  struct traj_error *err)
{
	memset(ds, 0, sizeof *ds);
	if (task_validate(cfg, "task.", err) < 0)
		return -1;
	int64_t span = cfg->p - (cfg->op == MOD_DIV);
	int64_t total = (int64_t)cfg->p * span;
	int64_t ntrain = (int64_t)(cfg->frac * (double)total + 0.5);
	if (ntrain < 1 || ntrain >= total)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "task.frac: %g leaves an empty split of %lld examples",
				 cfg->frac, (long long)total);
	int32_t *order = malloc((size_t)total * sizeof *order);
	if (!order || split_alloc(&ds->train, ntrain) < 0 ||
	    split_alloc(&ds->test, total - ntrain) < 0) {
		free(order);
		dataset_free(ds);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the data set");
	}
	for (int64_t i = 0; i < total; i++)
		order[i] = (int32_t)i;
	struct rng rng;
	rng_seed(&rng, cfg->seed);
	rng_shuffle(&rng, order, total);
	split_fill(&ds->train, order, 0, cfg);
	split_fill(&ds->test, order, ntrain, cfg);
	free(order);
	ds->n_inputs = 2;
	ds->vocab = cfg->p;
	ds->n_classes = cfg->p;
	return 0;
}

void dataset_free(struct dataset *ds)
{
	free(ds->train.tokens);
	free(ds->train.labels);
	free(ds->test.tokens);
	free(ds->test.labels);
	memset(ds, 0, sizeof *ds);
}

struct batch split_batch(const struct split *s)
{
	struct batch b = {.n = (int)s->n, .tokens = s->tokens, .labels = s->labels};
	return b;
}
