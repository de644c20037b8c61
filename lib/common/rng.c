#include <math.h>

#include "common/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	/* Rejects the top partial block so every residue is equally likely. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = rng_next(r);
	while (x >= limit);
	return x % n;
}

float rng_uniform(struct rng *r)
{
	return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

void rng_shuffle(struct rng *r, int32_t *a, int64_t n)
{
	for (int64_t i = n - 1; i > 0; i--) {
		int64_t j = (int64_t)rng_below(r, (uint64_t)i + 1);
		int32_t tmp = a[i];
		a[i] = a[j];
		a[j] = tmp;
	}
}

/* Pairs per block of rng_normal_fill. */
#define RNG_NORMAL_BLOCK 64

void rng_normal_fill(struct rng *r, float *out, size_t n)
{
	/* In float: the sampler's noise needs no more, and double log, sin
	 * and cos cost half of an SGLD step of the demo MLP. By blocks: the
	 * draws, then the logs, then the sines and cosines, so that the
	 * library calls of a block do not wait on one another (about 15%
	 * faster than pair by pair, the same floats). */
	float rad[RNG_NORMAL_BLOCK], th[RNG_NORMAL_BLOCK];
	for (size_t i0 = 0; i0 < n; i0 += 2 * RNG_NORMAL_BLOCK) {
		size_t pairs = (n - i0 + 1) / 2;
		if (pairs > RNG_NORMAL_BLOCK)
			pairs = RNG_NORMAL_BLOCK;
		for (size_t k = 0; k < pairs; k++) {
			uint64_t x = rng_next(r);
			float u2 = (float)((x >> 16) & 0xffffff) * (1.0f / 16777216.0f);
			rad[k] = (float)((x >> 40) + 1) * (1.0f / 16777216.0f);
			th[k] = 6.28318531f * u2;
		}
		for (size_t k = 0; k < pairs; k++)
			rad[k] = sqrtf(-2.0f * logf(rad[k]));
		for (size_t k = 0; k < pairs; k++) {
			size_t i = i0 + 2 * k;
			out[i] = rad[k] * cosf(th[k]);
			if (i + 1 < n)
				out[i + 1] = rad[k] * sinf(th[k]);
		}
	}
}
