/* Causal multi-head attention on one batch of examples, the part between
 * the Q/K/V projections and W_O. Each example has T positions; queries are
 * taken at its last P positions (P <= T: a loss that reads only the last
 * positions needs no queries elsewhere), keys and values at all T.
 * Letters: n examples, H heads, E d_head. Layouts (TransformerLens):
 *   q, z     (n, P, H, E)
 *   k, v     (n, T, H, E)
 *   pattern  (n, H, P, T), query i sits at position T - P + i and attends
 *            to keys 0..T-P+i; masked entries are -inf as scores, 0 as
 *            probabilities.
 * Row maps: when `rows` is not NULL, rows->q[b * P + i] is the row of q
 * (and dq) that query i of example b reads, and rows->kv[b * T + j] the
 * row of k, v (and dk, dv) of its key j, instead of b * P + i and
 * b * T + j. A transformer's first block uses this to read queries, keys
 * and values straight from tables over (position, token) pairs. */
#ifndef TRAJ_ATTENTION_H
#define TRAJ_ATTENTION_H

#include <stdint.h>

#define ATTN_MAX_CTX 4096

struct attn_dims { int T, P, H, E; }; /* T <= ATTN_MAX_CTX */
struct attn_rows { const int32_t *q, *kv; };

/* Scaled scores q.k / sqrt(E) into `scores` (n, H, P, T). */
void attention_scores(const struct attn_dims *d, const struct attn_rows *rows,
		      int n, const float *q, const float *k, float *scores);
/* Softmax over the unmasked keys of every row, in place. */
void attention_softmax(const struct attn_dims *d, int n, float *scores);
/* z = pattern @ v per head. */
void attention_mix(const struct attn_dims *d, const struct attn_rows *rows,
		   int n, const float *pattern, const float *v, float *z);
/* From dz: adds d loss / d q, k, v into dq, dk and dv (the caller zeroes
 * them first). */
void attention_backward(const struct attn_dims *d,
			const struct attn_rows *rows, int n, const float *q,
			const float *k, const float *v, const float *pattern,
			const float *dz, float *dq, float *dk, float *dv);

#endif
