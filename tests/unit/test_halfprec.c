/* traj-snapshot's library parts: f16/bf16 conversion (hand-computed
 * values, every f16 round trip), checkpoint selection, atomic files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/halfprec.h"
#include "harness.h"
#include "format/select.h"

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

static int kept(struct ckpt_select *s, const int64_t *steps, int n, int64_t *out)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		if (ckpt_select_wants(s, steps[i]))
			out[k++] = steps[i];
	return k;
}

static void test_select(void)
{
	int64_t steps[] = {0, 1, 2, 3, 5, 8, 10, 20, 30, 50, 100, 200, 1000};
	int n = (int)(sizeof steps / sizeof steps[0]);
	int64_t out[16], lo, hi;
	struct ckpt_select s;
	ckpt_select_init(&s);
	s.per_decade = 1;
	CHECK(kept(&s, steps, n, out) == 5);
	CHECK(out[0] == 0 && out[1] == 1 && out[2] == 10 && out[3] == 100 && out[4] == 1000);
	ckpt_select_init(&s);
	s.every = 10;
	CHECK(ckpt_select_parse_range("5:100", &s.lo, &s.hi) == 0);
	CHECK(kept(&s, steps, n, out) == 5 && out[0] == 10 && out[4] == 100);
	ckpt_select_init(&s);
	s.first = 1;
	s.lo = 4;
	CHECK(kept(&s, steps, n, out) == 1 && out[0] == 5 && ckpt_select_done(&s));
	CHECK(ckpt_select_parse_range(":7", &lo, &hi) == 0 && lo == 0 && hi == 7);
	CHECK(ckpt_select_parse_range("7:", &lo, &hi) == 0 && lo == 7 && hi == INT64_MAX);
	CHECK(ckpt_select_parse_range("7", &lo, &hi) == -1);
	CHECK(ckpt_select_parse_range("8:7", &lo, &hi) == -1);
	CHECK(ckpt_select_parse_range("-1:7", &lo, &hi) == -1);
	CHECK(ckpt_select_parse_range("1x:7", &lo, &hi) == -1);
}

static void test_atomic_file(void)
{
	char dir[] = "/tmp/traj-atomic-XXXXXX", path[64], listing[256];
	struct atomic_file a;
	struct traj_error err;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/out.txt", dir);
	CHECK(atomic_open(&a, path, &err) == 0);
	fputs("hello", a.f);
	CHECK(access(path, F_OK) != 0);   /* not visible before the commit */
	CHECK(atomic_commit(&a, &err) == 0);
	FILE *f = fopen(path, "r");
	CHECK(f && fgets(listing, sizeof listing, f) && strcmp(listing, "hello") == 0);
	if (f)
		fclose(f);
	CHECK(atomic_open(&a, path, &err) == 0);
	fputs("half", a.f);
	atomic_abort(&a);                   /* the old file stays */
	snprintf(listing, sizeof listing, "ls -A %s | wc -l | grep -qx 1", dir);
	CHECK(system(listing) == 0);
	snprintf(path, sizeof path, "%s/missing/out.txt", dir);
	CHECK(atomic_open(&a, path, &err) == -1 && err.status == TRAJ_ECREATE);
	snprintf(listing, sizeof listing, "rm -rf %s", dir);
	CHECK(system(listing) == 0);
}

int main(void)
{
	RUN(test_bf16);
	RUN(test_f16);
	RUN(test_select);
	RUN(test_atomic_file);
	return harness_done();
}
