/* Shared by the task files (task.c and task_*.c); not part of the
 * library's interface. Each family provides dims, validate and build;
 * task.c dispatches on cfg->family. */
#ifndef TRAJ_TASK_IMPL_H
#define TRAJ_TASK_IMPL_H

#include "common/rng.h"
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

void task_modular_dims(const struct task_config *cfg, struct task_dims *d);
int task_modular_validate(const struct task_config *cfg, const char *prefix,
		     struct traj_error *err);
int task_modular_build(const struct task_config *cfg, struct dataset *ds,
		  struct traj_error *err);

void task_add_dims(const struct task_config *cfg, struct task_dims *d);
int task_add_validate(const struct task_config *cfg, const char *prefix,
		 struct traj_error *err);
int task_add_build(const struct task_config *cfg, struct dataset *ds,
	      struct traj_error *err);

void task_parity_dims(const struct task_config *cfg, struct task_dims *d);
int task_parity_validate(const struct task_config *cfg, const char *prefix,
		    struct traj_error *err);
int task_parity_build(const struct task_config *cfg, struct dataset *ds,
		 struct traj_error *err);

void task_repeat_dims(const struct task_config *cfg, struct task_dims *d);
int task_repeat_validate(const struct task_config *cfg, const char *prefix,
		    struct traj_error *err);
int task_repeat_build(const struct task_config *cfg, struct dataset *ds,
		 struct traj_error *err);

void task_fashion_dims(const struct task_config *cfg, struct task_dims *d);
int task_fashion_validate(const struct task_config *cfg, const char *prefix,
		     struct traj_error *err);
int task_fashion_build(const struct task_config *cfg, struct dataset *ds,
		  struct traj_error *err);

#endif
