/* Standard normals by Box-Muller, with the logarithm, sine and cosine
 * written out as float polynomials so that a block of pairs vectorises
 * (libm's logf and sincosf are calls, one pair at a time, and were 45% of
 * an SGLD step of the demo MLP).
 *
 * Accuracy, against the transform in double on the same 24-bit uniforms:
 * the radius sqrt(-2 ln u1) within 9.8e-8 relative and each of cos and
 * sin within 9.1e-8 absolute, over all 2^24 inputs of each; so a normal
 * is within 3e-7 times its radius of its value in double
 * (tests/unit/test_rng_normal.c checks this bound on a million draws, and
 * the distribution). The noise of a sampler needs far less; the point of
 * the bound is that the NumPy reference (bench/llc_reference.py), which
 * computes the transform in double, follows traj's chains to float
 * rounding. */
#include <stdint.h>

#include "common/rng.h"

#ifdef __SSE__
#include <xmmintrin.h>
#else
#include <math.h>
#endif

/* GCC vectorises at -O2 only loops that need no cost model. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

/* Pairs per block: the draws of a block are made first (xoshiro is a
 * serial chain), then the transform runs over the block's lanes. */
#define RNG_NORMAL_BLOCK 64

/* ln u for u = k / 2^24, k in 1..2^24 (so u is a normal float in
 * (0, 1]): u = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m from the
 * minimax polynomial of Cephes' logf on x = m - 1. */
static inline float log_unit(int32_t k)
{
	/* k as a float is exact; its exponent field minus 24 is u's. */
	union { float f; int32_t i; } v = { .f = (float)k };
	int32_t e = ((v.i >> 23) & 0xff) - 127 - 24;
	v.i = (v.i & 0x007fffff) | 0x3f800000;    /* m in [1, 2) */
	int32_t big = v.f > 1.41421356f;
	/* m / 2 for the upper half, exactly, by the exponent. */
	v.i -= big << 23;
	e += big;
	float x = v.f - 1.0f;
	float z = x * x;
	float y = 7.0376836292e-2f;
	y = y * x - 1.1514610310e-1f;
	y = y * x + 1.1676998740e-1f;
	y = y * x - 1.2420140846e-1f;
	y = y * x + 1.4249322787e-1f;
	y = y * x - 1.6668057665e-1f;
	y = y * x + 2.0000714765e-1f;
	y = y * x - 2.4999993993e-1f;
	y = y * x + 3.3333331174e-1f;
	y = y * x * z;
	float fe = (float)e;
	y += -2.12194440e-4f * fe;
	y += -0.5f * z;
	return x + y + 0.693359375f * fe;
}

/* (cos, sin)(2 pi j / 2^24) for j in 0..2^24-1: the angle reduced
 * exactly, in integers, to its nearest quarter turn q and a remainder in
 * [-pi/4, pi/4), where Cephes' sinf and cosf polynomials hold. */
static inline void sincos_turn(int32_t j, float *c_out, float *s_out)
{
	int32_t q = (j + (1 << 21)) >> 22;            /* 0..4 */
	float t = (float)(j - (q << 22)) * 3.745070283e-7f; /* 2 pi / 2^24 */
	float z = t * t;
	float s = ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z -
		   1.6666654611e-1f) * z * t + t;
	float c = ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z +
		   4.166664568298827e-2f) * z * z - 0.5f * z + 1.0f;
	/* A quarter turn maps (c, s) to (-s, c). */
	int32_t odd = q & 1;
	float cq = odd ? s : c, sq = odd ? c : s;
	float sign_c = (float)(1 - ((q + 1) & 2)); /* - for q = 1, 2 */
	float sign_s = (float)(1 - (q & 2));       /* - for q = 2, 3 */
	*c_out = sign_c * cq;
	*s_out = sign_s * sq;
}

/* x = sqrt(x) over a block. sqrtf's errno (which cannot arise: the
 * radii are >= 0) keeps GCC from vectorising it, and a per-function
 * -fno-math-errno is not honoured, hence the intrinsic. */
static void sqrt_block(float *x)
{
#ifdef __SSE__
	for (int k = 0; k < RNG_NORMAL_BLOCK; k += 4)
		_mm_storeu_ps(x + k, _mm_sqrt_ps(_mm_loadu_ps(x + k)));
#else
	for (int k = 0; k < RNG_NORMAL_BLOCK; k++)
		x[k] = sqrtf(x[k]);
#endif
}

/* Twice the lanes where the CPU has AVX2 (the same IEEE operations in
 * the same order, so the same floats; ISO C mode contracts no FMAs). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
void rng_normal_fill(struct rng *r, float *out, size_t n)
{
	int32_t k1[RNG_NORMAL_BLOCK], j2[RNG_NORMAL_BLOCK];
	float rad[RNG_NORMAL_BLOCK], zc[RNG_NORMAL_BLOCK], zs[RNG_NORMAL_BLOCK];
	for (size_t i0 = 0; i0 < n; i0 += 2 * RNG_NORMAL_BLOCK) {
		size_t pairs = (n - i0 + 1) / 2;
		if (pairs > RNG_NORMAL_BLOCK)
			pairs = RNG_NORMAL_BLOCK;
		for (size_t k = 0; k < pairs; k++) {
			uint64_t x = rng_next(r);
			k1[k] = (int32_t)(x >> 40) + 1;
			j2[k] = (int32_t)((x >> 16) & 0xffffff);
		}
		/* Whole blocks, so that the transform has no scalar tail: the
		 * lanes past a last block's pairs take u1 = 1 (radius 0) and
		 * are dropped. */
		for (size_t k = pairs; k < RNG_NORMAL_BLOCK; k++)
			k1[k] = 1, j2[k] = 0;
		for (int k = 0; k < RNG_NORMAL_BLOCK; k++) {
			rad[k] = -2.0f * log_unit(k1[k]);
			sincos_turn(j2[k], &zc[k], &zs[k]);
		}
		sqrt_block(rad);
		float *o = out + i0;
		if (i0 + 2 * RNG_NORMAL_BLOCK <= n) {
			for (int k = 0; k < RNG_NORMAL_BLOCK; k++) {
				o[2 * k] = rad[k] * zc[k];
				o[2 * k + 1] = rad[k] * zs[k];
			}
			continue;
		}
		for (size_t k = 0; k < pairs; k++) {
			o[2 * k] = rad[k] * zc[k];
			if (i0 + 2 * k + 1 < n)
				o[2 * k + 1] = rad[k] * zs[k];
		}
	}
}
