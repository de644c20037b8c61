/* The reader's memory budget (formats/traj-stream.md, "Memory budget"):
 * the decoded bytes kept from one checkpoint are checked against it
 * before anything is allocated, TRAJ_CKPT_BUDGET sets it, and a skipped
 * tensor is verified in pieces (a frame of many VERIFY_CHUNKs, damaged or
 * cut anywhere, is still caught) without counting against it. */
#include "stream_fixture.h"

/* One run, one key checkpoint at step 5: tensor "w" f32 [n] of random
 * bits (incompressible, so its frame spans many pieces), then "b" f32
 * [4]; names given, so either can be skipped. */
static void write_budget_stream(struct membuf *m, const char *big, int64_t n,
			 const char *small)
{
	struct traj_error err;
	mem_open(m);
	struct traj_writer *w = open_writer(m->f, TRAJ_ENC_PRED2, 16);
	struct traj_tensor t[2];
	int64_t shape_big[] = {n}, shape_small[] = {4};
	CHECK(tensor_alloc(&t[0], big, TRAJ_F32, 1, shape_big) == 0);
	CHECK(tensor_alloc(&t[1], small, TRAJ_F32, 1, shape_small) == 0);
	struct rng r;
	rng_seed(&r, 11);
	uint32_t *bits = t[0].data;
	for (int64_t i = 0; i < n; i++)
		bits[i] = (uint32_t)rng_next(&r);
	memset(t[1].data, 0, 16);
	CHECK(w && stream_write_begin(w, 5, 2, NULL, &err) == 0);
	for (int i = 0; i < 2; i++) {
		CHECK(stream_write_tensor(w, &t[i], &err) == 0);
		tensor_free(&t[i]);
	}
	CHECK(stream_write_end(w, &err) == 0);
	CHECK(stream_writer_close(w, &err) == 0);
	mem_close(m);
}

/* Reads buf[0..n) with `lim` (NULL: defaults and the environment),
 * skipping "optim/" when asked. */
static void read_with(const char *buf, size_t n,
		      const struct traj_read_limits *lim, int skip, struct seen *s)
{
	FILE *f = reader_file(buf, n);
	memset(s, 0, sizeof *s);
	struct traj_reader *r = stream_reader_open(f, "-", lim, &s->err);
	if (!r) {
		s->rc = -1;
		fclose(f);
		return;
	}
	if (skip)
		stream_reader_skip_prefix(r, "optim/");
	int rc;
	while ((rc = stream_read_next(r, &s->err)) > 0)
		if (rc == TRAJ_REC_CKPT && s->nckpt < MAX_SEEN)
			copy_ckpt(s, stream_reader_ckpt(r));
	s->rc = rc;
	stream_reader_free(r);
	fclose(f);
}

static const char *find(const char *hay, size_t n, const char *needle, size_t k)
{
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

#define BIG ((int64_t)1 << 18) /* f32 elements: 1 MiB, 8 pieces */

static void test_budget_counts_kept_bytes(void)
{
	struct membuf m;
	struct seen s;
	struct traj_read_limits lim;
	write_budget_stream(&m, "w", BIG, "b");
	stream_read_limits_default(&lim);
	lim.max_ckpt = BIG * 4 + 16; /* exactly both tensors */
	read_with(m.buf, m.len, &lim, 0, &s);
	CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 1 && s.ntensors[0] == 2);
	seen_free(&s);
	lim.max_ckpt = BIG * 4 + 15; /* one byte short: "b" breaks it */
	read_with(m.buf, m.len, &lim, 0, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA && s.nckpt == 0);
	CHECK(has(&s.err, "tensor 'b' (16 bytes) takes the checkpoint at step 5 "
			  "past its budget of 1048591 bytes (TRAJ_CKPT_BUDGET"));
	CHECK(s.err.offset > 0 && !strchr(s.err.msg, '\n'));
	seen_free(&s);
	free(m.buf);
}

static void test_skipped_tensors_verified_in_pieces_outside_the_budget(void)
{
	struct membuf m;
	struct seen s;
	struct traj_read_limits lim;
	write_budget_stream(&m, "optim/big", BIG, "b");
	stream_read_limits_default(&lim);
	lim.max_ckpt = 16;
	read_with(m.buf, m.len, &lim, 1, &s);
	CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 1 && s.ntensors[0] == 1);
	CHECK(s.nckpt == 1 && strcmp(s.tensors[0][0].name, "b") == 0);
	seen_free(&s);
	read_with(m.buf, m.len, &lim, 0, &s); /* kept, it breaks the budget */
	CHECK(s.rc == -1 && has(&s.err, "tensor 'optim/big'"));
	seen_free(&s);

	/* Where the data frame of optim/big lies: after its record. */
	const char *rec = find(m.buf, m.len, "\"optim/big\"", 11);
	CHECK(rec != NULL);
	if (!rec) {
		free(m.buf);
		return;
	}
	const char *frame = find(rec, m.len - (size_t)(rec - m.buf),
				   "\x28\xb5\x2f\xfd", 4);
	size_t at = (size_t)(frame - m.buf);
	CHECK(m.len - at > 6 * ((size_t)1 << 17)); /* many pieces */
	/* a bit flipped in several places of the frame, far into it */
	size_t offs[] = {at + 200000, at + 700000, m.len - 200};
	for (size_t i = 0; i < 3; i++) {
		char *copy = malloc(m.len);
		memcpy(copy, m.buf, m.len);
		copy[offs[i]] ^= 0x04;
		read_with(copy, m.len, &lim, 1, &s);
		CHECK(s.rc == -1 && s.nckpt == 0);
		if (offs[i] < m.len - 300)
			CHECK(s.err.status == TRAJ_EDATA && has(&s.err, "optim/big"));
		seen_free(&s);
		free(copy);
	}
	/* cut inside the frame: truncated, not invalid */
	read_with(m.buf, at + 500000, &lim, 1, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_ETRUNC);
	seen_free(&s);
	free(m.buf);
}

static void test_budget_from_the_environment(void)
{
	struct membuf m;
	struct seen s;
	write_budget_stream(&m, "w", 256, "b");
	setenv("TRAJ_CKPT_BUDGET", "1K", 1);
	read_with(m.buf, m.len, NULL, 0, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA &&
	      has(&s.err, "tensor 'b' (16 bytes)") && has(&s.err, "budget of 1024 bytes"));
	seen_free(&s);
	setenv("TRAJ_CKPT_BUDGET", "1040", 1);
	read_with(m.buf, m.len, NULL, 0, &s);
	CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 1);
	seen_free(&s);
	static const char *bad[] = {"", "0", "-1", "1.5G", "12Q", "1KB", " 1",
				    "99999999999999999999", "8388608T"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setenv("TRAJ_CKPT_BUDGET", bad[i], 1);
		read_with(m.buf, m.len, NULL, 0, &s);
		CHECK(s.rc == -1 && s.err.status == TRAJ_EUSAGE &&
		      has(&s.err, "TRAJ_CKPT_BUDGET"));
		seen_free(&s);
	}
	/* a budget above the tensor limit raises that limit with it */
	struct traj_read_limits lim;
	stream_read_limits_default(&lim);
	setenv("TRAJ_CKPT_BUDGET", "4G", 1);
	CHECK(stream_read_limits_env(&lim, NULL) == 0);
	CHECK(lim.max_ckpt == (int64_t)4 << 30 && lim.max_tensor == (int64_t)4 << 30);
	unsetenv("TRAJ_CKPT_BUDGET");
	free(m.buf);
}

int main(void)
{
	RUN(test_budget_counts_kept_bytes);
	RUN(test_skipped_tensors_verified_in_pieces_outside_the_budget);
	RUN(test_budget_from_the_environment);
	return harness_done();
}
