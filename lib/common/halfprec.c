#include "common/halfprec.h"

#include <math.h>
#include <string.h>

static uint32_t bits_of(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return u;
}

static float float_of(uint32_t u)
{
	float x;
	memcpy(&x, &u, 4);
	return x;
}

uint16_t half_f32_to_bf16(float x)
{
	uint32_t u = bits_of(x);
	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
	/* Round to nearest even on the 16 bits dropped. */
	u += 0x7fffu + ((u >> 16) & 1);
	return (uint16_t)(u >> 16);
}

float half_bf16_to_f32(uint16_t h)
{
	return float_of((uint32_t)h << 16);
}

uint16_t half_f32_to_f16(float x)
{
	uint32_t u = bits_of(x);
	uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
	uint32_t a = u & 0x7fffffffu;
	if (a > 0x7f800000u)
		return sign | 0x7e00;                    /* NaN */
	if (a >= 0x477ff000u)                          /* rounds past 65504 */
		return sign | 0x7c00;
	if (a < 0x38800000u) {                         /* below 2^-14: subnormal */
		/* x * 2^24 rounded to an integer is the subnormal's mantissa;
		 * the float sum rounds to nearest even. */
		float f = float_of(a) + 0.5f;          /* 0.5 = 2^-1: ulp 2^-24 */
		return sign | (uint16_t)(bits_of(f) - bits_of(0.5f));
	}
	uint32_t mant_odd = (a >> 13) & 1;
	a += 0xc8000fffu + mant_odd;                   /* rebias 127 -> 15, round */
	return sign | (uint16_t)(a >> 13);
}

float half_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
	if (exp == 0x1f)
		return float_of(sign | 0x7f800000u | (mant << 13));
	if (exp == 0) /* zero or subnormal: mant * 2^-24 */
		return float_of(sign) + (sign ? -1.0f : 1.0f) * (float)mant * 0x1p-24f;
	return float_of(sign | ((exp + 112) << 23) | (mant << 13));
}

int dtype_is_float(enum traj_dtype d)
{
	return d == TRAJ_F32 || d == TRAJ_F64 || d == TRAJ_F16 || d == TRAJ_BF16;
}

double tensor_get_f64(const void *data, enum traj_dtype d, size_t i)
{
	const unsigned char *p = data;
	switch (d) {
	case TRAJ_F32: { float v; memcpy(&v, p + 4 * i, 4); return v; }
	case TRAJ_F64: { double v; memcpy(&v, p + 8 * i, 8); return v; }
	case TRAJ_F16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return half_f16_to_f32(v); }
	case TRAJ_BF16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return half_bf16_to_f32(v); }
	default: return NAN;
	}
}

void dtype_convert_f32(const float *in, size_t n, enum traj_dtype to, void *out)
{
	uint16_t *h = out;
	if (to == TRAJ_F32)
		memcpy(out, in, n * 4);
	else if (to == TRAJ_BF16)
		for (size_t i = 0; i < n; i++)
			h[i] = half_f32_to_bf16(in[i]);
	else
		for (size_t i = 0; i < n; i++)
			h[i] = half_f32_to_f16(in[i]);
}
