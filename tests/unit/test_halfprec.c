/* f16 and bf16 conversions (common/halfprec.h): hand-computed values,
 * rounding ties to even, infinities and NaN, and every f16 value through
 * f32 and back. */
#include <math.h>

#include "common/halfprec.h"
#include "harness.h"

static void test_bf16(void)
{
	CHECK(half_f32_to_bf16(1.0f) == 0x3f80);
	CHECK(half_f32_to_bf16(-2.0f) == 0xc000);
	CHECK(half_f32_to_bf16(1.0f + 0x1p-8f) == 0x3f80);          /* tie: to even */
	CHECK(half_f32_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3f82);      /* tie: to even */
	CHECK(half_f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f) == 0x3f81);
	CHECK(half_f32_to_bf16(INFINITY) == 0x7f80);
	CHECK(isnan(half_bf16_to_f32(half_f32_to_bf16(NAN))));
	CHECK(half_bf16_to_f32(0x3fc0) == 1.5f);
}

static void test_f16(void)
{
	CHECK(half_f32_to_f16(1.0f) == 0x3c00);
	CHECK(half_f32_to_f16(-0.0f) == 0x8000);
	CHECK(half_f32_to_f16(65504.0f) == 0x7bff);
	CHECK(half_f32_to_f16(65519.0f) == 0x7bff);
	CHECK(half_f32_to_f16(65520.0f) == 0x7c00);                 /* rounds to inf */
	CHECK(half_f32_to_f16(0x1p-24f) == 0x0001);                 /* smallest subnormal */
	CHECK(half_f32_to_f16(0x1p-25f) == 0x0000);                 /* tie: to even 0 */
	CHECK(half_f32_to_f16(3 * 0x1p-25f) == 0x0002);             /* tie: to even 2 */
	CHECK(half_f32_to_f16(0x1p-14f) == 0x0400);                 /* smallest normal */
	CHECK(half_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00);          /* tie: to even */
	CHECK(half_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02);
	CHECK(half_f32_to_f16(0.1f) == 0x2e66);
	CHECK((half_f32_to_f16(NAN) & 0x7e00) == 0x7e00);
	/* every f16 value survives f16 -> f32 -> f16 */
	int bad = 0;
	for (uint32_t h = 0; h < 0x10000; h++) {
		float f = half_f16_to_f32((uint16_t)h);
		if (isnan(f))
			continue;
		bad += half_f32_to_f16(f) != h;
	}
	CHECK(bad == 0);
	CHECK(half_f16_to_f32(0x0001) == 0x1p-24f);
	CHECK(half_f16_to_f32(0x7bff) == 65504.0f);
	CHECK(tensor_get_f64((uint16_t[]){0x3c00, 0xc000}, TRAJ_F16, 1) == -2.0);
}

int main(void)
{
	RUN(test_bf16);
	RUN(test_f16);
	return harness_done();
}
