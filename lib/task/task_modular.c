/* Modular arithmetic: every pair (a, b), label op(a, b) mod p. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "task/task_impl.h"

#define MODP_MAX 4096 /* p^2 examples must stay a modest data set */

static int is_prime(int p)
{
	if (p < 2)
		return 0;
	for (int d = 2; d * d <= p; d++)
		if (p % d == 0)
			return 0;
	return 1;
}

static void dims(const struct task_config *cfg, struct task_dims *d)
{
	d->n_inputs = cfg->eq_token ? 3 : 2;
	d->vocab = cfg->p + (cfg->eq_token ? 1 : 0);
	d->n_classes = cfg->p;
	d->n_outputs = 1;
}

static int validate(const struct task_config *cfg, const char *prefix,
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
	/* here, not when building: a header's frac is data (task_from_json
	 * makes this TRAJ_EDATA), an option's a usage error */
	int64_t total = (int64_t)cfg->p * (cfg->p - (cfg->op == MOD_DIV));
	int64_t ntrain = (int64_t)(cfg->frac * (double)total + 0.5);
	if (ntrain < 1 || ntrain >= total)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "%sfrac: %g leaves an empty split of %lld examples",
				 prefix, cfg->frac, (long long)total);
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

static void split_fill(struct split *s, const int32_t *order, int64_t first,
		       const struct task_config *cfg)
{
	int b_first = cfg->op == MOD_DIV;
	int64_t span = cfg->p - b_first;
	int T = cfg->eq_token ? 3 : 2;
	for (int64_t i = 0; i < s->n; i++) {
		int64_t k = order[first + i];
		int64_t a = k / span, b = k % span + b_first;
		int32_t *tok = s->tokens + i * T;
		tok[0] = (int32_t)a;
		tok[1] = (int32_t)b;
		if (cfg->eq_token)
			tok[2] = (int32_t)cfg->p;
		s->labels[i] = mod_apply(cfg->op, a, b, cfg->p);
	}
}

static int build(const struct task_config *cfg, struct dataset *ds,
		 struct traj_error *err)
{
	int64_t span = cfg->p - (cfg->op == MOD_DIV);
	int64_t total = (int64_t)cfg->p * span;
	int64_t ntrain = (int64_t)(cfg->frac * (double)total + 0.5);
	int32_t *order = malloc((size_t)total * sizeof *order);
	if (!order)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the data set");
	if (task_dataset_alloc(cfg, ds, ntrain, total - ntrain, err) < 0) {
		free(order);
		return -1;
	}
	for (int64_t i = 0; i < total; i++)
		order[i] = (int32_t)i;
	struct rng rng;
	rng_seed(&rng, cfg->seed);
	rng_shuffle(&rng, order, total);
	split_fill(&ds->train, order, 0, cfg);
	split_fill(&ds->test, order, ntrain, cfg);
	free(order);
	return 0;
}

static void defaults(struct task_config *cfg)
{
	(void)cfg; /* p and frac come from the options */
}

static void to_json(const struct task_config *cfg, cJSON *o)
{
	cJSON_AddNumberToObject(o, "p", cfg->p);
	cJSON_AddNumberToObject(o, "frac", cfg->frac);
}

static int from_json(const cJSON *json, struct task_config *cfg,
		     struct traj_error *err)
{
	return task_json_int(json, "p", 2, 4096, &cfg->p, err) < 0 ||
	       json_get_number(json, "task", "frac", 0, 1, &cfg->frac,
			       err) < 0 ? -1 : 0;
}

/* TASK-pP-sSEED, the run id since the first version. */
static void run_id(const struct task_config *cfg, unsigned long long seed,
		   char *buf, size_t cap)
{
	snprintf(buf, cap, "%s-p%d-s%llu", cfg->name, cfg->p, seed);
}

static const char *const var_names[3] = { "a", "b", "answer" };

/* Variable v of example e: a, b (tokens 0 and 1) or the answer. */
static int var_of(const struct task_examples *ex, int64_t e, int v)
{
	return v < 2 ? ex->tokens[e * ex->T + v] : ex->labels[e * ex->K];
}

/* a, b, answer, then the cos and sin of each at every frequency. */
static int variables(const struct task_config *cfg,
		     const struct task_examples *ex, const int *freqs,
		     int nfreq, task_variable_fn *add, void *ctx,
		     struct traj_error *err)
{
	int p = cfg->p, kmax = (p - 1) / 2;
	for (int i = 0; i < nfreq; i++)
		if (freqs[i] < 1 || freqs[i] > kmax)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "--freq: %d outside 1..%d ((p - 1) / 2 for p = %d)",
					 freqs[i], kmax, p);
	for (int v = 0; v < 3; v++) {
		double *x = task_variable_add(add, ctx, p, err, "%s",
					      var_names[v]);
		if (!x)
			return -1;
		for (int64_t e = 0; e < ex->n; e++)
			x[e] = var_of(ex, e, v);
	}
	int nk = nfreq ? nfreq : kmax;
	for (int v = 0; v < 3; v++)
		for (int i = 0; i < nk; i++) {
			int k = nfreq ? freqs[i] : i + 1;
			double *c = task_variable_add(add, ctx, 0, err, "%s_cos%d",
						      var_names[v], k);
			double *s = c ? task_variable_add(add, ctx, 0, err,
							  "%s_sin%d",
							  var_names[v], k) :
				    NULL;
			if (!s)
				return -1;
			for (int64_t e = 0; e < ex->n; e++) {
				/* k x mod p first: the angle stays in [0, 2 pi) */
				double w = 2 * M_PI * (double)((int64_t)k * var_of(ex, e, v) % p) / p;
				c[e] = cos(w);
				s[e] = sin(w);
			}
		}
	return 0;
}

/* Operand `operand` of every example moved by a random nonzero shift. */
static int corrupt(const struct task_config *cfg, const struct split *s,
		   int n_inputs, int operand, uint64_t seed, int32_t **out,
		   struct traj_error *err)
{
	size_t count = (size_t)s->n * n_inputs;
	int32_t *t = malloc((count ? count : 1) * sizeof *t);
	if (!t)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	memcpy(t, s->tokens, count * sizeof *t);
	struct rng r;
	rng_seed(&r, seed);
	int p = cfg->p;
	/* b = 0 has no inverse: division draws among 1..p-1 */
	int lo = operand == 1 && cfg->op == MOD_DIV ? 1 : 0;
	for (int64_t e = 0; e < s->n; e++) {
		int32_t *v = t + (size_t)e * n_inputs + operand;
		int span = p - lo; /* values to choose from, one of them *v */
		int shift = 1 + (int)rng_below(&r, (uint64_t)(span - 1));
		*v = lo + (*v - lo + shift) % span;
	}
	*out = t;
	return 0;
}

const struct task_family_ops task_modular_ops = {
	.eq_token = 1, .residues = 1, .defaults = defaults, .dims = dims, .validate = validate,
	.build = build, .to_json = to_json, .from_json = from_json,
	.run_id = run_id, .variables = variables, .corrupt = corrupt,
};
