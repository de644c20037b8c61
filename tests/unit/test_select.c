/* Checkpoint selection (format/select.h): per decade, every K, a range,
 * the first; and the parsing of ranges A:B. */
#include "harness.h"
#include "format/select.h"

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

int main(void)
{
	RUN(test_select);
	return harness_done();
}
