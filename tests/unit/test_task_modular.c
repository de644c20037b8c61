/* Modular-arithmetic data sets: labels, split sizes, split determinism. */
#include <string.h>

#include "harness.h"
#include "task/task.h"

static struct task_config config(const char *name, int p, double frac,
				 uint64_t seed)
{
	struct task_config cfg;
	memset(&cfg, 0, sizeof cfg);
	task_from_name(name, &cfg);
	cfg.p = p;
	cfg.frac = frac;
	cfg.seed = seed;
	return cfg;
}

/* Finds the label of (a, b) in either split; -1 if the pair is absent. */
static int label_of(const struct dataset *ds, int a, int b)
{
	const struct split *splits[2] = {&ds->train, &ds->test};
	for (int s = 0; s < 2; s++)
		for (int64_t i = 0; i < splits[s]->n; i++)
			if (splits[s]->tokens[2 * i] == a &&
			    splits[s]->tokens[2 * i + 1] == b)
				return splits[s]->labels[i];
	return -1;
}

static void test_labels_by_hand(void)
{
	struct dataset ds;
	struct task_config cfg = config("modadd", 7, 0.5, 1);
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(label_of(&ds, 5, 4) == 2);  /* 9 mod 7 */
	CHECK(label_of(&ds, 0, 0) == 0);
	task_dataset_free(&ds);

	cfg = config("modsub", 7, 0.5, 1);
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(label_of(&ds, 2, 5) == 4);  /* -3 mod 7 */
	task_dataset_free(&ds);

	cfg = config("modmul", 7, 0.5, 1);
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(label_of(&ds, 3, 5) == 1);  /* 15 mod 7 */
	task_dataset_free(&ds);

	cfg = config("moddiv", 7, 0.5, 1);
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(label_of(&ds, 3, 5) == 2);  /* 5^-1 = 3 (15 = 1 mod 7), 3*3 = 9 */
	CHECK(label_of(&ds, 3, 0) == -1); /* no division by zero */
	CHECK(ds.train.n + ds.test.n == 7 * 6);
	task_dataset_free(&ds);

	cfg = config("modquad", 7, 0.5, 1);
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(label_of(&ds, 2, 3) == 5);  /* 4 + 6 + 9 = 19 = 5 mod 7 */
	task_dataset_free(&ds);
}

static void test_division_inverts_multiplication(void)
{
	struct dataset ds;
	struct task_config cfg = config("moddiv", 13, 0.3, 4);
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	const struct split *s = &ds.train;
	for (int64_t i = 0; i < s->n; i++)
		CHECK((s->labels[i] * s->tokens[2 * i + 1]) % 13 == s->tokens[2 * i]);
	task_dataset_free(&ds);
}

static void test_split_covers_every_pair_once(void)
{
	struct dataset ds;
	struct task_config cfg = config("modadd", 11, 0.4, 9);
	int seen[11][11] = {{0}};
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(ds.train.n == 48); /* round(0.4 * 121) */
	CHECK(ds.test.n == 121 - 48);
	for (int64_t i = 0; i < ds.train.n; i++)
		seen[ds.train.tokens[2 * i]][ds.train.tokens[2 * i + 1]]++;
	for (int64_t i = 0; i < ds.test.n; i++)
		seen[ds.test.tokens[2 * i]][ds.test.tokens[2 * i + 1]]++;
	for (int a = 0; a < 11; a++)
		for (int b = 0; b < 11; b++)
			CHECK(seen[a][b] == 1);
	task_dataset_free(&ds);
}

static void test_split_is_a_function_of_the_seed(void)
{
	struct dataset a, b, c;
	struct task_config cfg = config("modadd", 17, 0.5, 3);
	CHECK(task_dataset_build(&cfg, &a, NULL) == 0);
	CHECK(task_dataset_build(&cfg, &b, NULL) == 0);
	cfg.seed = 4;
	CHECK(task_dataset_build(&cfg, &c, NULL) == 0);
	size_t bytes = (size_t)a.train.n * 2 * sizeof(int32_t);
	CHECK(memcmp(a.train.tokens, b.train.tokens, bytes) == 0);
	CHECK(memcmp(a.train.tokens, c.train.tokens, bytes) != 0);
	task_dataset_free(&a);
	task_dataset_free(&b);
	task_dataset_free(&c);
}

static void test_validation(void)
{
	struct traj_error err;
	struct task_config cfg = config("modadd", 1, 0.5, 1);
	CHECK(task_validate(&cfg, "--", &err) < 0);
	CHECK(strcmp(err.msg, "--p: 1 outside 2..4096") == 0);
	cfg = config("moddiv", 9, 0.5, 1);
	CHECK(task_validate(&cfg, "--", &err) < 0);
	cfg = config("modadd", 9, 1.0, 1);
	CHECK(task_validate(&cfg, "--", &err) < 0);
	CHECK(strstr(err.msg, "--frac") == err.msg);
	CHECK(task_from_name("modpow", &cfg) < 0);
	/* a fraction so small that the train split would be empty */
	cfg = config("modadd", 3, 0.01, 1);
	struct dataset ds;
	CHECK(task_dataset_build(&cfg, &ds, &err) < 0);
}

static void test_json_round_trip(void)
{
	struct task_config in = config("modquad", 23, 0.3, 77), out;
	cJSON *json = task_to_json(&in);
	CHECK(task_from_json(json, &out, NULL) == 0);
	CHECK(strcmp(out.name, "modquad") == 0 && out.op == MOD_QUAD);
	CHECK(out.p == 23 && out.frac == 0.3 && out.seed == 77);
	cJSON_ReplaceItemInObjectCaseSensitive(json, "p", cJSON_CreateNumber(-3));
	struct traj_error err;
	CHECK(task_from_json(json, &out, &err) < 0);
	CHECK(strstr(err.msg, "task.p") != NULL);
	cJSON_Delete(json);
}

int main(void)
{
	RUN(test_labels_by_hand);
	RUN(test_division_inverts_multiplication);
	RUN(test_split_covers_every_pair_once);
	RUN(test_split_is_a_function_of_the_seed);
	RUN(test_validation);
	RUN(test_json_round_trip);
	return harness_done();
}
