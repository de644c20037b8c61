#include "analysis/steepest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void steepest_init(struct steepest *s)
{
	memset(s, 0, sizeof *s);
}

void steepest_free(struct steepest *s)
{
	free(s->ring);
	steepest_init(s);
}

static double log_step(int64_t step)
{
	return log10(step > 1 ? (double)step : 1.0);
}

static struct steep_point *at(const struct steepest *s, int i)
{
	return &s->ring[(s->head + i) % s->cap];
}

static int push(struct steepest *s, int64_t step, double value)
{
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 16;
		struct steep_point *ring = malloc((size_t)cap * sizeof *ring);
		if (!ring)
			return -1;
		for (int i = 0; i < s->n; i++)
			ring[i] = *at(s, i);
		free(s->ring);
		s->ring = ring;
		s->cap = cap;
		s->head = 0;
	}
	*at(s, s->n) = (struct steep_point){step, value};
	s->n++;
	return 0;
}

/* The first point of the window at or past the half-way value: where the
 * transition is, rather than where the window happens to begin or end. */
static int64_t halfway(const struct steepest *s)
{
	double mid = (s->before + s->after) / 2;
	int rising = s->after > s->before;
	for (int i = 0; i < s->n; i++) {
		double v = at(s, i)->value;
		if (rising ? v >= mid : v <= mid)
			return at(s, i)->step;
	}
	return s->to;
}

int steepest_add(struct steepest *s, double window, int64_t step, double value)
{
	if (!isfinite(value))
		return 0;
	double l = log_step(step);
	while (s->n > 0 && l - log_step(at(s, 0)->step) > window) {
		s->head = (s->head + 1) % s->cap;
		s->n--;
	}
	if (push(s, step, value) < 0)
		return -1;
	const struct steep_point *first = at(s, 0);
	double delta = value - first->value;
	if (s->n > 1 && (!s->have || fabs(delta) > fabs(s->after - s->before))) {
		s->have = 1;
		s->from = first->step;
		s->to = step;
		s->before = first->value;
		s->after = value;
		s->mid = halfway(s);
	}
	return 0;
}
