/* The checkpoint stream's writer: calls out of order refused with a
 * message, a failed write reported, and a writer resumed from what a
 * reader read writing the same bytes as one never stopped. */
#include "stream_fixture.h"

static void test_writer_misuse(void)
{
	struct traj_error err;
	struct membuf m;
	mem_open(&m);
	struct traj_writer *w = open_writer(m.f, TRAJ_ENC_XOR, 4);
	int64_t shape[] = {2};
	struct traj_tensor t;
	make_tensor(&t, "w", TRAJ_F32, 1, shape, 0);
	CHECK(stream_write_tensor(w, &t, &err) == -1);
	CHECK(has(&err, "no checkpoint begun"));
	CHECK(stream_write_begin(w, -1, 1, NULL, &err) == -1);
	CHECK(stream_write_begin(w, 0, 1, NULL, &err) == 0);
	CHECK(stream_write_begin(w, 1, 1, NULL, &err) == -1);
	CHECK(has(&err, "checkpoint at step 0 not ended"));
	CHECK(stream_write_end(w, &err) == -1);
	CHECK(has(&err, "has 0 tensors, 1 announced"));
	strcpy(t.name, "bad name");
	CHECK(stream_write_tensor(w, &t, &err) == -1);
	CHECK(has(&err, "invalid tensor name"));
	strcpy(t.name, "w");
	CHECK(stream_write_tensor(w, &t, &err) == 0);
	CHECK(stream_write_tensor(w, &t, &err) == -1);
	CHECK(has(&err, "more than the 1 tensors"));
	CHECK(stream_write_end(w, &err) == 0);
	cJSON *bad = cJSON_CreateObject();
	cJSON_AddStringToObject(bad, "loss", "high");
	CHECK(stream_write_begin(w, 1, 2, bad, &err) == -1);
	CHECK(has(&err, "metric 'loss' is not a number"));
	cJSON_Delete(bad);
	CHECK(stream_write_begin(w, 1, 2, NULL, &err) == 0);
	CHECK(stream_write_tensor(w, &t, &err) == 0);
	CHECK(stream_write_tensor(w, &t, &err) == 0); /* found at the end */
	CHECK(stream_write_end(w, &err) == -1);
	CHECK(has(&err, "duplicate tensor name 'w'"));
	CHECK(stream_writer_close(w, &err) == -1);
	CHECK(has(&err, "not ended"));
	tensor_free(&t);
	mem_close(&m);
	free(m.buf);
	struct traj_write_opts o;
	stream_write_opts_default(&o);
	o.key_every = 0;
	CHECK(stream_writer_open(stdout, NULL, &o, &err) == NULL);
	CHECK(has(&err, "key_every"));
}

static void test_write_error_reported(void)
{
	FILE *full = fopen("/dev/full", "w");
	if (!full) {
		printf("#   skipped: no /dev/full\n");
		return;
	}
	struct traj_error err = {0};
	struct traj_writer *w = open_writer(full, TRAJ_ENC_PRED2, 4);
	int rc = w ? stream_write_begin(w, 0, 0, NULL, &err) : -1;
	if (rc == 0)
		rc = stream_write_end(w, &err); /* the flush fails */
	CHECK(rc == -1 && err.status == TRAJ_EFAIL);
	CHECK(has(&err, "No space left on device"));
	if (w)
		stream_writer_free(w);
	fclose(full);
}

/* Reads buf[0, n) to the end (or the truncation) and resumes a writer
 * from it into `out`. */
static struct traj_writer *resume_from(const char *buf, size_t n, FILE *out,
				       enum traj_encoding enc, int key_every,
				       int64_t *ckpts)
{
	struct traj_error err;
	struct traj_write_opts o;
	stream_write_opts_default(&o);
	o.encoding = enc;
	o.key_every = key_every;
	FILE *f = reader_file(buf, n);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	while (stream_read_next(r, &err) > 0)
		;
	*ckpts = stream_reader_run_ckpts(r);
	struct traj_writer *w = stream_writer_resume(out, r, &o, &err);
	stream_reader_free(r);
	fclose(f);
	return w;
}

/* The property behind traj-train --resume: a writer resumed from what a
 * reader decoded writes what the original writer would have, byte for
 * byte, for every encoding, key interval and resume point, including a
 * resume point inside a torn checkpoint. */
static void test_writer_resume_is_bit_identical(void)
{
	static const int keys[] = {1, 2, 3, 16};
	int bad = 0;
	for (int e = 0; e < TRAJ_NENCODINGS; e++) {
		for (int ki = 0; ki < 4; ki++) {
			struct membuf full;
			mem_open(&full);
			write_stream(full.f, (enum traj_encoding)e, keys[ki], 7);
			mem_close(&full);
			int64_t ends[8];
			CHECK(ckpt_ends(full.buf, full.len, ends, 8) == 7);
			for (int j = 1; j < 7; j++) {
				/* cut after checkpoint j-1, or midway into j */
				size_t cut = (size_t)ends[j - 1] +
					     (j % 2 ? 0 : (size_t)(ends[j] - ends[j - 1]) / 2);
				struct membuf tail;
				int64_t done = 0;
				mem_open(&tail);
				struct traj_writer *w = resume_from(full.buf, cut, tail.f,
					(enum traj_encoding)e, keys[ki], &done);
				CHECK(w && done == j);
				if (w) {
					struct traj_error err;
					write_ckpts(w, j, 7);
					CHECK(stream_writer_close(w, &err) == 0);
				}
				mem_close(&tail);
				size_t head = (size_t)ends[j - 1];
				int same = head + tail.len == full.len &&
					   memcmp(full.buf + head, tail.buf, tail.len) == 0;
				if (!same && bad++ < 5)
					printf("#   %s key_every %d resumed after %d: differs\n",
					       stream_encoding_name((enum traj_encoding)e), keys[ki], j);
				free(tail.buf);
			}
			free(full.buf);
		}
	}
	CHECK(bad == 0);
}

int main(void)
{
	RUN(test_writer_misuse);
	RUN(test_write_error_reported);
	RUN(test_writer_resume_is_bit_identical);
	return harness_done();
}
