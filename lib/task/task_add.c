/* n-digit addition as a sequence: "a + b = c", digits most significant
 * first, the answer predicted digit by digit (see task.h). */
#include <stdio.h>

#include "task/task_impl.h"

#define ADD_PLUS 10
#define ADD_EQUALS 11
#define ADD_MAX_DIGITS 9 /* 10^(2n) pairs must fit in 64 bits */

static void dims(const struct task_config *cfg, struct task_dims *d)
{
	int n = cfg->digits;
	d->n_inputs = 3 * n + 2; /* a, '+', b, '=', all answer digits but the last */
	d->vocab = 12;
	d->n_classes = 10;
	d->n_outputs = n + 1;
}

static uint64_t pow10u(int e)
{
	uint64_t r = 1;
	while (e-- > 0)
		r *= 10;
	return r;
}

static int validate(const struct task_config *cfg, const char *prefix,
		    struct traj_error *err)
{
	if (cfg->digits < 1 || cfg->digits > ADD_MAX_DIGITS)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sdigits: %d outside 1..%d",
				 prefix, cfg->digits, ADD_MAX_DIGITS);
	return task_check_counts(cfg, pow10u(2 * cfg->digits), prefix, err);
}

/* Writes the n digits of x, most significant first. */
static void put_digits(int32_t *out, uint64_t x, int n)
{
	for (int i = n - 1; i >= 0; i--, x /= 10)
		out[i] = (int32_t)(x % 10);
}

static void fill(struct split *s, const uint64_t *ids,
		 const struct task_config *cfg)
{
	int n = cfg->digits;
	uint64_t base = pow10u(n);
	int T = 3 * n + 2, K = n + 1;
	for (int64_t e = 0; e < s->n; e++) {
		uint64_t a = ids[e] / base, b = ids[e] % base;
		int32_t *tok = s->tokens + e * T, *lab = s->labels + e * K;
		put_digits(tok, a, n);
		tok[n] = ADD_PLUS;
		put_digits(tok + n + 1, b, n);
		tok[2 * n + 1] = ADD_EQUALS;
		put_digits(lab, a + b, n + 1);
		for (int i = 0; i < n; i++)
			tok[2 * n + 2 + i] = lab[i];
	}
}

static int build(const struct task_config *cfg, struct dataset *ds,
		 struct traj_error *err)
{
	return task_build_sampled(cfg, ds, pow10u(2 * cfg->digits), fill, err);
}

static void defaults(struct task_config *cfg)
{
	if (!cfg->digits)
		cfg->digits = 3;
	if (!cfg->n_train)
		cfg->n_train = 5000;
	if (!cfg->n_test)
		cfg->n_test = 1000;
}

static void to_json(const struct task_config *cfg, cJSON *o)
{
	cJSON_AddNumberToObject(o, "digits", cfg->digits);
}

static int from_json(const cJSON *json, struct task_config *cfg,
		     struct traj_error *err)
{
	return task_json_int(json, "digits", 1, 64, &cfg->digits, err);
}

static void run_id(const struct task_config *cfg, unsigned long long seed,
		   char *buf, size_t cap)
{
	snprintf(buf, cap, "add-d%d-s%llu", cfg->digits, seed);
}

/* The length of the carry chain reaching each answer digit: 0 when no
 * carry comes in, 1 when the digit below makes one (its digits sum to
 * 10 or more), L + 1 when the digit below sums to 9 and passes on a
 * chain of length L. Labels are most significant first, so label k is
 * position n - k from the units; the units digit never has a carry in. */
static void carry_chains(const int32_t *tok, int n, uint8_t *chain)
{
	chain[n] = 0;
	for (int k = n - 1; k >= 0; k--) {
		int below = tok[k] + tok[n + 1 + k]; /* digit k of a and b */
		chain[k] = below >= 10 ? 1
			   : below == 9 && chain[k + 1] ? chain[k + 1] + 1 : 0;
	}
}

/* "carry/L" over all answer digits, and "pos/K/carry/L" per digit, where
 * L is the length of the chain reaching the digit. */
static int label_groups(const struct task_config *cfg, const struct split *s,
			struct task_groupings *out, struct traj_error *err)
{
	int n = cfg->digits, K = n + 1, T = 3 * n + 2;
	struct task_grouping *all = task_grouping_add(out, s->n * K, n + 1, err);
	struct task_grouping *pos = all ? task_grouping_add(out, s->n * K,
							    K * (n + 1), err)
					: NULL;
	if (!pos)
		return -1;
	for (int c = 0; c <= n; c++) {
		snprintf(all->names[c], TASK_GROUP_NAME, "carry/%d", c);
		for (int k = 0; k < K; k++)
			snprintf(pos->names[k * (n + 1) + c], TASK_GROUP_NAME,
				 "pos/%d/carry/%d", k, c);
	}
	uint8_t chain[ADD_MAX_DIGITS + 1];
	for (int64_t e = 0; e < s->n; e++) {
		carry_chains(s->tokens + e * T, n, chain);
		for (int k = 0; k < K; k++) {
			int64_t i = e * K + k;
			all->ids[i] = chain[k];
			pos->ids[i] = (uint8_t)(k * (n + 1) + chain[k]);
			all->count[all->ids[i]]++;
			pos->count[pos->ids[i]]++;
		}
	}
	return 0;
}

/* Digit i (most significant first) of an operand is token i of a and
 * token n + 1 + i of b; the answer's digits are the labels. */
static int variables(const struct task_config *cfg,
		     const struct task_examples *ex, const int *freqs,
		     int nfreq, task_variable_fn *add, void *ctx,
		     struct traj_error *err)
{
	int n = cfg->digits;
	(void)freqs;
	(void)nfreq;
	for (int op = 0; op < 2; op++)
		for (int i = 0; i < n; i++) {
			double *x = task_variable_add(add, ctx, 10, err, "%c%d",
						      "ab"[op], i);
			if (!x)
				return -1;
			for (int64_t e = 0; e < ex->n; e++)
				x[e] = ex->tokens[e * ex->T + op * (n + 1) + i];
		}
	for (int i = 0; i <= n; i++) {
		double *x = task_variable_add(add, ctx, 10, err, "c%d", i);
		if (!x)
			return -1;
		for (int64_t e = 0; e < ex->n; e++)
			x[e] = ex->labels[e * ex->K + i];
	}
	for (int i = 0; i < n; i++) {
		double *x = task_variable_add(add, ctx, 2, err, "carry%d", i);
		if (!x)
			return -1;
		for (int64_t e = 0; e < ex->n; e++) {
			const int32_t *tok = ex->tokens + e * ex->T;
			int c = 0;
			for (int j = n - 1; j >= i; j--) /* least significant first */
				c = (tok[j] + tok[n + 1 + j] + c) >= 10;
			x[e] = c;
		}
	}
	return 0;
}

const struct task_family_ops task_add_ops = {
	.needs_transformer = 1, .counted = 1, .defaults = defaults,
	.dims = dims, .validate = validate, .build = build, .to_json = to_json,
	.from_json = from_json, .run_id = run_id, .label_groups = label_groups,
	.variables = variables,
};
