/* Which checkpoints a selection keeps (traj-snapshot --step, --steps,
 * --every, --log, --first, --last). Checkpoints are offered in stream
 * order; the criteria combine with AND. Decisions need no look-ahead,
 * except --last, which the caller implements by keeping the last kept
 * checkpoint until the end. */
#ifndef TRAJ_SELECT_H
#define TRAJ_SELECT_H

#include <stdint.h>

struct ckpt_select {
	int64_t lo, hi;        /* step range, inclusive; 0, INT64_MAX: all */
	int64_t every;         /* steps that are multiples of it; 0: all */
	int per_decade;        /* log-spaced: N per factor of ten; 0: off */
	int first;             /* only the first kept checkpoint */
	int last;              /* only the last (the caller's part) */
	double log_target;     /* state: the next log-spaced step wanted */
	int64_t log_index;
	int64_t kept;
};

void ckpt_select_init(struct ckpt_select *s);
/* "A:B", "A:" or ":B" (inclusive); returns -1 if malformed or A > B. */
int ckpt_select_parse_range(const char *arg, int64_t *lo, int64_t *hi);
/* Whether the checkpoint at `step` is kept; updates the state. */
int ckpt_select_wants(struct ckpt_select *s, int64_t step);
/* Nothing later can be kept (--first got its checkpoint): stop reading. */
int ckpt_select_done(const struct ckpt_select *s);

#endif
