#include "format/select.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void ckpt_select_init(struct ckpt_select *s)
{
	memset(s, 0, sizeof *s);
	s->hi = INT64_MAX;
}

static int parse_step(const char *p, const char *end, int64_t *out)
{
	if (p == end)
		return 1; /* empty: open end */
	char *stop;
	errno = 0;
	long long v = strtoll(p, &stop, 10);
	if (stop != end || errno || v < 0 || *p == '-' || *p == '+')
		return -1;
	*out = v;
	return 0;
}

int ckpt_select_parse_range(const char *arg, int64_t *lo, int64_t *hi)
{
	const char *colon = strchr(arg, ':');
	if (!colon)
		return -1;
	int64_t a = 0, b = INT64_MAX;
	if (parse_step(arg, colon, &a) < 0 ||
	    parse_step(colon + 1, colon + strlen(colon), &b) < 0 || a > b)
		return -1;
	*lo = a;
	*hi = b;
	return 0;
}

/* The k-th log-spaced target, 10^(k / N), as a step; target -1 stands for
 * step 0, which every run starts with. */
static double log_target(int64_t k, int per_decade)
{
	return k < 0 ? 0 : ceil(pow(10, (double)k / per_decade) - 1e-9);
}

static int log_wants(struct ckpt_select *s, int64_t step)
{
	if (s->log_index == 0 && s->log_target == 0)
		s->log_index = -1;
	if ((double)step < s->log_target)
		return 0;
	while (log_target(s->log_index, s->per_decade) <= (double)step)
		s->log_index++;
	s->log_target = log_target(s->log_index, s->per_decade);
	return 1;
}

int ckpt_select_wants(struct ckpt_select *s, int64_t step)
{
	if (ckpt_select_done(s) || step < s->lo || step > s->hi)
		return 0;
	if (s->every && step % s->every != 0)
		return 0;
	if (s->per_decade && !log_wants(s, step))
		return 0;
	s->kept++;
	return 1;
}

int ckpt_select_done(const struct ckpt_select *s)
{
	return s->first && s->kept > 0;
}
