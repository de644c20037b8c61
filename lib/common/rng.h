/* A small deterministic random generator (xoshiro256** seeded through
 * splitmix64). The same seed gives the same numbers on every platform,
 * which is what makes data splits and initialisations pure functions of
 * the seed. */
#ifndef TRAJ_RNG_H
#define TRAJ_RNG_H

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

#endif
