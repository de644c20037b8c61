/* Which steps get a checkpoint: step 0, every `every` steps, `per_decade`
 * log-spaced steps per factor of ten, and always the last step. */
#ifndef TRAJ_SCHEDULE_H
#define TRAJ_SCHEDULE_H

#include <stdint.h>

struct ckpt_schedule {
	int64_t every;       /* 0: none */
	int64_t per_decade;  /* 0: none */
	int64_t last;        /* the final step */
};

int schedule_wants(const struct ckpt_schedule *s, int64_t step);

#endif
