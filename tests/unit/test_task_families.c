/* The task family beyond modular arithmetic: digit addition, sparse
 * parity, repetition and Fashion-MNIST (from small IDX files written
 * here), their shapes, JSON and errors; the "a b =" form of modular
 * arithmetic. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "harness.h"
#include "task/task.h"

static struct task_config config(const char *name)
{
	struct task_config cfg;
	memset(&cfg, 0, sizeof cfg);
	CHECK(task_from_name(name, &cfg) == 0);
	cfg.seed = 5;
	task_fill_defaults(&cfg);
	return cfg;
}

static int64_t number(const int32_t *digits, int n)
{
	int64_t x = 0;
	for (int i = 0; i < n; i++)
		x = 10 * x + digits[i];
	return x;
}

/* Every example reads "a + b = c" with c = a + b, labels the answer's
 * digits, and feeds all but the last answer digit back as input. */
static void check_addition(const struct split *s, int n)
{
	int T = 3 * n + 2, K = n + 1;
	for (int64_t e = 0; e < s->n; e++) {
		const int32_t *tok = s->tokens + e * T, *lab = s->labels + e * K;
		int64_t a = number(tok, n), b = number(tok + n + 1, n);
		CHECK(tok[n] == 10 && tok[2 * n + 1] == 11);
		CHECK(number(lab, n + 1) == a + b);
		CHECK(memcmp(tok + 2 * n + 2, lab, (size_t)n * sizeof *lab) == 0);
	}
}

static void test_addition(void)
{
	struct task_config cfg = config("add");
	cfg.digits = 2;
	cfg.n_train = 300;
	cfg.n_test = 100;
	struct dataset ds;
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(ds.n_inputs == 8 && ds.vocab == 12 && ds.n_classes == 10 &&
	      ds.n_outputs == 3 && ds.train.n == 300 && ds.test.n == 100);
	check_addition(&ds.train, 2);
	check_addition(&ds.test, 2);
	/* 10^4 pairs are enumerated: no test pair was trained on */
	int shared = 0;
	for (int64_t i = 0; i < ds.test.n; i++)
		for (int64_t j = 0; j < ds.train.n; j++)
			shared += memcmp(ds.test.tokens + i * 8,
					 ds.train.tokens + j * 8, 5 * 4) == 0;
	CHECK(shared == 0);
	task_dataset_free(&ds);
	cfg.digits = 5; /* sampled independently from 10^10 pairs */
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	check_addition(&ds.train, 5);
	task_dataset_free(&ds);
}

/* Exactly one k-subset of the bits explains every label. */
static void test_parity(void)
{
	struct task_config cfg = config("parity");
	cfg.bits = 8;
	cfg.k = 3;
	cfg.n_train = 150;
	cfg.n_test = 50;
	struct dataset ds;
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(ds.n_inputs == 8 && ds.vocab == 2 && ds.n_classes == 2);
	int consistent = 0;
	for (int mask = 0; mask < 256; mask++) {
		if (__builtin_popcount((unsigned)mask) != 3)
			continue;
		int ok = 1;
		for (int64_t e = 0; ok && e < ds.train.n; e++) {
			int par = 0;
			for (int i = 0; i < 8; i++)
				par ^= (mask >> i & 1) & ds.train.tokens[e * 8 + i];
			ok = par == ds.train.labels[e];
		}
		consistent += ok;
	}
	CHECK(consistent == 1);
	task_dataset_free(&ds);
	cfg.eq_token = 1;
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(ds.n_inputs == 9 && ds.vocab == 3 && ds.train.tokens[8] == 2);
	task_dataset_free(&ds);
}

static void test_repeat(void)
{
	struct task_config cfg = config("repeat");
	cfg.seq_len = 4;
	cfg.vocab = 5;
	cfg.n_train = 20;
	cfg.n_test = 10;
	struct dataset ds;
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(ds.n_inputs == 7 && ds.n_outputs == 7 && ds.vocab == 5);
	for (int64_t e = 0; e < ds.train.n; e++) {
		const int32_t *t = ds.train.tokens + e * 7, *y = ds.train.labels + e * 7;
		for (int i = 0; i < 3; i++)
			CHECK(t[4 + i] == t[i]);
		for (int i = 0; i < 6; i++)
			CHECK(y[i] == t[i + 1]);
		CHECK(y[6] == t[3]);
		for (int i = 0; i < 7; i++) /* labels of tokens 5..7 copy */
			CHECK(ds.train.repeat[e * 7 + i] == (i >= 4));
	}
	task_dataset_free(&ds);
	cfg.seq_len = 40; /* 5^40 sequences: drawn token by token */
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(ds.train.tokens[79 - 1] == ds.train.tokens[39 - 1]);
	task_dataset_free(&ds);
}

/* Checks one example of seq_len L among T positions against the layout of
 * task.h and sets its prefix *o and gap *g (the first match: the vocabulary
 * is large enough for chance matches to be rare). */
static void check_filler_example(const int32_t *t, const int32_t *y,
				 const uint8_t *rep, int L, int T, int *o,
				 int *g)
{
	int32_t x[64];  /* the whole sequence: T inputs and the last label */
	memcpy(x, t, (size_t)T * sizeof *x);
	x[T] = y[T - 1];
	for (int i = 0; i < T; i++)
		CHECK(y[i] == x[i + 1]);
	int c = 0;  /* the second copy starts at the first copyable label */
	while (c < T && !rep[c])
		c++;
	CHECK(c >= L && c + L <= T + 1);
	for (int i = 0; i < T; i++)
		CHECK(rep[i] == (i >= c && i <= c + L - 2));
	*o = -1;
	for (int k = 0; k + L <= c && *o < 0; k++)
		if (memcmp(x + k, x + c, (size_t)L * sizeof *x) == 0)
			*o = k;
	CHECK(*o >= 0);
	*g = c - *o - L;
}

static void test_repeat_filler(void)
{
	struct task_config cfg = config("repeat");
	cfg.seq_len = 4;
	cfg.vocab = 1000;
	cfg.filler = 5;
	cfg.n_train = 300;
	cfg.n_test = 10;
	struct dataset ds, again;
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	int T = 12, prefixes[6] = {0}, gaps[6] = {0};
	CHECK(ds.n_inputs == T && ds.n_outputs == T);
	for (int64_t e = 0; e < ds.train.n; e++) {
		int o, g;
		check_filler_example(ds.train.tokens + e * T,
				     ds.train.labels + e * T,
				     ds.train.repeat + e * T, 4, T, &o, &g);
		prefixes[o]++;
		gaps[g]++;
	}
	for (int k = 0; k <= 5; k++) /* prefixes 1/6 each; gaps fewer as k grows */
		CHECK(prefixes[k] > 20 && gaps[k] > 2);
	CHECK(task_dataset_build(&cfg, &again, NULL) == 0); /* a function of the seed */
	size_t n = (size_t)ds.train.n * (size_t)T;
	CHECK(memcmp(ds.train.tokens, again.train.tokens, n * 4) == 0);
	CHECK(memcmp(ds.train.repeat, again.train.repeat, n) == 0);
	task_dataset_free(&again);
	cfg.seed = 6;
	CHECK(task_dataset_build(&cfg, &again, NULL) == 0);
	CHECK(memcmp(ds.train.tokens, again.train.tokens, n * 4) != 0);
	task_dataset_free(&again);
	task_dataset_free(&ds);
	cJSON *j = task_to_json(&cfg);
	struct task_config back;
	CHECK(task_from_json(j, &back, NULL) == 0 && back.filler == 5);
	cJSON_Delete(j);
	cfg.filler = 0; /* absent from the header: the first layout */
	j = task_to_json(&cfg);
	CHECK(!cJSON_GetObjectItem(j, "filler"));
	cJSON_Delete(j);
	cfg.filler = 4097;
	struct traj_error err;
	CHECK(task_validate(&cfg, "--", &err) < 0);
	CHECK(strcmp(err.msg, "--filler: 4097 outside 0..4096") == 0);
}

static void test_sequence_modular(void)
{
	struct task_config cfg = config("modmul");
	cfg.p = 7;
	cfg.frac = 0.5;
	cfg.eq_token = 1;
	struct dataset ds;
	CHECK(task_dataset_build(&cfg, &ds, NULL) == 0);
	CHECK(ds.n_inputs == 3 && ds.vocab == 8 && ds.n_classes == 7);
	for (int64_t e = 0; e < ds.train.n; e++) {
		const int32_t *t = ds.train.tokens + e * 3;
		CHECK(t[2] == 7 && ds.train.labels[e] == t[0] * t[1] % 7);
	}
	task_dataset_free(&ds);
}

/* JSON round trips; a modular header carries only its old fields. */
static void test_json(void)
{
	const char *names[] = { "add", "parity", "repeat", "fashion", "modadd" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct task_config cfg = config(names[i]), back;
		cfg.p = 11;
		cfg.frac = 0.5;
		if (cfg.family == TASK_FASHION)
			cfg.n_train = cfg.n_test = 0;
		cJSON *j = task_to_json(&cfg);
		struct traj_error err;
		int rc = task_from_json(j, &back, &err);
		if (rc < 0)
			printf("#   %s: %s\n", names[i], err.msg);
		CHECK(rc == 0);
		CHECK(strcmp(back.name, cfg.name) == 0 && back.seed == cfg.seed);
		if (cfg.family == TASK_MODULAR) {
			CHECK(cJSON_GetArraySize(j) == 4);
		} else {
			CHECK(back.n_train == cfg.n_train && back.n_test == cfg.n_test);
			CHECK(back.digits == (cfg.family == TASK_ADD ? cfg.digits : 0));
		}
		cJSON_Delete(j);
	}
	cJSON *bad = cJSON_Parse("{\"name\":\"add\",\"digits\":0,\"n_train\":5,"
				 "\"n_test\":5,\"seed\":1}");
	struct task_config cfg;
	struct traj_error err;
	CHECK(task_from_json(bad, &cfg, &err) < 0 && err.status == TRAJ_EDATA);
	CHECK(strstr(err.msg, "task.digits") != NULL);
	cJSON_Delete(bad);
}

static void test_bad_configs(void)
{
	struct traj_error err;
	struct task_config cfg = config("parity");
	cfg.bits = 4;
	cfg.n_train = 10;
	cfg.n_test = 10;
	CHECK(task_validate(&cfg, "--", &err) < 0);
	CHECK(strcmp(err.msg, "--n_train: 10 + 10 examples, but the task has "
		     "only 16 distinct ones") == 0);
	cfg = config("repeat");
	cfg.vocab = 1;
	CHECK(task_validate(&cfg, "task.", &err) < 0);
	CHECK(strcmp(err.msg, "task.vocab: 1 outside 2..65536") == 0);
	cfg = config("add");
	cfg.digits = 10;
	CHECK(task_validate(&cfg, "--", &err) < 0 && err.status == TRAJ_EUSAGE);
	CHECK(task_needs_transformer(&cfg) && !task_needs_mlp(&cfg));
}

/* Writes an IDX file: magic, dimensions, bytes; `bad_magic` corrupts it. */
static void write_idx(const char *dir, const char *name, int images, int n,
		      int bad_magic)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	gzFile f = gzopen(path, "wb");
	unsigned char h[16] = { 0, 0, 8, images ? 3 : 1, 0, 0, 0, (unsigned char)n,
				0, 0, 0, 28, 0, 0, 0, 28 };
	if (bad_magic)
		h[3] = 9;
	gzwrite(f, h, images ? 16 : 8);
	for (int e = 0; e < n; e++) {
		unsigned char px[784];
		for (int i = 0; i < 784; i++)
			px[i] = (unsigned char)((e * 7 + i) % 256);
		unsigned char lab = (unsigned char)(e % 10);
		if (images)
			gzwrite(f, px, sizeof px);
		else
			gzwrite(f, &lab, 1);
	}
	gzclose(f);
}

/* Only modular arithmetic is over residues mod p (traj ablate --by freq,
 * traj progress ask this one question). */
static void test_modulus(void)
{
	static const char *const names[] = { "modadd", "modsub", "moddiv",
					     "add", "parity", "repeat",
					     "fashion" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		struct task_config c = { 0 };
		CHECK(task_from_name(names[i], &c) == 0);
		c.p = 13;
		task_fill_defaults(&c);
		CHECK(task_modulus(&c) == (strncmp(names[i], "mod", 3) == 0 ? 13 : 0));
	}
	struct task_config none = { 0 };
	none.family = (enum task_family)99;
	CHECK(task_modulus(&none) == 0);
}

static void test_fashion_files(void)
{
	char dir[] = "/tmp/traj-fashion-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	setenv("TRAJ_FASHION_DIR", dir, 1);
	struct task_config cfg = config("fashion");
	struct dataset ds;
	struct traj_error err;
	CHECK(task_dataset_build(&cfg, &ds, &err) < 0 && err.status == TRAJ_ENOINPUT);
	CHECK(strstr(err.msg, "install Debian's dataset-fashion-mnist package"));
	write_idx(dir, "train-images-idx3-ubyte.gz", 1, 12, 0);
	write_idx(dir, "train-labels-idx1-ubyte.gz", 0, 12, 0);
	write_idx(dir, "t10k-images-idx3-ubyte.gz", 1, 5, 0);
	write_idx(dir, "t10k-labels-idx1-ubyte.gz", 0, 5, 0);
	cfg.n_train = 12;
	cfg.n_test = 5;
	CHECK(task_dataset_build(&cfg, &ds, &err) == 0);
	CHECK(ds.n_inputs == 784 && ds.vocab == 0 && ds.n_classes == 10);
	CHECK(ds.train.features && !ds.train.tokens);
	CHECK(ds.train.features[784 * 3 + 2] == (float)23 / 255.0f);
	CHECK(ds.train.labels[11] == 1 && ds.test.labels[4] == 4);
	task_dataset_free(&ds);
	cfg.n_train = 13; /* more than the file holds */
	CHECK(task_dataset_build(&cfg, &ds, &err) < 0 && err.status == TRAJ_EDATA);
	write_idx(dir, "t10k-labels-idx1-ubyte.gz", 0, 5, 1);
	cfg.n_train = 12;
	CHECK(task_dataset_build(&cfg, &ds, &err) < 0 && err.status == TRAJ_EDATA);
	CHECK(strstr(err.msg, "IDX magic 0x00000809, expected 0x00000801"));
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	unsetenv("TRAJ_FASHION_DIR");
}

int main(void)
{
	RUN(test_addition);
	RUN(test_parity);
	RUN(test_repeat);
	RUN(test_repeat_filler);
	RUN(test_sequence_modular);
	RUN(test_json);
	RUN(test_bad_configs);
	RUN(test_modulus);
	RUN(test_fashion_files);
	return harness_done();
}
