/* Shared by the task files (task.c and task_*.c); not part of the
 * library's interface. Each family provides a task_family_ops table;
 * task.c dispatches on cfg->family through it. */
#ifndef TRAJ_TASK_IMPL_H
#define TRAJ_TASK_IMPL_H

#include "common/rng.h"
#include "task/label_groups.h"
#include "task/task.h"

/* Spaces of at most this many examples are enumerated and shuffled, so
 * sampled splits never share an example. */
#define TASK_ENUM_MAX ((uint64_t)1 << 22)
/* Examples per split of the sampled tasks. */
#define TASK_MAX_EXAMPLES ((int64_t)1 << 24)

/* Allocates n rows of T tokens (if T), F features (if F), K labels. */
int task_split_alloc(struct split *s, int64_t n, int T, int F, int K);
/* Sets the dataset's shape from the task and allocates both splits;
 * TRAJ_ENOMEM on failure (the dataset is then freed). */
int task_dataset_alloc(const struct task_config *cfg, struct dataset *ds,
		  int64_t ntrain, int64_t ntest, struct traj_error *err);
/* n example ids from [0, total): distinct when total <= TASK_ENUM_MAX
 * (and then n <= total), else independent draws. -1 when out of memory. */
int task_draw_ids(struct rng *r, uint64_t total, int64_t n, uint64_t *ids);
/* Builds a sampled task: draws n_train + n_test ids from [0, total)
 * (task_draw_ids, seeded by cfg->seed), allocates the splits and lets
 * `fill` turn each split's ids into examples. */
typedef void task_fill_fn(struct split *s, const uint64_t *ids,
			  const struct task_config *cfg);
int task_build_sampled(const struct task_config *cfg, struct dataset *ds,
		       uint64_t total, task_fill_fn *fill,
		       struct traj_error *err);
/* Checks n_train and n_test against [1, TASK_MAX_EXAMPLES] and, for an
 * enumerable space, their sum against its size. */
int task_check_counts(const struct task_config *cfg, uint64_t total,
		      const char *prefix, struct traj_error *err);

/* A family, as task.c sees it: adding a task is one file defining one of
 * these and a line in task.c's tables. */
struct task_family_ops {
	int needs_transformer;  /* several labelled positions */
	int needs_mlp;          /* dense input */
	int eq_token;           /* a transformer reads it ending with '=' */
	int counted;            /* n_train and n_test are in its header */
	int residues;           /* inputs and answer are residues mod p */
	/* Gives its fields still 0 their defaults (task.h). */
	void (*defaults)(struct task_config *cfg);
	void (*dims)(const struct task_config *cfg, struct task_dims *d);
	int (*validate)(const struct task_config *cfg, const char *prefix,
			struct traj_error *err);
	int (*build)(const struct task_config *cfg, struct dataset *ds,
		     struct traj_error *err);
	/* Its own fields of the header's "task" object (n_train and n_test
	 * are task.c's, when counted), in the order they are written. */
	void (*to_json)(const struct task_config *cfg, cJSON *o);
	int (*from_json)(const cJSON *json, struct task_config *cfg,
			 struct traj_error *err);
	/* The default run id: the family's size parameters and the seed. */
	void (*run_id)(const struct task_config *cfg, unsigned long long seed,
		       char *buf, size_t cap);
	/* Optional: its groupings of a split's labels (label_groups.h),
	 * appended with task_grouping_add. */
	int (*label_groups)(const struct task_config *cfg,
			    const struct split *s, struct task_groupings *out,
			    struct traj_error *err);
	/* Its variables (task_variables), or NULL when it defines none. */
	int (*variables)(const struct task_config *cfg,
			 const struct task_examples *ex, const int *freqs,
			 int nfreq, task_variable_fn *add, void *ctx,
			 struct traj_error *err);
	/* Its corrupted inputs (task_corrupt_tokens), or NULL for none. */
	int (*corrupt)(const struct task_config *cfg, const struct split *s,
		       int n_inputs, int operand, uint64_t seed, int32_t **out,
		       struct traj_error *err);
};

/* The family's table, or NULL for a configuration not made by
 * task_from_name. */
const struct task_family_ops *task_family_of(const struct task_config *cfg);

extern const struct task_family_ops task_modular_ops, task_add_ops,
	task_parity_ops, task_repeat_ops, task_fashion_ops;

/* add(ctx, nclass, the formatted name): TRAJ_ENOMEM when it returns
 * NULL (task_variables' callback, for the families). */
double *task_variable_add(task_variable_fn *add, void *ctx, int nclass,
			  struct traj_error *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* An integer field of the "task" object, in [lo, hi]. */
int task_json_int(const cJSON *json, const char *key, int64_t lo, int64_t hi,
		  int *out, struct traj_error *err);

#endif
