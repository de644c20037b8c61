/* The checkpoint stream's reader (formats/traj-stream.md): limits,
 * frames and record payloads read incrementally with fread (pipes work),
 * header checks (CRC-32, JSON), and follow mode. The records themselves
 * are handled in stream_read_records.c. */
#include "format/stream_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/jsontext.h"

/* cJSON answers NULL both for bad text and for a failed allocation; its
 * allocation hook notes the latter, so that a reader out of memory says
 * so (status 71) instead of calling good data invalid. */
static int json_alloc_failed;

static void *json_malloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		json_alloc_failed = 1;
	return p;
}

static void json_hooks_install(void)
{
	static int done;
	if (!done) {
		cJSON_Hooks hooks = {json_malloc, free};
		cJSON_InitHooks(&hooks);
		done = 1;
	}
}

void stream_read_limits_default(struct traj_read_limits *limits)
{
	limits->max_header = DEFAULT_MAX_HEADER;
	limits->max_tensor = DEFAULT_MAX_TENSOR;
	limits->max_tensors = DEFAULT_MAX_TENSORS;
	limits->max_ckpt = DEFAULT_MAX_CKPT;
}

/* "4096", "512M", "2G": a whole number of bytes >= 1, K/M/G/T are powers
 * of 1024; at most 2^62. */
static int parse_size(const char *s, int64_t *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = 0;
	if (*end && strchr("KMGT", *end) && end[1] == '\0')
		shift = 10 * (int)(strchr("KMGT", *end) - "KMGT" + 1);
	else if (*end)
		return -1;
	if (errno || v == 0 || v > (1ULL << 62) >> shift)
		return -1;
	*out = (int64_t)(v << shift);
	return 0;
}

int stream_read_limits_env(struct traj_read_limits *limits,
			   struct traj_error *err)
{
	const char *v = getenv(STREAM_BUDGET_ENV);
	if (!v)
		return 0;
	int64_t budget;
	if (parse_size(v, &budget))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "%s: '%.32s' is not a size in bytes (like 4096, 512M, 2G)",
				 STREAM_BUDGET_ENV, v);
	limits->max_ckpt = budget;
	if (budget > limits->max_tensor)
		limits->max_tensor = budget;
	return 0;
}

struct traj_reader *stream_reader_open(FILE *in, const char *name,
				       const struct traj_read_limits *limits,
				       struct traj_error *err)
{
	(void)name; /* messages never name the input: the caller prefixes it */
	json_hooks_install();
	struct traj_reader *r = calloc(1, sizeof *r);
	if (!r || !(r->dctx = ZSTD_createDCtx())) {
		stream_reader_free(r);
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		return NULL;
	}
	r->in = in;
	r->last.step = -1;
	if (limits) {
		r->lim = *limits;
	} else {
		stream_read_limits_default(&r->lim);
		if (stream_read_limits_env(&r->lim, err)) {
			stream_reader_free(r);
			return NULL;
		}
	}
	return r;
}

void stream_reader_follow(struct traj_reader *r,
			  const volatile sig_atomic_t *stop)
{
	struct stat st;
	r->stop = stop;
	r->follow_file = stop && fstat(fileno(r->in), &st) == 0 &&
			 S_ISREG(st.st_mode);
}

void stream_reader_skip_prefix(struct traj_reader *r, const char *prefix)
{
	r->skip = prefix && *prefix ? prefix : NULL;
}

const struct traj_ckpt *stream_reader_last_ckpt(const struct traj_reader *r)
{
	return &r->last;
}

int64_t stream_reader_run_ckpts(const struct traj_reader *r)
{
	return r->run_ckpts;
}

int64_t stream_reader_record_offset(const struct traj_reader *r)
{
	return r->rec_at;
}

void stream_reader_free(struct traj_reader *r)
{
	if (!r)
		return;
	ZSTD_freeDCtx(r->dctx);
	cJSON_Delete(r->run);
	stream_set_free(&r->cur);
	stream_set_free(&r->prev);
	stream_set_free(&r->prev2);
	free(r->payload);
	free(r->zbuf);
	free(r->dec);
	free(r->piece);
	free(r);
}

const cJSON *stream_reader_run(const struct traj_reader *r)
{
	return r->run;
}

const struct traj_ckpt *stream_reader_ckpt(const struct traj_reader *r)
{
	return &r->view;
}

const struct traj_tensor *stream_ckpt_find(const struct traj_ckpt *c, const char *name)
{
	for (int i = 0; i < c->ntensors; i++)
		if (strcmp(c->tensors[i].name, name) == 0)
			return &c->tensors[i];
	return NULL;
}

int64_t stream_reader_offset(const struct traj_reader *r)
{
	return r->off;
}

int stream_reader_seek(struct traj_reader *r, int64_t offset,
		       struct traj_error *err)
{
	if ((r->state != IN_RUN && r->state != AT_START) || offset < 0)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "seek inside a checkpoint, after an error or to a negative offset");
	if (fseeko(r->in, (off_t)offset, SEEK_SET) != 0)
		return traj_fail(err, TRAJ_EFAIL, r->off, "cannot seek to byte %lld: %s",
				 (long long)offset, strerror(errno));
	clearerr(r->in);
	stream_set_clear(&r->cur);
	stream_set_clear(&r->prev);
	stream_set_clear(&r->prev2);
	memset(&r->view, 0, sizeof r->view);
	memset(&r->last, 0, sizeof r->last);
	r->last.step = -1;
	r->run_ckpts = 0;
	r->off = offset;
	return 0;
}

int stream_ckpt_truncated(const struct traj_reader *r, struct traj_error *err)
{
	if (r->stopped)
		return TRAJ_REC_EOF; /* asked to stop: not an error */
	return traj_fail(err, TRAJ_ETRUNC, r->ckpt_at,
			 "truncated in checkpoint at step %lld (record at byte %lld)",
			 (long long)r->cur.step, (long long)r->ckpt_at);
}

#define FOLLOW_POLL_NS 50000000L /* 50 ms between looks at a followed file */

/* At the end of a followed file: 1 to try again, 0 when the end is the
 * end, -1 when the file shrank under us. `have` bytes were consumed. */
static int follow_wait(struct traj_reader *r, int64_t have,
		       struct traj_error *err)
{
	if (!r->stop || r->state == AFTER_END)
		return 0;
	if (*r->stop) {
		r->stopped = 1;
		return 0;
	}
	if (!r->follow_file)
		return 0;
	struct stat st;
	if (fstat(fileno(r->in), &st) == 0 && st.st_size < have)
		return traj_fail(err, TRAJ_EDATA, have,
				 "input shrank to %lld bytes while followed",
				 (long long)st.st_size);
	struct timespec ts = {0, FOLLOW_POLL_NS};
	nanosleep(&ts, NULL); /* a signal cuts it short: fine */
	if (*r->stop) {
		r->stopped = 1;
		return 0;
	}
	clearerr(r->in);
	return 1;
}

/* Reads exactly n bytes: 0 when done, 1 at end of input (*got bytes
 * read), -1 on an I/O error. Plain fread, so pipes work. A signal that
 * interrupts a read (EINTR) is not an error unless it asks to stop. */
static int read_exact(struct traj_reader *r, void *buf, size_t n, size_t *got,
		      struct traj_error *err)
{
	size_t k = 0;
	int rc = 0;
	while (k < n) {
		errno = 0;
		k += fread((char *)buf + k, 1, n - k, r->in);
		if (k == n)
			break;
		if (ferror(r->in)) {
			int e = errno;
			if (e == EINTR && !(r->stop && *r->stop)) {
				clearerr(r->in);
				continue;
			}
			if (e == EINTR)
				r->stopped = 1;
			rc = e == EINTR ? 1 : traj_fail(err, TRAJ_EFAIL, r->off + (int64_t)k,
							 "read error: %s",
							 strerror(e ? e : EIO));
			break;
		}
		rc = follow_wait(r, r->off + (int64_t)k, err);
		if (rc <= 0) {
			rc = rc < 0 ? -1 : 1;
			break;
		}
		rc = 0;
	}
	r->off += (int64_t)k;
	if (got)
		*got = k;
	return rc;
}

int stream_read_piece(struct traj_reader *r, void *buf, size_t n,
		      struct traj_error *err)
{
	return read_exact(r, buf, n, NULL, err);
}

/* Reads n bytes into *buf, growing it as data actually arrives, so a
 * header that lies about a size costs no more memory than the input. */
int stream_read_growing(struct traj_reader *r, uint8_t **buf, size_t *cap,
		 size_t n, struct traj_error *err)
{
	size_t done = 0;
	while (done < n) {
		size_t want = *cap > done ? *cap : done * 2;
		if (want < ((size_t)1 << 20))
			want = (size_t)1 << 20;
		if (want > n)
			want = n;
		if (stream_grow(buf, cap, want))
			return traj_fail(err, TRAJ_ENOMEM, r->off, "out of memory");
		int rc = read_exact(r, *buf + done, want - done, NULL, err);
		if (rc)
			return rc;
		done = want;
	}
	return 0;
}

/* Skips a foreign skippable frame without storing it. */
static int skip_bytes(struct traj_reader *r, uint64_t n, struct traj_error *err)
{
	uint8_t chunk[4096];
	while (n > 0) {
		size_t k = n < sizeof chunk ? (size_t)n : sizeof chunk;
		int rc = read_exact(r, chunk, k, NULL, err);
		if (rc)
			return rc;
		n -= k;
	}
	return 0;
}

static int end_of_input(struct traj_reader *r, struct traj_error *err)
{
	if (r->stopped)
		return TRAJ_REC_EOF;
	if (r->state == AT_START)
		return traj_fail(err, TRAJ_EDATA, 0,
				 "empty input, not a traj stream");
	if (r->state == IN_CKPT)
		return stream_ckpt_truncated(r, err);
	return TRAJ_REC_EOF;
}

int stream_not_traj(struct traj_error *err)
{
	return traj_fail(err, TRAJ_EDATA, 0,
			 "not a traj stream (expected a run record at byte 0)");
}

/* The input ended inside the frame that starts at `at`. */
static int truncated_at(struct traj_reader *r, int64_t at, struct traj_error *err)
{
	if (r->stopped)
		return TRAJ_REC_EOF;
	if (r->state == IN_CKPT)
		return stream_ckpt_truncated(r, err);
	return traj_fail(err, TRAJ_ETRUNC, at,
			 "truncated in the record at byte %lld", (long long)at);
}

/* Reads and checks the payload of a record frame (the tag is already
 * read), then parses its JSON. */
static int read_record(struct traj_reader *r, int64_t at, uint32_t len,
		       struct traj_error *err)
{
	if (len > r->lim.max_header)
		return stream_record_fail(err, TRAJ_EDATA, at, "a",
				   "header of %u bytes exceeds the limit of %u",
				   len, r->lim.max_header);
	if (len < MIN_PAYLOAD)
		return stream_record_fail(err, TRAJ_EDATA, at, "a",
				   "payload of %u bytes is too short", len);
	if (stream_grow(&r->payload, &r->payload_cap, (size_t)len + 1))
		return traj_fail(err, TRAJ_ENOMEM, at, "out of memory");
	memcpy(r->payload, TAG, TAG_LEN);
	int rc = read_exact(r, r->payload + TAG_LEN, len - TAG_LEN, NULL, err);
	if (rc)
		return rc < 0 ? rc : truncated_at(r, at, err);
	uint32_t stored = stream_get_le32(r->payload + len - CRC_LEN);
	uint32_t crc = stream_crc32(0, r->payload, len - CRC_LEN);
	if (stored != crc)
		return stream_record_fail(err, TRAJ_EDATA, at, "a",
				   "header checksum mismatch (stored %08x, computed %08x)",
				   stored, crc);
	char *text = (char *)r->payload + TAG_LEN;
	size_t tlen = len - TAG_LEN - CRC_LEN;
	if (memchr(text, 0, tlen))
		return stream_record_fail(err, TRAJ_EDATA, at, "a",
				   "header contains a NUL byte");
	text[tlen] = '\0'; /* over the checked CRC */
	const char *why;
	size_t pos;
	if (json_text_check(text, tlen, JSON_MAX_DEPTH, &why, &pos))
		return stream_record_fail(err, TRAJ_EDATA, at, "a",
				   "JSON header at byte %lld: %s",
				   (long long)(at + FRAME_HEADER_LEN + TAG_LEN +
					       (int64_t)pos), why);
	const char *end = NULL;
	json_alloc_failed = 0;
	cJSON *json = cJSON_ParseWithLengthOpts(text, tlen + 1, &end, 1);
	if (!json && json_alloc_failed)
		return traj_fail(err, TRAJ_ENOMEM, at, "out of memory");
	if (!json)
		return stream_record_fail(err, TRAJ_EDATA, at, "a",
				   "invalid JSON header near byte %lld",
				   (long long)(at + FRAME_HEADER_LEN + TAG_LEN +
					       (end ? end - text : 0)));
	int enomem = 0;
	const char *dup = cJSON_IsObject(json) ? json_duplicate_key(json, &enomem) : NULL;
	if (!cJSON_IsObject(json) || dup || enomem) {
		rc = enomem ? traj_fail(err, TRAJ_ENOMEM, at, "out of memory") :
		     dup ? stream_record_fail(err, TRAJ_EDATA, at, "a",
				       "duplicate key '%.64s' in header", dup) :
			   stream_record_fail(err, TRAJ_EDATA, at, "a",
				       "header is not a JSON object");
		cJSON_Delete(json);
		return rc;
	}
	return stream_on_record(r, at, json, err);
}

/* Whether the first n bytes of the input could start a record. */
static int magic_prefix(const uint8_t *head, size_t n)
{
	uint8_t magic[4];
	stream_put_le32(magic, RECORD_MAGIC);
	return memcmp(head, magic, n < 4 ? n : 4) == 0;
}

/* Reads one frame; returns a traj_record, CONTINUE, or -1. */
static int read_frame(struct traj_reader *r, struct traj_error *err)
{
	int64_t at = r->off;
	uint8_t head[FRAME_HEADER_LEN];
	size_t got;
	int rc = read_exact(r, head, sizeof head, &got, err);
	if (rc < 0)
		return -1;
	if (rc > 0 && got == 0)
		return end_of_input(r, err);
	if (rc > 0 && r->stopped)
		return TRAJ_REC_EOF;
	if (rc > 0 && r->state == AT_START && !magic_prefix(head, got))
		return stream_not_traj(err);
	if (rc > 0)
		return truncated_at(r, at, err);
	uint32_t magic = stream_get_le32(head), len = stream_get_le32(head + 4);
	if ((magic & SKIPPABLE_MASK) != SKIPPABLE_FIRST) {
		if (r->state == AT_START)
			return stream_not_traj(err);
		if (magic == ZSTD_FRAME_MAGIC)
			return traj_fail(err, TRAJ_EDATA, at,
					 "zstd data frame at byte %lld where a record was expected",
					 (long long)at);
		return traj_fail(err, TRAJ_EDATA, at,
				 "bad frame magic 0x%08x at byte %lld, expected a zstd frame",
				 magic, (long long)at);
	}
	uint8_t tag[TAG_LEN];
	int ours = 0;
	if (magic == RECORD_MAGIC && len >= TAG_LEN) {
		rc = read_exact(r, tag, TAG_LEN, NULL, err);
		if (rc)
			return rc < 0 ? rc : truncated_at(r, at, err);
		ours = memcmp(tag, TAG, TAG_LEN) == 0;
		len -= TAG_LEN;
		if (ours)
			return read_record(r, at, len + TAG_LEN, err);
	}
	if (r->state == AT_START)
		return stream_not_traj(err);
	rc = skip_bytes(r, len, err); /* another tool's skippable frame */
	if (rc)
		return rc < 0 ? rc : truncated_at(r, at, err);
	return CONTINUE;
}

int stream_read_next(struct traj_reader *r, struct traj_error *err)
{
	if (r->state == BROKEN)
		return traj_fail(err, TRAJ_EINTERNAL, r->off,
				 "stream reader used after an error");
	int rc;
	memset(&r->view, 0, sizeof r->view);
	do
		rc = read_frame(r, err);
	while (rc == CONTINUE);
	if (rc < 0)
		r->state = BROKEN;
	return rc;
}
