/* The checkpoint stream written and read back: every encoding and key
 * interval gives back every tensor bit for bit, with its metrics;
 * concatenated runs; the run record; encoding names. */
#include "stream_fixture.h"

static void check_ckpts(const struct seen *s, int nckpt, int key_every)
{
	CHECK(s->nckpt == nckpt);
	for (int k = 0; k < s->nckpt && k < nckpt; k++) {
		struct traj_tensor t[MAX_T];
		int n = make_ckpt(k, t);
		CHECK(s->step[k] == 10 * k);
		CHECK(s->key[k] == (k % key_every == 0));
		CHECK(s->ntensors[k] == n);
		for (int i = 0; i < n && i < s->ntensors[k]; i++) {
			if (!same_tensor(&s->tensors[k][i], &t[i]))
				printf("#   ckpt %d tensor '%s' differs\n", k, t[i].name);
			CHECK(same_tensor(&s->tensors[k][i], &t[i]));
		}
		for (int i = 0; i < n; i++)
			tensor_free(&t[i]);
		const cJSON *acc = cJSON_GetObjectItemCaseSensitive(s->metrics[k], "acc");
		CHECK(k == 2 ? cJSON_IsNull(acc) : acc && acc->valuedouble == 0.25 * k);
	}
}

static void test_round_trip_every_encoding(void)
{
	for (int enc = 0; enc < TRAJ_NENCODINGS; enc++) {
		struct membuf m;
		struct seen s;
		mem_open(&m);
		write_stream(m.f, (enum traj_encoding)enc, 3, 8);
		mem_close(&m);
		read_buf(m.buf, m.len, &s);
		CHECK(s.rc == TRAJ_REC_EOF);
		CHECK(s.nrun == 1 && s.nend == 1);
		check_ckpts(&s, 8, 3);
		seen_free(&s);
		free(m.buf);
	}
}

static void test_key_every_one_and_defaults(void)
{
	struct traj_write_opts o;
	stream_write_opts_default(&o);
	CHECK(o.encoding == TRAJ_ENC_PRED2 && o.key_every == 16);
	struct membuf m;
	struct seen s;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 1, 4);
	mem_close(&m);
	read_buf(m.buf, m.len, &s);
	check_ckpts(&s, 4, 1);
	seen_free(&s);
	free(m.buf);
}

static void test_encoding_names(void)
{
	enum traj_encoding e;
	CHECK(strcmp(stream_encoding_name(TRAJ_ENC_PRED2), "pred2") == 0);
	CHECK(stream_encoding_from_name("xor", &e) == 0 && e == TRAJ_ENC_XOR);
	CHECK(stream_encoding_from_name("XOR", &e) == -1);
	CHECK(stream_encoding_name(TRAJ_NENCODINGS) == NULL);
}

static void test_concatenated_streams(void)
{
	struct membuf a, b;
	mem_open(&a);
	write_stream(a.f, TRAJ_ENC_PRED2, 16, 3);
	mem_close(&a);
	mem_open(&b);
	write_stream(b.f, TRAJ_ENC_XOR, 16, 3);
	mem_close(&b);
	char *both = malloc(a.len + b.len);
	memcpy(both, a.buf, a.len);
	memcpy(both + a.len, b.buf, b.len);
	struct seen s;
	read_buf(both, a.len + b.len, &s);
	CHECK(s.rc == TRAJ_REC_EOF && s.nrun == 2 && s.nend == 2);
	CHECK(s.nckpt == 6);
	for (int k = 0; k < 3 && s.nckpt == 6; k++) {
		struct traj_tensor t[MAX_T];
		int n = make_ckpt(k, t);
		for (int i = 0; i < n; i++) {
			CHECK(same_tensor(&s.tensors[k][i], &t[i]));
			CHECK(same_tensor(&s.tensors[k + 3][i], &t[i]));
			tensor_free(&t[i]);
		}
	}
	seen_free(&s);
	/* A run cut after a checkpoint (no end record), then a new run. */
	struct seen whole;
	read_buf(a.buf, a.len, &whole);
	seen_free(&whole);
	free(both);
	free(a.buf);
	free(b.buf);
}

static void test_run_record(void)
{
	struct membuf m;
	struct traj_error err;
	mem_open(&m);
	struct traj_writer *w = open_writer(m.f, TRAJ_ENC_PRED2, 16);
	CHECK(stream_writer_close(w, &err) == 0);
	mem_close(&m);
	FILE *f = reader_file(m.buf, m.len);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	CHECK(stream_reader_run(r) == NULL);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_RUN);
	const cJSON *run = stream_reader_run(r);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(run, "type");
	const cJSON *seed = cJSON_GetObjectItemCaseSensitive(run, "seed");
	CHECK(cJSON_IsString(type) && strcmp(type->valuestring, "run") == 0);
	CHECK(cJSON_IsNumber(seed) && seed->valuedouble == 7);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_END);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_EOF);
	stream_reader_free(r);
	fclose(f);
	free(m.buf);
}

int main(void)
{
	RUN(test_encoding_names);
	RUN(test_round_trip_every_encoding);
	RUN(test_key_every_one_and_defaults);
	RUN(test_concatenated_streams);
	RUN(test_run_record);
	return harness_done();
}
