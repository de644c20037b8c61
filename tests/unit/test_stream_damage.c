/* Damaged checkpoint streams: cut at every offset, or with a bit flipped,
 * a stream reads as the checkpoints before the damage and then fails, or
 * as the same data; never as different data. Also with tensors skipped
 * by prefix, for the last checkpoint of a torn stream, and on a real
 * traj-train stream (formats/vectors/trained-mlp.traj: run from the
 * repository root). */
#include "stream_fixture.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, k;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
		}
		k = fread(buf + n, 1, cap - n, f);
		n += k;
	} while (k > 0);
	fclose(f);
	*len = n;
	return buf;
}

static void test_truncation_at_every_offset(void)
{
	struct membuf m;
	struct seen want, s;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 2, 4);
	mem_close(&m);
	read_buf(m.buf, m.len, &want);
	int64_t ends[8];
	int nends = ckpt_ends(m.buf, m.len, ends, 8);
	CHECK(nends == 4);
	int bad = 0;
	for (size_t cut = 0; cut < m.len; cut++) {
		read_buf(m.buf, cut, &s);
		int complete = 0;
		while (complete < nends && ends[complete] <= (int64_t)cut)
			complete++;
		int clean = cut > 0 && complete > 0 && ends[complete - 1] == (int64_t)cut;
		int ok = s.nckpt == complete;
		for (int k = 0; ok && k < s.nckpt; k++)
			ok = same_ckpt(&s, &want, k);
		if (clean)
			ok = ok && s.rc == TRAJ_REC_EOF;
		else if (complete == 0 && cut > 0 && cut < 60)
			ok = ok && s.rc == -1; /* inside or just after the run record */
		else if (!clean && cut > (size_t)ends[0])
			ok = ok && s.rc == -1 && (s.err.status == TRAJ_ETRUNC ||
						  s.err.status == TRAJ_EDATA);
		if (cut == 0)
			ok = ok && s.rc == -1 && s.err.status == TRAJ_EDATA &&
			     strstr(s.err.msg, "empty input");
		if (!ok && bad++ < 5)
			printf("#   cut at %zu: %d ckpts, rc %d: %s\n", cut,
			       s.nckpt, s.rc, s.err.msg);
		seen_free(&s);
	}
	CHECK(bad == 0);
	printf("#   %zu truncation offsets\n", m.len);
	/* Inside a checkpoint the status is ETRUNC and names the step. */
	read_buf(m.buf, (size_t)(ends[1] + ends[2]) / 2, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_ETRUNC);
	CHECK(has(&s.err, "truncated in checkpoint at step 20"));
	seen_free(&s);
	seen_free(&want);
	free(m.buf);
}

/* A small stream exercising every record and encoding, for bit flips. */
static void write_small(FILE *out)
{
	struct traj_error err;
	struct traj_writer *w = open_writer(out, TRAJ_ENC_PRED2, 3);
	for (int k = 0; k < 4; k++) {
		int64_t shape[] = {2, 3}, s2[] = {2};
		struct traj_tensor t[2];
		make_tensor(&t[0], "w", TRAJ_F32, 2, shape, k);
		make_tensor(&t[1], "optim/v", TRAJ_F64, 1, s2, k);
		cJSON *m = cJSON_CreateObject();
		cJSON_AddNumberToObject(m, "loss", 2.0 - k);
		stream_write_begin(w, 100 * k, 2, m, &err);
		cJSON_Delete(m);
		for (int i = 0; i < 2; i++) {
			stream_write_tensor(w, &t[i], &err);
			tensor_free(&t[i]);
		}
		stream_write_end(w, &err);
	}
	stream_writer_close(w, &err);
}

/* Reads buf with one bit flipped: either an error after checkpoints
 * equal to want's first ones, or all of want (counted in *accepted). */
static int flip_reads_same_or_fails(char *buf, size_t len, size_t bit,
				    const struct seen *want, int *accepted)
{
	struct seen s;
	buf[bit / 8] ^= (char)(1 << (bit % 8));
	read_buf(buf, len, &s);
	buf[bit / 8] ^= (char)(1 << (bit % 8));
	int ok = s.nckpt <= want->nckpt;
	for (int k = 0; ok && k < s.nckpt; k++)
		ok = same_ckpt(&s, want, k);
	if (s.rc == TRAJ_REC_EOF) {
		(*accepted)++;
		ok = ok && s.nckpt == want->nckpt;
	}
	seen_free(&s);
	return ok;
}

static void test_every_bit_flip_detected_or_harmless(void)
{
	struct membuf m;
	struct seen want;
	mem_open(&m);
	write_small(m.f);
	mem_close(&m);
	read_buf(m.buf, m.len, &want);
	CHECK(want.rc == TRAJ_REC_EOF && want.nckpt == 4);
	int silent = 0, accepted = 0;
	for (size_t bit = 0; bit < m.len * 8; bit++)
		if (!flip_reads_same_or_fails(m.buf, m.len, bit, &want, &accepted) &&
		    silent++ < 5)
			printf("#   flip of bit %zu gave different data\n", bit);
	CHECK(silent == 0);
	/* Accepted flips are in parts that do not matter: zstd frame header
	 * fields with no effect on the content, or a skipped end record. */
	printf("#   %d of %zu flips read as identical data\n", accepted, m.len * 8);
	seen_free(&want);
	free(m.buf);
}

/* A torn key checkpoint must not take the previous one with it. */
static void test_last_ckpt_survives_torn_key_ckpt(void)
{
	struct membuf m;
	struct seen want;
	struct traj_error err;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 2, 4);
	mem_close(&m);
	read_buf(m.buf, m.len, &want);
	int64_t ends[4];
	CHECK(ckpt_ends(m.buf, m.len, ends, 4) == 4);
	/* checkpoint 2 is key; cut it in the middle */
	FILE *f = reader_file(m.buf, (size_t)(ends[1] + ends[2]) / 2);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	int rc;
	while ((rc = stream_read_next(r, &err)) > 0)
		;
	CHECK(rc == -1 && err.status == TRAJ_ETRUNC);
	const struct traj_ckpt *last = stream_reader_last_ckpt(r);
	CHECK(last->step == 10 && stream_reader_run_ckpts(r) == 2);
	CHECK(last->ntensors == want.ntensors[1]);
	for (int i = 0; i < last->ntensors && i < want.ntensors[1]; i++)
		CHECK(same_tensor(&last->tensors[i], &want.tensors[1][i]));
	stream_reader_free(r);
	fclose(f);
	seen_free(&want);
	free(m.buf);
}

/* Reading with skip: every flipped-bit copy of a stream either fails or
 * gives the kept tensors unchanged, and skipping accepts no flip that a
 * full read rejects (skipped frames are still verified). */
static void test_skip_prefix_still_verifies(void)
{
	struct membuf m;
	struct traj_error err;
	mem_open(&m);
	write_small(m.f);
	mem_close(&m);
	int accepted[2] = {0, 0}, wrong = 0;
	for (size_t bit = 0; bit < m.len * 8; bit++) {
		m.buf[bit / 8] ^= (char)(1 << (bit % 8));
		for (int skip = 0; skip < 2; skip++) {
			FILE *f = reader_file(m.buf, m.len);
			struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
			if (skip)
				stream_reader_skip_prefix(r, "optim/");
			int rc, k = 0;
			while ((rc = stream_read_next(r, &err)) > 0) {
				if (rc != TRAJ_REC_CKPT)
					continue;
				const struct traj_ckpt *c = stream_reader_ckpt(r);
				struct traj_tensor w;
				int64_t shape[] = {2, 3};
				make_tensor(&w, "w", TRAJ_F32, 2, shape, k++);
				const struct traj_tensor *got = stream_ckpt_find(c, "w");
				wrong += !got || !same_tensor(got, &w) ||
					 c->ntensors != 2 - skip;
				tensor_free(&w);
			}
			accepted[skip] += rc == TRAJ_REC_EOF;
			stream_reader_free(r);
			fclose(f);
		}
		m.buf[bit / 8] ^= (char)(1 << (bit % 8));
	}
	CHECK(wrong == 0);
	CHECK(accepted[1] == accepted[0]);
	printf("#   %zu flips: %d and %d accepted without and with skipping\n",
	       m.len * 8, accepted[0], accepted[1]);
	free(m.buf);
}

/* A real traj-train stream (formats/vectors/trained-mlp.traj: an MLP on
 * a+b mod 5 with its resume state) cut at every offset and with every
 * single bit flipped: read correctly, or rejected; never different. */
static void test_trained_stream_truncation_and_flips(void)
{
	size_t len;
	char *buf = slurp("formats/vectors/trained-mlp.traj", &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	struct seen want, s;
	read_buf(buf, len, &want);
	CHECK(want.rc == TRAJ_REC_EOF && want.nckpt == 4);
	int64_t ends[8];
	int nends = ckpt_ends(buf, len, ends, 8);
	int bad = 0, accepted = 0;
	size_t ncuts = 0;
	/* every offset through the run record and first records, then
	 * every 5th (the synthetic stream above has every one) */
	for (size_t cut = 1; cut < len; cut += cut < 1024 ? 1 : 5, ncuts++) {
		read_buf(buf, cut, &s);
		int ok = s.nckpt <= nends;
		for (int k = 0; ok && k < s.nckpt; k++)
			ok = same_ckpt(&s, &want, k) && ends[k] <= (int64_t)cut;
		/* a clean end: right after a checkpoint, or after the run
		 * record and before any checkpoint */
		ok = ok && (s.rc == TRAJ_REC_EOF ?
			    (s.nckpt ? ends[s.nckpt - 1] == (int64_t)cut : cut < (size_t)ends[0]) :
			    s.rc == -1 && (s.err.status == TRAJ_ETRUNC ||
					   s.err.status == TRAJ_EDATA));
		if (!ok && bad++ < 5)
			printf("#   cut at %zu: %d ckpts, rc %d: %s\n", cut, s.nckpt,
			       s.rc, s.err.msg);
		seen_free(&s);
	}
	/* every 7th bit: each byte, at a varying bit (7 is prime to 8) */
	size_t nflips = 0;
	for (size_t bit = 0; bit < len * 8; bit += 7, nflips++)
		if (!flip_reads_same_or_fails(buf, len, bit, &want, &accepted) &&
		    bad++ < 5)
			printf("#   flip of bit %zu: different data\n", bit);
	CHECK(bad == 0);
	printf("#   trained stream: %zu cuts, %zu flips (%d read as identical)\n",
	       ncuts, nflips, accepted);
	seen_free(&want);
	free(buf);
}

int main(void)
{
	RUN(test_truncation_at_every_offset);
	RUN(test_every_bit_flip_detected_or_harmless);
	RUN(test_last_ckpt_survives_torn_key_ckpt);
	RUN(test_skip_prefix_still_verifies);
	RUN(test_trained_stream_truncation_and_flips);
	return harness_done();
}
