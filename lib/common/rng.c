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

void rng_normal_fill(struct rng *r, float *out, size_t n)
{
	const double two_pi = 6.283185307179586;
	for (size_t i = 0; i < n; i += 2) {
		uint64_t x = rng_next(r);
		double u1 = (double)((x >> 40) + 1) * (1.0 / 16777216.0);
		double u2 = (double)((x >> 16) & 0xffffff) * (1.0 / 16777216.0);
		double rad = sqrt(-2.0 * log(u1));
		out[i] = (float)(rad * cos(two_pi * u2));
		if (i + 1 < n)
			out[i + 1] = (float)(rad * sin(two_pi * u2));
	}
}
