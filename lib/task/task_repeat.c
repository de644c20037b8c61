/* In-context repetition: random tokens, then the same again, optionally
 * at a random offset among random tokens; every position predicts the
 * next token (see task.h). */
#include <stdio.h>
#include <stdlib.h>

#include "task/task_impl.h"

#define REPEAT_MAX_LEN 2048  /* 2 * seq_len - 1 positions within n_ctx */
#define REPEAT_MAX_FILLER 4096
#define REPEAT_MAX_VOCAB 65536

/* Input positions: the 2 seq_len + filler tokens but the last. */
static int positions(const struct task_config *cfg)
{
	return 2 * cfg->seq_len - 1 + cfg->filler;
}

static void dims(const struct task_config *cfg, struct task_dims *d)
{
	d->n_inputs = positions(cfg);
	d->vocab = cfg->vocab;
	d->n_classes = cfg->vocab;
	d->n_outputs = positions(cfg);
}

/* vocab^seq_len, saturated above TASK_ENUM_MAX. */
static uint64_t space(const struct task_config *cfg)
{
	uint64_t total = 1;
	for (int i = 0; i < cfg->seq_len && total <= TASK_ENUM_MAX; i++)
		total *= (uint64_t)cfg->vocab;
	return total;
}

static int validate(const struct task_config *cfg, const char *prefix,
		    struct traj_error *err)
{
	if (cfg->seq_len < 2 || cfg->seq_len > REPEAT_MAX_LEN)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sseq_len: %d outside 2..%d",
				 prefix, cfg->seq_len, REPEAT_MAX_LEN);
	if (cfg->filler < 0 || cfg->filler > REPEAT_MAX_FILLER)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sfiller: %d outside 0..%d",
				 prefix, cfg->filler, REPEAT_MAX_FILLER);
	if (cfg->vocab < 2 || cfg->vocab > REPEAT_MAX_VOCAB)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%svocab: %d outside 2..%d",
				 prefix, cfg->vocab, REPEAT_MAX_VOCAB);
	return task_check_counts(cfg, space(cfg), prefix, err);
}

/* Token i of the sequence is input i (but the last) and the label of
 * position i - 1. */
static void put(int32_t *tok, int32_t *lab, int T, int i, int32_t x)
{
	if (i < T)
		tok[i] = x;
	if (i > 0)
		lab[i - 1] = x;
}

/* Example e's segment: the base-vocab digits of ids[e] when the space was
 * enumerated, else fresh random tokens; then, with filler, the prefix o
 * and gap g and the random filler tokens. Without filler the draws are
 * those of the first version, so older run headers give the same data. */
static void fill(struct split *s, const uint64_t *ids, int enumerated,
		 const struct task_config *cfg, struct rng *r)
{
	int L = cfg->seq_len, M = cfg->filler, T = positions(cfg);
	uint64_t V = (uint64_t)cfg->vocab;
	for (int64_t e = 0; e < s->n; e++) {
		int32_t *tok = s->tokens + e * T, *lab = s->labels + e * T;
		uint64_t id = enumerated ? ids[e] : 0;
		int32_t seg[REPEAT_MAX_LEN];
		for (int i = 0; i < L; i++, id /= V)
			seg[i] = (int32_t)(enumerated ? id % V : rng_below(r, V));
		int o = M ? (int)rng_below(r, (uint64_t)M + 1) : 0;
		int g = M ? (int)rng_below(r, (uint64_t)(M - o) + 1) : 0;
		int c = o + L + g;  /* where the second copy starts */
		for (int i = 0; i < L; i++) {
			put(tok, lab, T, o + i, seg[i]);
			put(tok, lab, T, c + i, seg[i]);
		}
		for (int i = 0; i <= T; i++)
			if (i < o || (i >= o + L && i < c) || i >= c + L)
				put(tok, lab, T, i, (int32_t)rng_below(r, V));
		for (int t = 0; t < T; t++)
			s->repeat[e * T + t] = t >= c && t <= c + L - 2;
	}
}

static int build(const struct task_config *cfg, struct dataset *ds,
		 struct traj_error *err)
{
	int64_t ntr = cfg->n_train, nte = cfg->n_test;
	uint64_t total = space(cfg);
	int enumerated = total <= TASK_ENUM_MAX;
	uint64_t *ids = enumerated ? malloc((size_t)(ntr + nte) * sizeof *ids) : NULL;
	struct rng r;
	rng_seed(&r, cfg->seed);
	if (enumerated && (!ids || task_draw_ids(&r, total, ntr + nte, ids) < 0)) {
		free(ids);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the data set");
	}
	if (task_dataset_alloc(cfg, ds, ntr, nte, err) < 0) {
		free(ids);
		return -1;
	}
	size_t K = (size_t)positions(cfg);
	ds->train.repeat = malloc((size_t)(ntr ? ntr : 1) * K);
	ds->test.repeat = malloc((size_t)(nte ? nte : 1) * K);
	if (!ds->train.repeat || !ds->test.repeat) {
		free(ids);
		task_dataset_free(ds);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the data set");
	}
	fill(&ds->train, ids, enumerated, cfg, &r);
	fill(&ds->test, ids ? ids + ntr : NULL, enumerated, cfg, &r);
	free(ids);
	return 0;
}

static void defaults(struct task_config *cfg)
{
	if (!cfg->seq_len)
		cfg->seq_len = 10;
	if (!cfg->vocab)
		cfg->vocab = 20;
	if (!cfg->n_train)
		cfg->n_train = 2000;
	if (!cfg->n_test)
		cfg->n_test = 1000;
}

static void to_json(const struct task_config *cfg, cJSON *o)
{
	cJSON_AddNumberToObject(o, "seq_len", cfg->seq_len);
	cJSON_AddNumberToObject(o, "vocab", cfg->vocab);
	if (cfg->filler) /* only then: older headers keep meaning */
		cJSON_AddNumberToObject(o, "filler", cfg->filler);
}

static int from_json(const cJSON *json, struct task_config *cfg,
		     struct traj_error *err)
{
	return task_json_int(json, "seq_len", 1, 4096, &cfg->seq_len, err) < 0 ||
	       task_json_int(json, "vocab", 1, 1 << 20, &cfg->vocab, err) < 0 ||
	       (cJSON_GetObjectItemCaseSensitive(json, "filler") &&
		task_json_int(json, "filler", 0, 4096, &cfg->filler,
			      err) < 0) ? -1 : 0;
}

static void run_id(const struct task_config *cfg, unsigned long long seed,
		   char *buf, size_t cap)
{
	if (cfg->filler)
		snprintf(buf, cap, "repeat-l%dv%df%d-s%llu", cfg->seq_len,
			 cfg->vocab, cfg->filler, seed);
	else
		snprintf(buf, cap, "repeat-l%dv%d-s%llu", cfg->seq_len,
			 cfg->vocab, seed);
}

/* "first" and "repeat": the labels that copying cannot and can predict
 * (the split's repeat mask). */
static int label_groups(const struct task_config *cfg, const struct split *s,
			struct task_groupings *out, struct traj_error *err)
{
	int64_t nl = s->n * positions(cfg);
	struct task_grouping *g = task_grouping_add(out, nl, 2, err);
	if (!g)
		return -1;
	snprintf(g->names[0], TASK_GROUP_NAME, "first");
	snprintf(g->names[1], TASK_GROUP_NAME, "repeat");
	for (int64_t i = 0; i < nl; i++) {
		g->ids[i] = s->repeat[i] != 0;
		g->count[g->ids[i]]++;
	}
	return 0;
}

const struct task_family_ops task_repeat_ops = {
	.needs_transformer = 1, .counted = 1, .defaults = defaults,
	.dims = dims, .validate = validate, .build = build, .to_json = to_json,
	.from_json = from_json, .run_id = run_id, .label_groups = label_groups,
};
