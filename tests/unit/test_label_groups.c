/* Groupings of labels: addition's carry chains on hand-worked sums and,
 * over a whole sampled split, against a second definition (the chain
 * reaching position j starts at the highest position below j whose
 * digits sum to 10 or more); the repetition task's first/repeat groups
 * against its repeat mask. */
#include <string.h>

#include "harness.h"
#include "task/label_groups.h"

static struct task_config config(const char *name, int digits)
{
	struct task_config cfg;
	memset(&cfg, 0, sizeof cfg);
	CHECK(task_from_name(name, &cfg) == 0);
	cfg.seed = 3;
	cfg.digits = digits;
	task_fill_defaults(&cfg);
	return cfg;
}

/* One example "a + b = ..." of n digits (labels unused by the groups). */
static void put_example(int32_t *tok, int n, int a, int b)
{
	for (int i = n - 1; i >= 0; i--, a /= 10, b /= 10) {
		tok[i] = a % 10;
		tok[n + 1 + i] = b % 10;
	}
	tok[n] = 10;
	tok[2 * n + 1] = 11;
}

static void test_carry_by_hand(void)
{
	struct task_config cfg = config("add", 3);
	static const struct { int a, b; uint8_t chain[4]; } cases[] = {
		{ 999, 1, { 3, 2, 1, 0 } },   /* 1000: one chain through all */
		{ 123, 456, { 0, 0, 0, 0 } }, /* no carry */
		{ 95, 5, { 0, 2, 1, 0 } },    /* 100 */
		{ 550, 550, { 1, 1, 0, 0 } }, /* 1100: two carries, no chain */
		{ 909, 91, { 3, 2, 1, 0 } },  /* 1000 */
	};
	enum { N = sizeof cases / sizeof cases[0], T = 11, K = 4 };
	int32_t tok[N * T], lab[N * K];
	memset(lab, 0, sizeof lab);
	for (int e = 0; e < N; e++)
		put_example(tok + e * T, 3, cases[e].a, cases[e].b);
	struct split s = { .n = N, .tokens = tok, .labels = lab };
	struct task_groupings gs;
	struct traj_error err;
	CHECK(task_label_groupings(&cfg, &s, &gs, &err) == 0);
	CHECK(gs.n == 2);
	CHECK(gs.g[0].ngroups == 4 && gs.g[1].ngroups == 16);
	CHECK(strcmp(gs.g[0].names[2], "carry/2") == 0);
	CHECK(strcmp(gs.g[1].names[1 * 4 + 2], "pos/1/carry/2") == 0);
	int64_t count[4] = { 0 };
	for (int e = 0; e < N; e++)
		for (int k = 0; k < K; k++) {
			CHECK(gs.g[0].ids[e * K + k] == cases[e].chain[k]);
			CHECK(gs.g[1].ids[e * K + k] == k * 4 + cases[e].chain[k]);
			count[cases[e].chain[k]]++;
		}
	for (int c = 0; c < 4; c++)
		CHECK(gs.g[0].count[c] == count[c]);
	task_groupings_free(&gs);
}

static int digit_sum(int64_t a, int64_t b, int pos)
{
	for (; pos > 0; pos--, a /= 10, b /= 10)
		;
	return (int)(a % 10 + b % 10);
}

static void test_carry_split(void)
{
	int n = 4;
	struct task_config cfg = config("add", n);
	cfg.n_train = 3000;
	cfg.n_test = 10;
	struct dataset ds;
	struct traj_error err;
	CHECK(task_dataset_build(&cfg, &ds, &err) == 0);
	struct task_groupings gs;
	CHECK(task_label_groupings(&cfg, &ds.train, &gs, &err) == 0);
	int T = 3 * n + 2, K = n + 1, seen[5] = { 0 };
	for (int64_t e = 0; e < ds.train.n; e++) {
		const int32_t *tok = ds.train.tokens + e * T;
		int64_t a = 0, b = 0;
		for (int i = 0; i < n; i++) {
			a = 10 * a + tok[i];
			b = 10 * b + tok[n + 1 + i];
		}
		for (int j = 0; j <= n; j++) { /* position j: label n - j */
			int chain = 0;
			int64_t m = 1;
			for (int i = 0; i < j; i++)
				m *= 10;
			if ((a % m) + (b % m) >= m) { /* a carry reaches j */
				int g = j - 1;
				while (digit_sum(a, b, g) < 10)
					g--;
				chain = j - g;
			}
			CHECK(gs.g[0].ids[e * K + (n - j)] == chain);
			seen[chain]++;
		}
	}
	for (int c = 0; c <= n; c++) /* 3000 sums reach every chain length */
		CHECK(seen[c] > 0 && gs.g[0].count[c] == seen[c]);
	task_groupings_free(&gs);
	task_dataset_free(&ds);
}

static void test_repeat_groups(void)
{
	struct task_config cfg = config("repeat", 0);
	cfg.seq_len = 4;
	cfg.vocab = 8;
	cfg.n_train = 50;
	cfg.n_test = 10;
	struct dataset ds;
	struct traj_error err;
	CHECK(task_dataset_build(&cfg, &ds, &err) == 0);
	struct task_groupings gs;
	CHECK(task_label_groupings(&cfg, &ds.test, &gs, &err) == 0);
	CHECK(gs.n == 1 && gs.g[0].ngroups == 2);
	CHECK(strcmp(gs.g[0].names[0], "first") == 0);
	CHECK(strcmp(gs.g[0].names[1], "repeat") == 0);
	int64_t nl = ds.test.n * ds.n_outputs, ones = 0;
	for (int64_t i = 0; i < nl; i++) {
		CHECK(gs.g[0].ids[i] == ds.test.repeat[i]);
		ones += ds.test.repeat[i];
	}
	CHECK(gs.g[0].count[1] == ones && gs.g[0].count[0] == nl - ones);
	task_groupings_free(&gs);
	task_dataset_free(&ds);

	struct task_config mod = config("modadd", 0);
	mod.p = 7;
	mod.frac = 0.5;
	CHECK(task_dataset_build(&mod, &ds, &err) == 0);
	CHECK(task_label_groupings(&mod, &ds.train, &gs, &err) == 0);
	CHECK(gs.n == 0);
	task_dataset_free(&ds);
}

int main(void)
{
	RUN(test_carry_by_hand);
	RUN(test_carry_split);
	RUN(test_repeat_groups);
	return harness_done();
}
