/* In-context repetition: random tokens, then the same again; every
 * position predicts the next token (see task.h). */
#include <stdlib.h>

#include "task_impl.h"

#define REPEAT_MAX_LEN 2048  /* 2 * seq_len - 1 positions within n_ctx */
#define REPEAT_MAX_VOCAB 65536

void repeat_dims(const struct task_config *cfg, struct task_dims *d)
{
	d->n_inputs = 2 * cfg->seq_len - 1;
	d->vocab = cfg->vocab;
	d->n_classes = cfg->vocab;
	d->n_outputs = 2 * cfg->seq_len - 1;
}

/* vocab^seq_len, saturated above TASK_ENUM_MAX. */
static uint64_t space(const struct task_config *cfg)
{
	uint64_t total = 1;
	for (int i = 0; i < cfg->seq_len && total <= TASK_ENUM_MAX; i++)
		total *= (uint64_t)cfg->vocab;
	return total;
}

int repeat_validate(const struct task_config *cfg, const char *prefix,
		    struct traj_error *err)
{
	if (cfg->seq_len < 2 || cfg->seq_len > REPEAT_MAX_LEN)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sseq_len: %d outside 2..%d",
				 prefix, cfg->seq_len, REPEAT_MAX_LEN);
	if (cfg->vocab < 2 || cfg->vocab > REPEAT_MAX_VOCAB)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%svocab: %d outside 2..%d",
				 prefix, cfg->vocab, REPEAT_MAX_VOCAB);
	return task_check_counts(cfg, space(cfg), prefix, err);
}

/* Example e's first half: the base-vocab digits of ids[e] when the
 * space was enumerated, else fresh random tokens. */
static void fill(struct split *s, const uint64_t *ids, int enumerated,
		 const struct task_config *cfg, struct rng *r)
{
	int L = cfg->seq_len, T = 2 * L - 1;
	for (int64_t e = 0; e < s->n; e++) {
		int32_t *tok = s->tokens + e * T, *lab = s->labels + e * T;
		uint64_t id = enumerated ? ids[e] : 0;
		for (int i = 0; i < L; i++) {
			int32_t x = enumerated ? (int32_t)(id % (uint64_t)cfg->vocab)
					       : (int32_t)rng_below(r, (uint64_t)cfg->vocab);
			id /= (uint64_t)cfg->vocab;
			tok[i] = x;
			if (i + L < T)
				tok[i + L] = x;
			if (i > 0)
				lab[i - 1] = x;
			lab[i + L - 1] = x;
		}
	}
}

int repeat_build(const struct task_config *cfg, struct dataset *ds,
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
	if (dataset_alloc(cfg, ds, ntr, nte, err) < 0) {
		free(ids);
		return -1;
	}
	fill(&ds->train, ids, enumerated, cfg, &r);
	fill(&ds->test, ids ? ids + ntr : NULL, enumerated, cfg, &r);
	free(ids);
	return 0;
}
