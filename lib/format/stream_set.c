/* Tensor sets: one checkpoint's tensors, findable by name, and the
 * window of earlier checkpoints that encodings refer to (see "Reference
 * window" in formats/traj-stream.md). Shared by the writer and the
 * reader. */
#include "format/stream_impl.h"

#include <stdlib.h>
#include <string.h>

void stream_set_clear(struct tensor_set *s)
{
	for (int i = 0; i < s->n; i++)
		tensor_free(&s->t[i]);
	s->n = 0;
	cJSON_Delete(s->header);
	s->header = NULL;
}

void stream_set_free(struct tensor_set *s)
{
	stream_set_clear(s);
	free(s->t);
	free(s->order);
	memset(s, 0, sizeof *s);
}

/* Room for n tensors, growing geometrically. */
int stream_set_reserve(struct tensor_set *s, int n)
{
	if (n <= s->cap)
		return 0;
	if (n < 2 * s->cap)
		n = 2 * s->cap;
	struct traj_tensor *t = realloc(s->t, (size_t)n * sizeof *t);
	if (!t)
		return -1;
	s->t = t;
	const struct traj_tensor **order =
		realloc(s->order, (size_t)n * sizeof *order);
	if (!order)
		return -1;
	s->order = order;
	s->cap = n;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct traj_tensor *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* Sorts the name index; returns a duplicated name, or NULL. */
const char *stream_set_index(struct tensor_set *s)
{
	for (int i = 0; i < s->n; i++)
		s->order[i] = &s->t[i];
	if (s->n > 1)
		qsort(s->order, (size_t)s->n, sizeof *s->order, by_name);
	for (int i = 1; i < s->n; i++)
		if (strcmp(s->order[i - 1]->name, s->order[i]->name) == 0)
			return s->order[i]->name;
	return NULL;
}

/* Tensors usually come in the same order every checkpoint, so position
 * `hint` is tried before the binary search. */
const struct traj_tensor *stream_set_find(const struct tensor_set *s,
				   const char *name, int hint)
{
	if (hint < s->n && strcmp(s->t[hint].name, name) == 0)
		return &s->t[hint];
	int lo = 0, hi = s->n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(s->order[mid]->name, name);
		if (c == 0)
			return s->order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int stream_set_same_layout(const struct traj_tensor *a, const struct traj_tensor *b)
{
	if (a->dtype != b->dtype || a->rank != b->rank)
		return 0;
	for (int i = 0; i < a->rank; i++)
		if (a->shape[i] != b->shape[i])
			return 0;
	return 1;
}

/* The reference for tensor t in set s: same name, dtype and shape. */
const void *stream_set_find_ref(const struct tensor_set *s,
		     const struct traj_tensor *t, int hint)
{
	const struct traj_tensor *r = stream_set_find(s, t->name, hint);
	return r && r->data && stream_set_same_layout(r, t) ? r->data : NULL;
}

/* Slides the reference window after a complete checkpoint: cur becomes
 * prev, prev becomes prev2, and cur reuses the old prev2's arrays. */
void stream_set_shift(struct tensor_set *cur, struct tensor_set *prev,
	       struct tensor_set *prev2)
{
	stream_set_clear(prev2);
	struct tensor_set spare = *prev2;
	*prev2 = *prev;
	*prev = *cur;
	*cur = spare;
}
