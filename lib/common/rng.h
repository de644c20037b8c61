/* A small deterministic random generator (xoshiro256** seeded through
 * splitmix64). The same seed gives the same numbers on every platform,
 * which is what makes data splits and initialisations pure functions of
 * the seed. */
#ifndef TRAJ_RNG_H
#define TRAJ_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng { uint64_t s[4]; };

void rng_seed(struct rng *r, uint64_t seed);
/* Inline: the normal sampler makes one call per pair. */
static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s[3] << 45 | s[3] >> 19;
	return result;
}
/* Uniform in [0, n), without modulo bias; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform float in [0, 1) with 24 random bits. */
float rng_uniform(struct rng *r);
/* Fisher-Yates shuffle of an int32 array. */
void rng_shuffle(struct rng *r, int32_t *a, int64_t n);
/* n standard normal floats (Box-Muller on pairs: each rng_next gives the
 * two 24-bit uniforms u1 = (top 24 bits + 1) / 2^24 in (0, 1] and u2 =
 * (next 24 bits) / 2^24, and the pair sqrt(-2 ln u1) (cos, sin)(2 pi u2),
 * computed in float by polynomials, within about 4e-7 (1 + |z|) of the
 * transform in double (rng_normal.c); an odd n drops the last sine).
 * Filling in pieces of even length gives the same floats as one fill. */
void rng_normal_fill(struct rng *r, float *out, size_t n);

#endif
