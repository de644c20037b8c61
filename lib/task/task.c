/* The task family's common parts: names, the table of families,
 * configuration (JSON, checks), shapes, allocation and sampling helpers;
 * the families themselves are in task_modular.c, task_add.c,
 * task_parity.c, task_repeat.c and task_fashion.c, each behind a
 * task_family_ops (task_impl.h). */
#include "task/task.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "task/task_impl.h"

static const struct {
	const char *name;
	enum task_family family;
	enum modop op;
} tasks[] = {
	{ "modadd", TASK_MODULAR, MOD_ADD }, { "modsub", TASK_MODULAR, MOD_SUB },
	{ "modmul", TASK_MODULAR, MOD_MUL }, { "moddiv", TASK_MODULAR, MOD_DIV },
	{ "modquad", TASK_MODULAR, MOD_QUAD }, { "add", TASK_ADD, MOD_ADD },
	{ "parity", TASK_PARITY, MOD_ADD }, { "repeat", TASK_REPEAT, MOD_ADD },
	{ "fashion", TASK_FASHION, MOD_ADD },
};
#define NTASKS (sizeof tasks / sizeof tasks[0])

static const struct task_family_ops *const families[] = {
	[TASK_MODULAR] = &task_modular_ops, [TASK_ADD] = &task_add_ops,
	[TASK_PARITY] = &task_parity_ops, [TASK_REPEAT] = &task_repeat_ops,
	[TASK_FASHION] = &task_fashion_ops,
};
#define NFAMILIES (sizeof families / sizeof families[0])

/* NULL for a family outside the table: a configuration not made by
 * task_from_name. */
const struct task_family_ops *task_family_of(const struct task_config *cfg)
{
	return (unsigned)cfg->family < NFAMILIES ? families[cfg->family] : NULL;
}

const char *task_names(void)
{
	return "modadd, modsub, modmul, moddiv, modquad, add, parity, repeat, "
	       "fashion";
}

int task_from_name(const char *name, struct task_config *cfg)
{
	for (size_t i = 0; i < NTASKS; i++) {
		if (strcmp(name, tasks[i].name) == 0) {
			memset(cfg->name, 0, sizeof cfg->name);
			strcpy(cfg->name, tasks[i].name);
			cfg->family = tasks[i].family;
			cfg->op = tasks[i].op;
			cfg->eq_token = 0; /* set by the model's needs, later */
			return 0;
		}
	}
	return -1;
}

void task_fill_defaults(struct task_config *cfg)
{
	if (task_family_of(cfg))
		task_family_of(cfg)->defaults(cfg);
}

int task_needs_transformer(const struct task_config *cfg)
{
	return task_family_of(cfg) && task_family_of(cfg)->needs_transformer;
}

int task_needs_mlp(const struct task_config *cfg)
{
	return task_family_of(cfg) && task_family_of(cfg)->needs_mlp;
}

int task_takes_eq_token(const struct task_config *cfg)
{
	return task_family_of(cfg) && task_family_of(cfg)->eq_token;
}

int task_modulus(const struct task_config *cfg)
{
	return task_family_of(cfg) && task_family_of(cfg)->residues ? cfg->p : 0;
}

void task_default_run_id(const struct task_config *cfg, uint64_t seed,
			 char *buf, size_t cap)
{
	if (task_family_of(cfg))
		task_family_of(cfg)->run_id(cfg, (unsigned long long)seed, buf, cap);
}

int task_validate(const struct task_config *cfg, const char *prefix,
		  struct traj_error *err)
{
	if (!task_family_of(cfg))
		return traj_fail(err, TRAJ_EINTERNAL, -1, "task: unknown family");
	if (cfg->n_val && cfg->family != TASK_FASHION)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sn_val: only fashion has "
				 "a validation split", prefix);
	return task_family_of(cfg)->validate(cfg, prefix, err);
}

void task_dims(const struct task_config *cfg, struct task_dims *dims)
{
	if (task_family_of(cfg))
		task_family_of(cfg)->dims(cfg, dims);
}

/* Only the family's own fields, so that the header of a modular run
 * reads exactly as before the other tasks existed. */
cJSON *task_to_json(const struct task_config *cfg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", cfg->name);
	if (task_family_of(cfg))
		task_family_of(cfg)->to_json(cfg, o);
	if (task_family_of(cfg) && task_family_of(cfg)->counted) {
		cJSON_AddNumberToObject(o, "n_train", (double)cfg->n_train);
		cJSON_AddNumberToObject(o, "n_test", (double)cfg->n_test);
	}
	cJSON_AddNumberToObject(o, "seed", (double)cfg->seed);
	if (cfg->eq_token) /* only then: older readers see older headers */
		cJSON_AddBoolToObject(o, "eq_token", 1);
	return o;
}

int task_variables(const struct task_config *cfg,
		   const struct task_examples *ex, const int *freqs,
		   int nfreq, task_variable_fn *add, void *ctx,
		   struct traj_error *err)
{
	const struct task_family_ops *f = task_family_of(cfg);
	if (!f || !f->variables)
		return traj_fail(err, TRAJ_EUSAGE, -1, "task %s defines no "
				 "probe targets; give --labels FILE", cfg->name);
	return f->variables(cfg, ex, freqs, nfreq, add, ctx, err);
}

int task_corrupt_tokens(const struct task_config *cfg, const struct split *s,
			int n_inputs, int operand, uint64_t seed,
			int32_t **out, struct traj_error *err)
{
	const struct task_family_ops *f = task_family_of(cfg);
	if (!f || !f->corrupt)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "task '%s' defines no corruption "
				 "(modular arithmetic does: a, b)", cfg->name);
	return f->corrupt(cfg, s, n_inputs, operand, seed, out, err);
}

double *task_variable_add(task_variable_fn *add, void *ctx, int nclass,
			  struct traj_error *err, const char *fmt, ...)
{
	char name[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	double *v = add(ctx, nclass, name);
	if (!v)
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	return v;
}

int task_json_int(const cJSON *json, const char *key, int64_t lo, int64_t hi,
		  int *out, struct traj_error *err)
{
	int64_t v;
	if (json_get_int(json, "task", key, lo, hi, &v, err) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

int task_from_json(const cJSON *json, struct task_config *cfg,
		   struct traj_error *err)
{
	const char *name;
	int64_t seed;
	memset(cfg, 0, sizeof *cfg);
	if (!cJSON_IsObject(json))
		return traj_fail(err, TRAJ_EDATA, -1, "run.task: expected an object");
	if (json_get_string(json, "task", "name", &name, err) < 0)
		return -1;
	if (task_from_name(name, cfg) < 0)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "task.name: unknown task '%.64s'", name);
	if (task_family_of(cfg)->from_json(json, cfg, err) < 0 ||
	    json_get_int(json, "task", "seed", 0, INT64_MAX, &seed, err) < 0)
		return -1;
	cfg->seed = (uint64_t)seed;
	if (task_family_of(cfg)->counted &&
	    (json_get_int(json, "task", "n_train", 0, TASK_MAX_EXAMPLES,
			  &cfg->n_train, err) < 0 ||
	     json_get_int(json, "task", "n_test", 0, TASK_MAX_EXAMPLES,
			  &cfg->n_test, err) < 0))
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(json, "eq_token") &&
	    json_get_bool(json, "task", "eq_token", &cfg->eq_token, err) < 0)
		return -1;
	if (task_validate(cfg, "task.", err) < 0) {
		err->status = TRAJ_EDATA;
		return -1;
	}
	return 0;
}

int task_split_alloc(struct split *s, int64_t n, int T, int F, int K)
{
	size_t rows = (size_t)(n ? n : 1);
	s->n = n;
	if (T)
		s->tokens = malloc(rows * (size_t)T * sizeof *s->tokens);
	if (F)
		s->features = malloc(rows * (size_t)F * sizeof *s->features);
	s->labels = malloc(rows * (size_t)K * sizeof *s->labels);
	return (!T || s->tokens) && (!F || s->features) && s->labels ? 0 : -1;
}

int task_dataset_alloc(const struct task_config *cfg, struct dataset *ds,
		  int64_t ntrain, int64_t ntest, struct traj_error *err)
{
	struct task_dims d;
	task_dims(cfg, &d);
	ds->n_inputs = d.n_inputs;
	ds->vocab = d.vocab;
	ds->n_classes = d.n_classes;
	ds->n_outputs = d.n_outputs;
	int T = d.vocab ? d.n_inputs : 0, F = d.vocab ? 0 : d.n_inputs;
	if (task_split_alloc(&ds->train, ntrain, T, F, d.n_outputs) < 0 ||
	    task_split_alloc(&ds->test, ntest, T, F, d.n_outputs) < 0) {
		task_dataset_free(ds);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the data set");
	}
	return 0;
}

int task_draw_ids(struct rng *r, uint64_t total, int64_t n, uint64_t *ids)
{
	if (total > TASK_ENUM_MAX) {
		for (int64_t i = 0; i < n; i++)
			ids[i] = rng_below(r, total);
		return 0;
	}
	uint32_t *perm = malloc((size_t)total * sizeof *perm);
	if (!perm)
		return -1;
	for (uint64_t i = 0; i < total; i++)
		perm[i] = (uint32_t)i;
	for (int64_t i = 0; i < n; i++) { /* the first n of a Fisher-Yates */
		uint64_t j = (uint64_t)i + rng_below(r, total - (uint64_t)i);
		uint32_t tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
		ids[i] = perm[i];
	}
	free(perm);
	return 0;
}

int task_build_sampled(const struct task_config *cfg, struct dataset *ds,
		       uint64_t total, task_fill_fn *fill,
		       struct traj_error *err)
{
	int64_t ntr = cfg->n_train, nte = cfg->n_test;
	uint64_t *ids = malloc((size_t)(ntr + nte) * sizeof *ids);
	struct rng r;
	rng_seed(&r, cfg->seed);
	if (!ids || task_draw_ids(&r, total, ntr + nte, ids) < 0) {
		free(ids);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the data set");
	}
	if (task_dataset_alloc(cfg, ds, ntr, nte, err) < 0) {
		free(ids);
		return -1;
	}
	fill(&ds->train, ids, cfg);
	fill(&ds->test, ids + ntr, cfg);
	free(ids);
	return 0;
}

int task_check_counts(const struct task_config *cfg, uint64_t total,
		      const char *prefix, struct traj_error *err)
{
	if (cfg->n_train < 1 || cfg->n_train > TASK_MAX_EXAMPLES)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sn_train: %lld outside 1..%lld",
				 prefix, (long long)cfg->n_train,
				 (long long)TASK_MAX_EXAMPLES);
	if (cfg->n_test < 1 || cfg->n_test > TASK_MAX_EXAMPLES)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sn_test: %lld outside 1..%lld",
				 prefix, (long long)cfg->n_test,
				 (long long)TASK_MAX_EXAMPLES);
	if (total <= TASK_ENUM_MAX &&
	    (uint64_t)(cfg->n_train + cfg->n_test) > total)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "%sn_train: %lld + %lld examples, but the task has "
				 "only %llu distinct ones", prefix,
				 (long long)cfg->n_train, (long long)cfg->n_test,
				 (unsigned long long)total);
	return 0;
}

int task_dataset_build(const struct task_config *cfg, struct dataset *ds,
		  struct traj_error *err)
{
	memset(ds, 0, sizeof *ds);
	if (task_validate(cfg, "task.", err) < 0)
		return -1;
	return task_family_of(cfg)->build(cfg, ds, err);
}

void task_dataset_free(struct dataset *ds)
{
	struct split *splits[3] = { &ds->train, &ds->test, &ds->val };
	for (int i = 0; i < 3; i++) {
		free(splits[i]->tokens);
		free(splits[i]->features);
		free(splits[i]->labels);
		free(splits[i]->repeat);
	}
	memset(ds, 0, sizeof *ds);
}

struct batch task_split_batch(const struct split *s)
{
	struct batch b = {.n = (int)s->n, .tokens = s->tokens,
			  .features = s->features, .labels = s->labels};
	return b;
}
