#ifndef TRAJ_TASK_LABEL_GROUPS_H
#define TRAJ_TASK_LABEL_GROUPS_H
/* Named groups of a split's labels, so that a score can be told per kind
 * of case: the copyable and the other positions of the repetition task,
 * the answer digits of addition by the carry chain that reaches them
 * (Nanda and Lieberum's analysis of addition, where each carry case has
 * its own phase change). A grouping puts every label (n, K) in exactly
 * one of its groups; a task may offer several groupings. */
#include <stdint.h>

#include "common/error.h"
#include "task/task.h"

#define TASK_GROUP_NAME 32
#define TASK_MAX_GROUPS 256  /* ids are bytes */

struct task_grouping {
	int ngroups;
	uint8_t *ids;                    /* (n, K) group of each label */
	char (*names)[TASK_GROUP_NAME];  /* metric infixes: "carry/1" */
	int64_t *count;                  /* labels in each group */
};

#define TASK_MAX_GROUPINGS 4

struct task_groupings {
	int n;
	struct task_grouping g[TASK_MAX_GROUPINGS];
};

/* The groupings of split s of a task (none, n = 0, for most families).
 * Errors: TRAJ_ENOMEM. */
int task_label_groupings(const struct task_config *cfg, const struct split *s,
			 struct task_groupings *out, struct traj_error *err);
void task_groupings_free(struct task_groupings *gs);

/* For the family files: appends a grouping of ngroups groups (ids and
 * counts zeroed, names empty) and returns it, or NULL (TRAJ_ENOMEM). */
struct task_grouping *task_grouping_add(struct task_groupings *gs,
					int64_t nlabels, int ngroups,
					struct traj_error *err);

#endif
