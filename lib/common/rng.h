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
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n), without modulo bias; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform float in [0, 1) with 24 random bits. */
float rng_uniform(struct rng *r);
/* Fisher-Yates shuffle of an int32 array. */
void rng_shuffle(struct rng *r, int32_t *a, int64_t n);
/* n standard normal floats (Box-Muller on pairs: each rng_next gives the
 * two 24-bit uniforms u1 = (top 24 bits + 1) / 2^24 in (0, 1] and u2 =
 * (next 24 bits) / 2^24, and the pair sqrt(-2 ln u1) (cos, sin)(2 pi u2),
 * in double, rounded to float; an odd n drops the last sine). */
void rng_normal_fill(struct rng *r, float *out, size_t n);

#endif
