/* The checkpoint stream's writer (formats/traj-stream.md): records,
 * encoded and compressed tensors, the reference window; its options and
 * their JSON form; resuming a writer from what a reader read. */
#include "format/stream_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "format/encode.h"

void stream_write_opts_default(struct traj_write_opts *opts)
{
	/* pred2 and level 1: the best ratio of the encodings, and level 3
	 * compresses these residuals no better but ~40% slower (measured
	 * on a simulated AdamW trajectory; see the spec). */
	opts->encoding = TRAJ_ENC_PRED2;
	opts->key_every = 16;
	opts->level = 1;
	opts->sync = 0;
}

struct traj_writer {
	FILE *out;
	struct traj_write_opts opts;
	ZSTD_CCtx *cctx;
	int64_t nckpt;          /* checkpoints begun */
	int in_ckpt;
	int expected;           /* tensors announced by the ckpt record */
	int failed;
	struct tensor_set cur, prev, prev2;
	uint8_t *enc, *z;       /* encoded and compressed tensor buffers */
	size_t enc_cap, z_cap;
};

static int write_fail(struct traj_writer *w, struct traj_error *err)
{
	int e = errno;
	if (w)
		w->failed = 1;
	return traj_fail(err, TRAJ_EFAIL, -1, "write error: %s",
			 strerror(e ? e : EIO));
}

/* A signal may interrupt a write (EINTR) after part of it went out:
 * the rest is written again, and anything else is an error. */
static int write_bytes(struct traj_writer *w, FILE *out, const void *p,
		       size_t n, struct traj_error *err)
{
	const char *c = p;
	while (n > 0) {
		errno = 0;
		size_t k = fwrite(c, 1, n, out);
		c += k;
		n -= k;
		if (n == 0)
			break;
		if (errno != EINTR)
			return write_fail(w, err);
		clearerr(out);
	}
	return 0;
}

static int write_record_to(struct traj_writer *w, FILE *out, const char *json,
			   size_t len, struct traj_error *err)
{
	if (len > UINT32_MAX - TAG_LEN - CRC_LEN - 1)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "record header too long");
	uint8_t head[FRAME_HEADER_LEN + TAG_LEN];
	stream_put_le32(head, RECORD_MAGIC);
	stream_put_le32(head + 4, (uint32_t)(TAG_LEN + len + CRC_LEN));
	memcpy(head + FRAME_HEADER_LEN, TAG, TAG_LEN);
	/* The CRC covers the tag and the JSON text. */
	uint8_t tail[CRC_LEN];
	stream_put_le32(tail, stream_crc32(stream_crc32(0, TAG, TAG_LEN), json, len));
	if (write_bytes(w, out, head, sizeof head, err) ||
	    write_bytes(w, out, json, len, err) ||
	    write_bytes(w, out, tail, sizeof tail, err))
		return -1;
	return 0;
}

int stream_write_record(FILE *out, const char *json, size_t len,
			struct traj_error *err)
{
	return write_record_to(NULL, out, json, len, err);
}

/* Prints `obj` as one record and consumes it. */
static int write_json(struct traj_writer *w, cJSON *obj, struct traj_error *err)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
	cJSON_Delete(obj);
	if (!text)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = write_record_to(w, w->out, text, strlen(text), err);
	cJSON_free(text);
	return rc;
}

static int writer_ready(const struct traj_writer *w, int want_ckpt,
			struct traj_error *err)
{
	if (w->failed)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "stream writer used after an error");
	if (w->in_ckpt != want_ckpt)
		return traj_fail(err, TRAJ_EINTERNAL, -1, want_ckpt ?
				 "no checkpoint begun" :
				 "checkpoint at step %lld not ended",
				 (long long)w->cur.step);
	return 0;
}

static int opts_valid(const struct traj_write_opts *o, struct traj_error *err)
{
	if ((unsigned)o->encoding >= TRAJ_NENCODINGS)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "unknown encoding %d",
				 (int)o->encoding);
	if (o->key_every < 1)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "key_every must be >= 1, got %d", o->key_every);
	if (o->level < ZSTD_minCLevel() || o->level > ZSTD_maxCLevel())
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "zstd level %d out of range %d..%d", o->level,
				 ZSTD_minCLevel(), ZSTD_maxCLevel());
	return 0;
}

/* {"type":"run","version":1, ...the caller's fields}. */
static cJSON *run_record(const cJSON *run)
{
	cJSON *obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "type", "run") ||
	    !cJSON_AddNumberToObject(obj, "version", TRAJ_STREAM_VERSION))
		goto fail;
	for (const cJSON *c = run ? run->child : NULL; c; c = c->next) {
		if (strcmp(c->string, "type") == 0 ||
		    strcmp(c->string, "version") == 0)
			continue;
		cJSON *copy = cJSON_Duplicate(c, 1);
		if (!copy || !cJSON_AddItemToObject(obj, c->string, copy)) {
			cJSON_Delete(copy);
			goto fail;
		}
	}
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}

/* Every data frame carries its content size and checksum (the spec's
 * MUSTs: zstd leaves the checksum off by default). */
static void writer_setup(struct traj_writer *w, FILE *out,
			 const struct traj_write_opts *opts)
{
	w->out = out;
	w->opts = *opts;
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, opts->level);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
}

/* The caller's options, checked, or the defaults (into *defaults). */
static const struct traj_write_opts *
opts_or_default(const struct traj_write_opts *opts,
		struct traj_write_opts *defaults, struct traj_error *err)
{
	stream_write_opts_default(defaults);
	if (!opts)
		opts = defaults;
	return opts_valid(opts, err) ? NULL : opts;
}

struct traj_writer *stream_writer_open(FILE *out, const cJSON *run,
				       const struct traj_write_opts *opts,
				       struct traj_error *err)
{
	struct traj_write_opts defaults;
	if (!(opts = opts_or_default(opts, &defaults, err)))
		return NULL;
	if (run && !cJSON_IsObject(run)) {
		traj_fail(err, TRAJ_EINTERNAL, -1,
			  "run configuration must be a JSON object");
		return NULL;
	}
	int enomem = 0;
	const char *dup = run ? json_duplicate_key(run, &enomem) : NULL;
	if (dup) {
		traj_fail(err, TRAJ_EINTERNAL, -1,
			  "duplicate key '%s' in run configuration", dup);
		return NULL;
	}
	struct traj_writer *w = calloc(1, sizeof *w);
	if (!w || enomem || !(w->cctx = ZSTD_createCCtx())) {
		stream_writer_free(w);
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		return NULL;
	}
	writer_setup(w, out, opts);
	if (write_json(w, run_record(run), err)) {
		stream_writer_free(w);
		return NULL;
	}
	return w;
}

/* A copy of the caller's metrics with non-finite values as null, since
 * JSON has no NaN (a diverged loss is worth recording). */
static cJSON *metrics_copy(const cJSON *metrics, struct traj_error *err)
{
	if (!cJSON_IsObject(metrics)) {
		traj_fail(err, TRAJ_EINTERNAL, -1, "metrics must be a JSON object");
		return NULL;
	}
	int enomem = 0;
	const char *dup = json_duplicate_key(metrics, &enomem);
	if (dup) {
		traj_fail(err, TRAJ_EINTERNAL, -1, "duplicate metric '%s'", dup);
		return NULL;
	}
	cJSON *copy = cJSON_CreateObject();
	for (const cJSON *m = metrics->child; copy && m; m = m->next) {
		cJSON *v;
		if (cJSON_IsNumber(m) && isfinite(m->valuedouble))
			v = cJSON_CreateNumber(m->valuedouble);
		else if (cJSON_IsNumber(m) || cJSON_IsNull(m))
			v = cJSON_CreateNull();
		else {
			cJSON_Delete(copy);
			traj_fail(err, TRAJ_EINTERNAL, -1, "metric '%s' is not a number",
				  m->string);
			return NULL;
		}
		if (!v || !cJSON_AddItemToObject(copy, m->string, v)) {
			cJSON_Delete(v);
			cJSON_Delete(copy);
			copy = NULL;
		}
	}
	if (!copy || enomem)
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	return copy;
}

int stream_writer_next_is_key(const struct traj_writer *w)
{
	return w->nckpt % w->opts.key_every == 0;
}

int stream_write_begin(struct traj_writer *w, int64_t step, int ntensors,
		       const cJSON *metrics, struct traj_error *err)
{
	if (writer_ready(w, 0, err))
		return -1;
	if (step < 0 || (double)step > MAX_EXACT_INT)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "step %lld out of range 0..2^53",
				 (long long)step);
	if (ntensors < 0 || ntensors > DEFAULT_MAX_TENSORS)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "%d tensors in a checkpoint, expected 0..%d",
				 ntensors, DEFAULT_MAX_TENSORS);
	cJSON *m = metrics ? metrics_copy(metrics, err) : NULL;
	if (metrics && !m)
		return -1;
	int key = stream_writer_next_is_key(w);
	cJSON *obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "type", "ckpt") ||
	    !cJSON_AddNumberToObject(obj, "step", (double)step) ||
	    !cJSON_AddNumberToObject(obj, "tensors", ntensors) ||
	    !cJSON_AddBoolToObject(obj, "key", key) ||
	    (m && !cJSON_AddItemToObject(obj, "metrics", m))) {
		cJSON_Delete(obj);
		cJSON_Delete(m);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	if (stream_set_reserve(&w->cur, ntensors ? ntensors : 1)) {
		cJSON_Delete(obj);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	if (write_json(w, obj, err))
		return -1;
	w->nckpt++;
	w->in_ckpt = 1;
	w->expected = ntensors;
	w->cur.step = step;
	w->cur.key = key;
	return 0;
}

static int tensor_valid(const struct traj_writer *w, const struct traj_tensor *t,
			struct traj_error *err)
{
	if (!tensor_name_valid(t->name))
		return traj_fail(err, TRAJ_EINTERNAL, -1, "invalid tensor name '%.64s'",
				 t->name);
	if (!dtype_name(t->dtype))
		return traj_fail(err, TRAJ_EINTERNAL, -1, "tensor '%s': invalid dtype",
				 t->name);
	size_t esize = dtype_size(t->dtype);
	int64_t n = tensor_numel_checked(t->rank, t->shape,
					DEFAULT_MAX_TENSOR / (int64_t)esize);
	if (n < 0)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "tensor '%s': bad shape or larger than 1 GiB", t->name);
	if (n > 0 && !t->data)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "tensor '%s' has no data", t->name);
	if (w->cur.n >= w->expected)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "checkpoint at step %lld: more than the %d tensors announced",
				 (long long)w->cur.step, w->expected);
	return 0; /* a name twice: stream_write_end, before the end-ckpt */
}

/* The tensor record's header: everything a reader checks before it
 * allocates anything. */
static cJSON *tensor_record(const struct traj_tensor *t, enum traj_encoding enc,
			    size_t bytes, size_t zbytes)
{
	cJSON *obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "type", "tensor") ||
	    !cJSON_AddStringToObject(obj, "name", t->name) ||
	    !cJSON_AddStringToObject(obj, "dtype", dtype_name(t->dtype)))
		goto fail;
	cJSON *shape = cJSON_AddArrayToObject(obj, "shape");
	for (int i = 0; shape && i < t->rank; i++) {
		cJSON *d = cJSON_CreateNumber((double)t->shape[i]);
		if (!d || !cJSON_AddItemToArray(shape, d)) {
			cJSON_Delete(d);
			goto fail;
		}
	}
	if (!shape ||
	    !cJSON_AddStringToObject(obj, "encoding", stream_encoding_name(enc)) ||
	    !cJSON_AddNumberToObject(obj, "bytes", (double)bytes) ||
	    !cJSON_AddNumberToObject(obj, "zbytes", (double)zbytes))
		goto fail;
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}

/* A data buffer for a copy of t: the one of the same tensor two
 * checkpoints back, which nothing needs once t is encoded, else new.
 * Reusing it avoids fresh pages (and their faults) every checkpoint. */
static void *reuse_buffer(struct traj_writer *w, const struct traj_tensor *t,
			  size_t bytes)
{
	struct traj_tensor *old =
		(struct traj_tensor *)stream_set_find(&w->prev2, t->name, w->cur.n);
	if (old && old->data && !old->borrowed && stream_set_same_layout(old, t)) {
		void *data = old->data;
		old->data = NULL;
		return data;
	}
	return malloc(bytes ? bytes : 1);
}

/* Keeps the name (for duplicate checks) and, when later checkpoints will
 * refer to it, a copy of the data. */
static int remember_tensor(struct traj_writer *w, const struct traj_tensor *t,
			   size_t bytes)
{
	struct traj_tensor *c = &w->cur.t[w->cur.n];
	*c = *t;
	c->data = NULL;
	c->borrowed = 1;
	if (stream_encoding_needs_ref(w->opts.encoding)) {
		c->data = reuse_buffer(w, t, bytes);
		if (!c->data)
			return -1;
		c->borrowed = 0;
		if (bytes)
			memcpy(c->data, t->data, bytes);
	}
	w->cur.n++;
	return 0;
}

/* The encoding for t and its references: the configured one when the
 * previous checkpoint has a matching tensor, else shuffle (or raw). */
static enum traj_encoding choose_encoding(const struct traj_writer *w,
					  const struct traj_tensor *t,
					  const void **ref1, const void **ref0)
{
	enum traj_encoding enc = w->opts.encoding;
	int hint = w->cur.n;
	*ref1 = *ref0 = NULL;
	if (!stream_encoding_needs_ref(enc))
		return enc;
	*ref1 = w->cur.key ? NULL : stream_set_find_ref(&w->prev, t, hint);
	if (!*ref1)
		return TRAJ_ENC_SHUFFLE;
	/* The window starts at the last key checkpoint; older sets are
	 * kept only as spare buffers. */
	if (enc == TRAJ_ENC_PRED2 && !w->prev.key)
		*ref0 = stream_set_find_ref(&w->prev2, t, hint);
	if (enc == TRAJ_ENC_PRED2 && *ref0 &&
	    !stream_pred2_beats_delta(t->dtype, (size_t)tensor_numel(t), t->data,
			       *ref1, *ref0)) {
		*ref0 = NULL;
		return TRAJ_ENC_DELTA;
	}
	return enc;
}

int stream_write_tensor(struct traj_writer *w, const struct traj_tensor *t,
			struct traj_error *err)
{
	if (writer_ready(w, 1, err) || tensor_valid(w, t, err))
		return -1;
	size_t n = (size_t)tensor_numel(t);
	size_t bytes = n * dtype_size(t->dtype);
	size_t bound = ZSTD_compressBound(bytes);
	if (stream_grow(&w->enc, &w->enc_cap, bytes ? bytes : 1) ||
	    stream_grow(&w->z, &w->z_cap, bound))
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	const void *ref1, *ref0;
	enum traj_encoding enc = choose_encoding(w, t, &ref1, &ref0);
	const void *src = t->data;
	if (enc != TRAJ_ENC_RAW) {
		stream_encode_elements(enc, t->dtype, n, t->data, ref1, ref0, w->enc);
		src = w->enc;
	}
	size_t zbytes = ZSTD_compress2(w->cctx, w->z, bound, src, bytes);
	if (ZSTD_getErrorCode(zbytes) == ZSTD_error_memory_allocation)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (ZSTD_isError(zbytes))
		return traj_fail(err, TRAJ_EINTERNAL, -1, "zstd: %s",
				 ZSTD_getErrorName(zbytes));
	if (write_json(w, tensor_record(t, enc, bytes, zbytes), err) ||
	    write_bytes(w, w->out, w->z, zbytes, err))
		return -1;
	if (remember_tensor(w, t, bytes))
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	return 0;
}

/* Pipes, terminals and /dev/null cannot be synced (EINVAL): only a
 * failure to sync a file that can be is an error. */
static int sync_out(struct traj_writer *w, struct traj_error *err)
{
	int fd = fileno(w->out);
	if (fd < 0 || fsync(fd) == 0)
		return 0;
	if (errno == EINVAL || errno == EROFS || errno == ENOTSUP)
		return 0;
	return write_fail(w, err);
}

static int flush_out(struct traj_writer *w, struct traj_error *err)
{
	for (;;) {
		errno = 0;
		if (fflush(w->out) == 0 && !ferror(w->out))
			break;
		if (errno != EINTR)
			return write_fail(w, err);
		clearerr(w->out);
	}
	return w->opts.sync ? sync_out(w, err) : 0;
}

int stream_write_end(struct traj_writer *w, struct traj_error *err)
{
	if (writer_ready(w, 1, err))
		return -1;
	if (w->cur.n != w->expected)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "checkpoint at step %lld has %d tensors, %d announced",
				 (long long)w->cur.step, w->cur.n, w->expected);
	/* by sorting names, not comparing each with all: a checkpoint may
	 * hold 65,536 tensors; without its end-ckpt, the checkpoint that
	 * holds one twice is not one */
	const char *dup = stream_set_index(&w->cur);
	if (dup)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "duplicate tensor name '%s' in checkpoint at step %lld",
				 dup, (long long)w->cur.step);
	cJSON *obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "type", "end-ckpt") ||
	    !cJSON_AddNumberToObject(obj, "step", (double)w->cur.step)) {
		cJSON_Delete(obj);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	if (write_json(w, obj, err) || flush_out(w, err))
		return -1;
	w->in_ckpt = 0;
	stream_set_shift(&w->cur, &w->prev, &w->prev2);
	return 0;
}

int stream_writer_close(struct traj_writer *w, struct traj_error *err)
{
	int rc = writer_ready(w, 0, err);
	if (rc == 0) {
		cJSON *obj = cJSON_CreateObject();
		if (!obj || !cJSON_AddStringToObject(obj, "type", "end")) {
			cJSON_Delete(obj);
			rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		} else {
			rc = write_json(w, obj, err);
		}
	}
	if (rc == 0)
		rc = flush_out(w, err);
	stream_writer_free(w);
	return rc;
}

void stream_writer_free(struct traj_writer *w)
{
	if (!w)
		return;
	ZSTD_freeCCtx(w->cctx);
	stream_set_free(&w->cur);
	stream_set_free(&w->prev);
	stream_set_free(&w->prev2);
	free(w->enc);
	free(w->z);
	free(w);
}

/* ---- resuming a writer ---- */

/* A copy of a reader's tensor set (names, layouts, data, index). */
static int set_copy(struct tensor_set *dst, const struct tensor_set *src)
{
	if (stream_set_reserve(dst, src->n ? src->n : 1))
		return -1;
	for (int i = 0; i < src->n; i++) {
		const struct traj_tensor *t = &src->t[i];
		struct traj_tensor *c = &dst->t[dst->n];
		if (tensor_alloc(c, t->name, t->dtype, t->rank, t->shape))
			return -1;
		dst->n++;
		memcpy(c->data, t->data, tensor_nbytes(t));
	}
	stream_set_index(dst);
	dst->step = src->step;
	dst->key = src->key;
	return 0;
}

struct traj_writer *stream_writer_resume(FILE *out, const struct traj_reader *r,
					 const struct traj_write_opts *opts,
					 struct traj_error *err)
{
	struct traj_write_opts defaults;
	if (!(opts = opts_or_default(opts, &defaults, err)))
		return NULL;
	if (r->state == AT_START || r->skip) {
		traj_fail(err, TRAJ_EINTERNAL, -1,
			  "cannot resume: the reader read no run, or skipped tensors");
		return NULL;
	}
	struct traj_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->cctx = ZSTD_createCCtx()) ||
	    set_copy(&w->prev, &r->prev) || set_copy(&w->prev2, &r->prev2)) {
		stream_writer_free(w);
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		return NULL;
	}
	writer_setup(w, out, opts);
	w->nckpt = r->run_ckpts;
	return w;
}

cJSON *stream_write_opts_to_json(const struct traj_write_opts *opts)
{
	cJSON *obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "encoding",
					     stream_encoding_name(opts->encoding)) ||
	    !cJSON_AddNumberToObject(obj, "key_every", opts->key_every) ||
	    !cJSON_AddNumberToObject(obj, "level", opts->level)) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

int stream_write_opts_from_json(const cJSON *json, struct traj_write_opts *opts,
				struct traj_error *err)
{
	struct record rec = {json, "writer", -1};
	int64_t key_every, level;
	stream_write_opts_default(opts);
	if (!cJSON_IsObject(json))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "writer options must be a JSON object");
	const char *enc = stream_field_string(&rec, "encoding", err);
	if (!enc)
		return -1;
	if (stream_encoding_from_name(enc, &opts->encoding))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "writer: unknown encoding '%.32s'", enc);
	if (stream_field_int(&rec, "key_every", 1, 1 << 20, &key_every, err) ||
	    stream_field_int(&rec, "level", ZSTD_minCLevel(), ZSTD_maxCLevel(), &level,
		      err))
		return -1;
	opts->key_every = (int)key_every;
	opts->level = (int)level;
	return 0;
}
