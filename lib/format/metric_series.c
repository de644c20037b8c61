#include "format/metric_series.h"

#include <stdlib.h>
#include <string.h>

#include "common/nameglob.h"
#include "format/metrics.h"

/* Series are found by (run, metric) through an open-addressing table of
 * indices into set->s, kept at most half full; it lives only while one
 * metric_series_read runs and is rebuilt by the next. */
struct index {
	size_t *slot;     /* index + 1; 0 is empty */
	size_t cap;       /* a power of two */
};

static uint64_t hash(const char *run, const char *metric)
{
	uint64_t h = 1469598103934665603u;
	for (const char *p = run; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	h = (h ^ '\t') * 1099511628211u;
	for (const char *p = metric; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	return h;
}

/* The slot that holds (run, metric) or the empty one where it belongs. */
static size_t *find(const struct metric_series_set *set, const struct index *ix,
		    const char *run, const char *metric)
{
	size_t i = hash(run, metric) & (ix->cap - 1);
	for (;; i = (i + 1) & (ix->cap - 1)) {
		size_t k = ix->slot[i];
		if (!k || (strcmp(set->s[k - 1].run, run) == 0 &&
			   strcmp(set->s[k - 1].metric, metric) == 0))
			return &ix->slot[i];
	}
}

static int index_grow(const struct metric_series_set *set, struct index *ix)
{
	struct index big = {calloc(ix->cap ? 2 * ix->cap : 64, sizeof(size_t)),
			    ix->cap ? 2 * ix->cap : 64};
	if (!big.slot)
		return -1;
	for (size_t k = 0; k < set->n; k++)
		*find(set, &big, set->s[k].run, set->s[k].metric) = k + 1;
	free(ix->slot);
	*ix = big;
	return 0;
}

static struct metric_series *series_for(struct metric_series_set *set,
					struct index *ix, const char *run,
					const char *metric)
{
	if (2 * (set->n + 1) > ix->cap && index_grow(set, ix) < 0)
		return NULL;
	size_t *slot = find(set, ix, run, metric);
	if (*slot)
		return &set->s[*slot - 1];
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 16;
		struct metric_series *s = realloc(set->s, cap * sizeof *s);
		if (!s)
			return NULL;
		set->s = s;
		set->cap = cap;
	}
	struct metric_series *s = &set->s[set->n];
	memset(s, 0, sizeof *s);
	s->run = strdup(run);
	s->metric = strdup(metric);
	if (!s->run || !s->metric) {
		free(s->run);
		free(s->metric);
		return NULL;
	}
	*slot = ++set->n;
	return s;
}

static int add_point(struct metric_series *s, int64_t step, double value)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct metric_point *p = realloc(s->pts, cap * sizeof *p);
		if (!p)
			return -1;
		s->pts = p;
		s->cap = cap;
	}
	s->pts[s->n++] = (struct metric_point){step, value};
	return 0;
}

int metric_series_read(struct metric_series_set *set, FILE *in,
		       const char *name, char *const *globs, int nglobs,
		       struct traj_error *err)
{
	struct index ix = {0};
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;
	if (index_grow(set, &ix) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	while (rc == 0 && getline(&line, &cap, in) != -1) {
		struct metric_line m;
		const char *why;
		lineno++;
		int kind = metric_parse(line, &m, &why);
		if (kind < 0) {
			rc = traj_fail(err, TRAJ_EDATA, -1, "%s: line %ld: %s",
				       name, lineno, why);
		} else if (kind > 0 && nameglob_match(globs, nglobs, m.metric)) {
			struct metric_series *s = series_for(set, &ix, m.run, m.metric);
			if (!s || add_point(s, m.step, m.value) < 0)
				rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		}
	}
	if (rc == 0 && ferror(in))
		rc = traj_fail(err, TRAJ_EFAIL, -1, "%s: read error at line %ld",
			       name, lineno + 1);
	free(line);
	free(ix.slot);
	return rc;
}

/* Stable merge sort of pts[0..n) by step, through tmp of n points. */
static void merge_sort(struct metric_point *pts, struct metric_point *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2, i = 0, j = h, k = 0;
	merge_sort(pts, tmp, h);
	merge_sort(pts + h, tmp, n - h);
	if (pts[h - 1].step <= pts[h].step)
		return;
	while (i < h && j < n)
		tmp[k++] = pts[j].step < pts[i].step ? pts[j++] : pts[i++];
	while (i < h)
		tmp[k++] = pts[i++];
	memcpy(pts, tmp, k * sizeof *pts);
}

int metric_series_sort(struct metric_series_set *set, struct traj_error *err)
{
	for (size_t k = 0; k < set->n; k++) {
		struct metric_series *s = &set->s[k];
		size_t i = 1;
		while (i < s->n && s->pts[i - 1].step <= s->pts[i].step)
			i++;
		if (i >= s->n)
			continue;
		struct metric_point *tmp = malloc(s->n * sizeof *tmp);
		if (!tmp)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		merge_sort(s->pts, tmp, s->n);
		free(tmp);
	}
	return 0;
}

size_t metric_series_runs(const struct metric_series_set *set)
{
	size_t runs = 0;
	for (size_t k = 0; k < set->n; k++) {
		size_t j = 0;
		while (j < k && strcmp(set->s[j].run, set->s[k].run) != 0)
			j++;
		runs += j == k;
	}
	return runs;
}

void metric_series_free(struct metric_series_set *set)
{
	for (size_t k = 0; k < set->n; k++) {
		free(set->s[k].run);
		free(set->s[k].metric);
		free(set->s[k].pts);
	}
	free(set->s);
	memset(set, 0, sizeof *set);
}
