/* The test vectors of formats/vectors (formats/vectors/README.md): the
 * valid ones decode to the values their formulas give, each bad one fails
 * with its status and message after the checkpoints before the damage.
 * Run from the repository root. */
#include "stream_fixture.h"

static int read_vector(const char *name, struct seen *s)
{
	char path[256];
	snprintf(path, sizeof path, "formats/vectors/%s", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("#   cannot open %s (run from the repository root)\n", path);
		return -1;
	}
	read_all(f, NULL, s);
	fclose(f);
	return 0;
}

struct bad_vector {
	const char *file;
	int nckpt;          /* checkpoints returned before the error */
	enum traj_status status;
	const char *text;   /* part of the message */
};

static void test_bad_vectors(void)
{
	static const struct bad_vector v[] = {
		{"bad-magic.traj", 0, TRAJ_EDATA, "not a traj stream"},
		{"flipped-bit.traj", 0, TRAJ_EDATA, "tensor 'w'"},
		{"bad-crc.traj", 0, TRAJ_EDATA, "header checksum mismatch"},
		{"truncated.traj", 2, TRAJ_ETRUNC, "truncated in checkpoint at step 200"},
		{"trailing-garbage.traj", 0, TRAJ_EDATA, "invalid JSON"},
		{"duplicate-key.traj", 0, TRAJ_EDATA, "duplicate key 'step'"},
		{"bad-version.traj", 0, TRAJ_EDATA, "unsupported version 2"},
		{"huge-shape.traj", 0, TRAJ_EDATA, "exceeds the limit"},
		{"nonkey-start.traj", 0, TRAJ_EDATA, "tensor 'w' refers to the previous checkpoint"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct seen s;
		if (read_vector(v[i].file, &s)) {
			CHECK(0);
			continue;
		}
		if (s.rc != -1 || s.nckpt != v[i].nckpt || s.err.status != v[i].status)
			printf("#   %s: rc %d, %d ckpts, status %d: %s\n", v[i].file,
			       s.rc, s.nckpt, s.err.status, s.err.msg);
		CHECK(s.rc == -1);
		CHECK(s.nckpt == v[i].nckpt);
		CHECK(s.err.status == v[i].status);
		CHECK(has(&s.err, v[i].text));
		seen_free(&s);
	}
}

static void test_tiny_vector(void)
{
	struct seen s;
	if (read_vector("tiny.traj", &s)) {
		CHECK(0);
		return;
	}
	static const float want[] = {0.0f, 1.0f, -2.0f, 0.5f, 3.25f, -0.0f};
	CHECK(s.rc == TRAJ_REC_EOF && s.nrun == 1 && s.nend == 1 && s.nckpt == 1);
	if (s.nckpt == 1) {
		const struct traj_tensor *t = &s.tensors[0][0];
		CHECK(s.step[0] == 0 && s.key[0] && s.ntensors[0] == 1);
		CHECK(strcmp(t->name, "w") == 0 && t->dtype == TRAJ_F32);
		CHECK(t->rank == 2 && t->shape[0] == 2 && t->shape[1] == 3);
		CHECK(memcmp(t->data, want, sizeof want) == 0);
		const cJSON *loss = cJSON_GetObjectItemCaseSensitive(s.metrics[0], "loss");
		CHECK(loss && loss->valuedouble == 0.5);
	}
	seen_free(&s);
}

/* The formulas of formats/vectors/README.md. */
static void check_vector_ckpt(const struct seen *s, int k)
{
	float w[20], m[20];
	double b[3];
	int32_t c[2];
	for (int i = 0; i < 20; i++) {
		w[i] = ((float)i - 10.0f) * 0.125f +
		       (float)(k * k) * 0.0078125f * (float)(i % 3);
		m[i] = (float)(i + k) / 1024.0f;
	}
	for (int i = 0; i < 3; i++)
		b[i] = (double)(k + 1) / 3.0 * (double)(i + 1);
	for (int i = 0; i < 2; i++)
		c[i] = k * 1000 - i;
	const struct traj_tensor *t = s->tensors[k];
	CHECK(s->ntensors[k] == 4);
	CHECK(strcmp(t[0].name, "w") == 0 && memcmp(t[0].data, w, sizeof w) == 0);
	CHECK(strcmp(t[1].name, "b") == 0 && memcmp(t[1].data, b, sizeof b) == 0);
	CHECK(strcmp(t[2].name, "optim/m") == 0 && memcmp(t[2].data, m, sizeof m) == 0);
	CHECK(strcmp(t[3].name, "count") == 0 && memcmp(t[3].data, c, sizeof c) == 0);
	const cJSON *loss = cJSON_GetObjectItemCaseSensitive(s->metrics[k], "loss");
	CHECK(loss && loss->valuedouble == 1.0 / (k + 1));
}

static void test_multi_checkpoint_vectors(void)
{
	struct seen s;
	if (read_vector("pred2.traj", &s) == 0) {
		CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 4);
		for (int k = 0; k < s.nckpt; k++) {
			CHECK(s.step[k] == 100 * k && s.key[k] == (k % 3 == 0));
			check_vector_ckpt(&s, k);
		}
		seen_free(&s);
	} else {
		CHECK(0);
	}
	if (read_vector("xor.traj", &s) == 0) {
		CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 3);
		for (int k = 0; k < s.nckpt; k++) {
			CHECK(s.step[k] == k && s.key[k] == (k == 0));
			check_vector_ckpt(&s, k);
		}
		seen_free(&s);
	} else {
		CHECK(0);
	}
	if (read_vector("concat.traj", &s) == 0) {
		CHECK(s.rc == TRAJ_REC_EOF && s.nrun == 2 && s.nend == 2 && s.nckpt == 4);
		seen_free(&s);
	} else {
		CHECK(0);
	}
}

/* The run id in the field the tools read (formats/run-header.md), in
 * every run of every valid vector. */
static void test_vectors_name_their_run_as_the_tools_read_it(void)
{
	static const struct {
		const char *file, *ids[2];
	} v[] = {
		{"tiny.traj", {"tiny"}}, {"pred2.traj", {"pred2"}},
		{"xor.traj", {"xor"}}, {"concat.traj", {"tiny", "xor"}},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char path[256];
		snprintf(path, sizeof path, "formats/vectors/%s", v[i].file);
		FILE *f = fopen(path, "rb");
		CHECK(f != NULL);
		if (!f)
			continue;
		struct traj_error err;
		struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
		int runs = 0, rc;
		while ((rc = stream_read_next(r, &err)) > 0) {
			if (rc != TRAJ_REC_RUN)
				continue;
			const cJSON *run = stream_reader_run(r);
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "run");
			CHECK(runs < 2 && v[i].ids[runs] && cJSON_IsString(id) &&
			      strcmp(id->valuestring, v[i].ids[runs]) == 0);
			CHECK(!cJSON_GetObjectItemCaseSensitive(run, "id"));
			runs++;
		}
		CHECK(rc == TRAJ_REC_EOF && runs == (v[i].ids[1] ? 2 : 1));
		stream_reader_free(r);
		fclose(f);
	}
}

int main(void)
{
	RUN(test_tiny_vector);
	RUN(test_vectors_name_their_run_as_the_tools_read_it);
	RUN(test_multi_checkpoint_vectors);
	RUN(test_bad_vectors);
	return harness_done();
}
