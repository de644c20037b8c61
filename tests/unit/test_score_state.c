/* run/score_state.h and stream_reader_seek: a state saved and loaded is
 * the same, a damaged one is refused, and going on from it decodes the
 * checkpoints after it bit for bit as a whole read does. */
#include "stream_fixture.h"
#include "run/score_state.h"

/* Reads the whole stream noting every record in a state; the state after
 * checkpoint `stop` (0-based) in *at. */
static void note_all(const char *buf, size_t len, int stop,
		     struct score_state *at, struct score_state *end)
{
	struct traj_error err;
	FILE *f = reader_file(buf, len);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	scorestate_init(end);
	int rc, k = 0;
	while ((rc = stream_read_next(r, &err)) > 0) {
		CHECK(scorestate_note(end, r, rc, &err) == 0);
		if (rc == TRAJ_REC_CKPT && k++ == stop)
			*at = *end;
	}
	CHECK(rc == TRAJ_REC_EOF);
	stream_reader_free(r);
	fclose(f);
}

static void test_save_load_roundtrip(void)
{
	struct membuf m;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 4, 10);
	mem_close(&m);
	struct score_state at, end, back;
	note_all(m.buf, m.len, 5, &at, &end);
	CHECK(at.step == 50 && at.ckpts == 6 && at.run_at == 0);
	CHECK(at.key_at > 0 && at.key_at < at.next);
	CHECK(end.next == (int64_t)m.len && end.step == 90 && end.ckpts == 10);
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	struct traj_error err;
	CHECK(scorestate_save(&at, f, &err) == 0);
	fclose(f);
	f = reader_file(text, n);
	CHECK(scorestate_load(&back, f, "st", &err) == 0);
	fclose(f);
	CHECK(memcmp(&back, &at, sizeof at) == 0);
	/* every bit matters: a flip anywhere, or a cut, is refused */
	int refused = 0;
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			text[i] ^= (char)(1 << bit);
			f = reader_file(text, n);
			refused += scorestate_load(&back, f, "st", &err) < 0;
			fclose(f);
			text[i] ^= (char)(1 << bit);
		}
		f = reader_file(text, i);
		refused += scorestate_load(&back, f, "st", &err) < 0;
		fclose(f);
	}
	CHECK(refused == 9 * (int)n);
	CHECK(back.run_at == -1 && back.step == -1); /* a new state after it */
	free(text);
	free(m.buf);
}

/* Goes on from the state after each checkpoint; what follows must be
 * the whole read's checkpoints, bit for bit. */
static void test_resume_decodes_what_follows(void)
{
	enum traj_encoding encs[] = {TRAJ_ENC_PRED2, TRAJ_ENC_XOR, TRAJ_ENC_DELTA};
	for (int e = 0; e < 3; e++) {
		struct membuf m;
		mem_open(&m);
		write_stream(m.f, encs[e], 4, 11);
		mem_close(&m);
		struct seen all;
		read_buf(m.buf, m.len, &all);
		for (int stop = 0; stop < 11; stop++) {
			struct score_state at, end;
			struct traj_error err;
			note_all(m.buf, m.len, stop, &at, &end);
			FILE *f = reader_file(m.buf, m.len);
			struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
			CHECK(scorestate_resume(r, &at, &err) == 1);
			CHECK(stream_reader_offset(r) == at.next);
			int rc, k = stop + 1;
			while ((rc = stream_read_next(r, &err)) > 0) {
				if (rc != TRAJ_REC_CKPT)
					continue;
				const struct traj_ckpt *c = stream_reader_ckpt(r);
				CHECK(k < all.nckpt && c->step == all.step[k]);
				for (int i = 0; k < all.nckpt && i < c->ntensors; i++)
					CHECK(same_tensor(&c->tensors[i], &all.tensors[k][i]));
				k++;
			}
			CHECK(rc == TRAJ_REC_EOF && k == all.nckpt);
			stream_reader_free(r);
			fclose(f);
		}
		seen_free(&all);
		free(m.buf);
	}
}

/* Another stream, a shorter one, a changed checkpoint: 0, not 1. */
static void test_resume_notices_another_stream(void)
{
	struct membuf a, b;
	mem_open(&a);
	write_stream(a.f, TRAJ_ENC_PRED2, 4, 8);
	mem_close(&a);
	mem_open(&b);
	write_stream(b.f, TRAJ_ENC_PRED2, 4, 5);
	mem_close(&b);
	struct score_state at, end;
	struct traj_error err;
	note_all(a.buf, a.len, 6, &at, &end);
	/* same run header, fewer checkpoints: shorter */
	FILE *f = reader_file(b.buf, b.len);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	CHECK(scorestate_resume(r, &at, &err) == 0);
	CHECK(has(&err, "shorter"));
	stream_reader_free(r);
	fclose(f);
	/* a checkpoint hash that differs */
	at.ckpt_hash ^= 1;
	f = reader_file(a.buf, a.len);
	r = stream_reader_open(f, "-", NULL, &err);
	CHECK(scorestate_resume(r, &at, &err) == 0);
	CHECK(has(&err, "not the one scored"));
	stream_reader_free(r);
	fclose(f);
	at.ckpt_hash ^= 1;
	/* another run header */
	at.run_hash ^= 1;
	f = reader_file(a.buf, a.len);
	r = stream_reader_open(f, "-", NULL, &err);
	CHECK(scorestate_resume(r, &at, &err) == 0);
	CHECK(has(&err, "not the run"));
	stream_reader_free(r);
	fclose(f);
	at.run_hash ^= 1;
	/* a key offset that is not a checkpoint */
	at.key_at += 3;
	f = reader_file(a.buf, a.len);
	r = stream_reader_open(f, "-", NULL, &err);
	CHECK(scorestate_resume(r, &at, &err) == 0);
	CHECK(has(&err, "changed"));
	stream_reader_free(r);
	fclose(f);
	free(a.buf);
	free(b.buf);
}

static void test_seek_refused_inside_a_checkpoint(void)
{
	struct membuf m;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 4, 3);
	mem_close(&m);
	int64_t ends[4];
	CHECK(ckpt_ends(m.buf, m.len, ends, 4) == 3);
	struct traj_error err;
	FILE *f = reader_file(m.buf, (size_t)ends[0] - 5);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_RUN);
	CHECK(stream_reader_seek(r, -1, &err) < 0 && err.status == TRAJ_EINTERNAL);
	CHECK(stream_read_next(r, &err) < 0 && err.status == TRAJ_ETRUNC);
	CHECK(stream_reader_seek(r, 0, &err) < 0 && err.status == TRAJ_EINTERNAL);
	stream_reader_free(r);
	fclose(f);
	free(m.buf);
}

int main(void)
{
	RUN(test_save_load_roundtrip);
	RUN(test_resume_decodes_what_follows);
	RUN(test_resume_notices_another_stream);
	RUN(test_seek_refused_inside_a_checkpoint);
	return harness_done();
}
