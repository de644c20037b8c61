#include "stream.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "encode.h"
#include "jsontext.h"

/* Frame magics: little-endian u32 at the start of every zstd frame. Our
 * records use the skippable nibble 0xA ("trAj"); plain zstd skips them. */
#define RECORD_MAGIC 0x184D2A5Au
#define SKIPPABLE_FIRST 0x184D2A50u
#define SKIPPABLE_MASK 0xFFFFFFF0u
#define ZSTD_FRAME_MAGIC 0xFD2FB528u

#define FRAME_HEADER_LEN 8 /* magic, payload length */
#define TAG "TRJ1"
#define TAG_LEN 4
#define CRC_LEN 4
#define MIN_PAYLOAD (TAG_LEN + 2 + CRC_LEN) /* "TRJ1{}" + crc */
#define ZBYTES_SLACK 1024   /* allowed beyond ZSTD_compressBound */
#define MAX_EXACT_INT 9007199254740992.0 /* 2^53 */

#define DEFAULT_MAX_HEADER (1u << 20)
#define DEFAULT_MAX_TENSOR ((int64_t)1 << 30)
#define DEFAULT_MAX_TENSORS 65536

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* CRC-32 as in zlib, gzip and PNG (reflected polynomial 0xEDB88320), so
 * any language can check a header; chained like zlib's crc32(). Bitwise,
 * since headers are small. */
uint32_t stream_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0 - (crc & 1)));
	}
	return ~crc;
}

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

/* ---- tensor sets: one checkpoint's tensors, findable by name ---- */

struct tensor_set {
	struct traj_tensor *t;
	const struct traj_tensor **order; /* by name, after set_index */
	int n, cap;
	cJSON *header;   /* the ckpt record (reader): holds the metrics */
	int64_t step;
	int key;
};

static void set_clear(struct tensor_set *s)
{
	for (int i = 0; i < s->n; i++)
		tensor_free(&s->t[i]);
	s->n = 0;
	cJSON_Delete(s->header);
	s->header = NULL;
}

static void set_free(struct tensor_set *s)
{
	set_clear(s);
	free(s->t);
	free(s->order);
	memset(s, 0, sizeof *s);
}

/* Room for n tensors, growing geometrically. */
static int set_reserve(struct tensor_set *s, int n)
{
	if (n <= s->cap)
		return 0;
	if (n < 2 * s->cap)
		n = 2 * s->cap;
	struct traj_tensor *t = realloc(s->t, (size_t)n * sizeof *t);
	if (!t)
		return -1;
	s->t = t;
	const struct traj_tensor **order =
		realloc(s->order, (size_t)n * sizeof *order);
	if (!order)
		return -1;
	s->order = order;
	s->cap = n;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct traj_tensor *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* Sorts the name index; returns a duplicated name, or NULL. */
static const char *set_index(struct tensor_set *s)
{
	for (int i = 0; i < s->n; i++)
		s->order[i] = &s->t[i];
	if (s->n > 1)
		qsort(s->order, (size_t)s->n, sizeof *s->order, by_name);
	for (int i = 1; i < s->n; i++)
		if (strcmp(s->order[i - 1]->name, s->order[i]->name) == 0)
			return s->order[i]->name;
	return NULL;
}

/* Tensors usually come in the same order every checkpoint, so position
 * `hint` is tried before the binary search. */
static const struct traj_tensor *set_find(const struct tensor_set *s,
					  const char *name, int hint)
{
	if (hint < s->n && strcmp(s->t[hint].name, name) == 0)
		return &s->t[hint];
	int lo = 0, hi = s->n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(s->order[mid]->name, name);
		if (c == 0)
			return s->order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int same_layout(const struct traj_tensor *a, const struct traj_tensor *b)
{
	if (a->dtype != b->dtype || a->rank != b->rank)
		return 0;
	for (int i = 0; i < a->rank; i++)
		if (a->shape[i] != b->shape[i])
			return 0;
	return 1;
}

/* The reference for tensor t in set s: same name, dtype and shape. */
static const void *find_ref(const struct tensor_set *s,
			    const struct traj_tensor *t, int hint)
{
	const struct traj_tensor *r = set_find(s, t->name, hint);
	return r && r->data && same_layout(r, t) ? r->data : NULL;
}

/* Slides the reference window after a complete checkpoint: cur becomes
 * prev, prev becomes prev2, and cur reuses the old prev2's arrays. */
static void set_shift(struct tensor_set *cur, struct tensor_set *prev,
		      struct tensor_set *prev2)
{
	set_clear(prev2);
	struct tensor_set spare = *prev2;
	*prev2 = *prev;
	*prev = *cur;
	*cur = spare;
}

static const char *duplicate_key_in(const cJSON *item, int *enomem);

/* Finds a key that appears twice in one object anywhere in `item`. */
static const char *duplicate_key(const cJSON *item, int *enomem)
{
	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return NULL;
	for (const cJSON *c = item->child; c; c = c->next) {
		const char *dup = duplicate_key(c, enomem);
		if (dup || *enomem)
			return dup;
	}
	return cJSON_IsObject(item) ? duplicate_key_in(item, enomem) : NULL;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *duplicate_key_in(const cJSON *obj, int *enomem)
{
	size_t n = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		n++;
	if (n < 2)
		return NULL;
	const char **keys = malloc(n * sizeof *keys);
	if (!keys) {
		*enomem = 1;
		return NULL;
	}
	n = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		keys[n++] = c->string ? c->string : "";
	qsort(keys, n, sizeof *keys, by_string);
	const char *dup = NULL;
	for (size_t i = 1; i < n && !dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	free(keys);
	return dup;
}

/* ---- writer ---- */

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
	put_le32(head, RECORD_MAGIC);
	put_le32(head + 4, (uint32_t)(TAG_LEN + len + CRC_LEN));
	memcpy(head + FRAME_HEADER_LEN, TAG, TAG_LEN);
	/* The CRC covers the tag and the JSON text. */
	uint8_t tail[CRC_LEN];
	put_le32(tail, stream_crc32(stream_crc32(0, TAG, TAG_LEN), json, len));
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
	const char *dup = run ? duplicate_key(run, &enomem) : NULL;
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
	const char *dup = duplicate_key(metrics, &enomem);
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
	if (set_reserve(&w->cur, ntensors ? ntensors : 1)) {
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
	for (int i = 0; i < w->cur.n; i++)
		if (strcmp(w->cur.t[i].name, t->name) == 0)
			return traj_fail(err, TRAJ_EINTERNAL, -1,
					 "duplicate tensor name '%s' in checkpoint at step %lld",
					 t->name, (long long)w->cur.step);
	return 0;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	uint8_t *p = realloc(*buf, need);
	if (!p)
		return -1;
	*buf = p;
	*cap = need;
	return 0;
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
	    !cJSON_AddStringToObject(obj, "encoding", encoding_name(enc)) ||
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
		(struct traj_tensor *)set_find(&w->prev2, t->name, w->cur.n);
	if (old && old->data && !old->borrowed && same_layout(old, t)) {
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
	if (encoding_needs_ref(w->opts.encoding)) {
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
	if (!encoding_needs_ref(enc))
		return enc;
	*ref1 = w->cur.key ? NULL : find_ref(&w->prev, t, hint);
	if (!*ref1)
		return TRAJ_ENC_SHUFFLE;
	/* The window starts at the last key checkpoint; older sets are
	 * kept only as spare buffers. */
	if (enc == TRAJ_ENC_PRED2 && !w->prev.key)
		*ref0 = find_ref(&w->prev2, t, hint);
	if (enc == TRAJ_ENC_PRED2 && *ref0 &&
	    !pred2_beats_delta(t->dtype, (size_t)tensor_numel(t), t->data,
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
	if (grow(&w->enc, &w->enc_cap, bytes ? bytes : 1) ||
	    grow(&w->z, &w->z_cap, bound))
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	const void *ref1, *ref0;
	enum traj_encoding enc = choose_encoding(w, t, &ref1, &ref0);
	const void *src = t->data;
	if (enc != TRAJ_ENC_RAW) {
		encode_elements(enc, t->dtype, n, t->data, ref1, ref0, w->enc);
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
	cJSON *obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "type", "end-ckpt") ||
	    !cJSON_AddNumberToObject(obj, "step", (double)w->cur.step)) {
		cJSON_Delete(obj);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	if (write_json(w, obj, err) || flush_out(w, err))
		return -1;
	w->in_ckpt = 0;
	set_index(&w->cur);
	set_shift(&w->cur, &w->prev, &w->prev2);
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
	set_free(&w->cur);
	set_free(&w->prev);
	set_free(&w->prev2);
	free(w->enc);
	free(w->z);
	free(w);
}

/* ---- reader ---- */

void stream_read_limits_default(struct traj_read_limits *limits)
{
	limits->max_header = DEFAULT_MAX_HEADER;
	limits->max_tensor = DEFAULT_MAX_TENSOR;
	limits->max_tensors = DEFAULT_MAX_TENSORS;
}

enum reader_state {
	AT_START,      /* nothing read: the first frame must be a run record */
	IN_RUN,        /* between checkpoints */
	IN_CKPT,       /* between a ckpt record and its end-ckpt */
	AFTER_END,     /* after an end record: only a new run may follow */
	BROKEN,        /* after an error */
};

/* Returned by the record handlers to keep reading. */
#define CONTINUE (-2)

struct traj_reader {
	FILE *in;
	struct traj_read_limits lim;
	ZSTD_DCtx *dctx;
	int64_t off;            /* bytes consumed from `in` */
	enum reader_state state;
	cJSON *run;
	int64_t ckpt_at;        /* offset of the current ckpt record */
	int64_t rec_at;         /* offset of the record last returned */
	int expected;           /* tensors announced by it */
	int got;                /* tensor records read in it (some skipped) */
	int64_t run_ckpts;      /* complete checkpoints in this run */
	struct tensor_set cur, prev, prev2;
	struct traj_ckpt view;  /* what stream_reader_ckpt returns */
	struct traj_ckpt last;  /* the last complete checkpoint (prev) */
	uint8_t *payload, *zbuf, *dec;
	size_t payload_cap, zcap, dcap;
	const volatile sig_atomic_t *stop; /* follow mode when set */
	int follow_file;        /* following a regular file */
	int stopped;            /* *stop ended the input */
	const char *skip;       /* name prefix of tensors not decoded */
};

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
	if (limits)
		r->lim = *limits;
	else
		stream_read_limits_default(&r->lim);
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
	set_free(&r->cur);
	set_free(&r->prev);
	set_free(&r->prev2);
	free(r->payload);
	free(r->zbuf);
	free(r->dec);
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

const struct traj_tensor *ckpt_find(const struct traj_ckpt *c, const char *name)
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

/* Fills `msg` with "<kind> record at byte N: <detail>". */
static int record_fail(struct traj_error *err, enum traj_status status,
		       int64_t at, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int record_fail(struct traj_error *err, enum traj_status status,
		       int64_t at, const char *kind, const char *fmt, ...)
{
	char detail[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return traj_fail(err, status, at, "%s record at byte %lld: %s", kind,
			 (long long)at, detail);
}

static int ckpt_truncated(const struct traj_reader *r, struct traj_error *err)
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

/* Reads n bytes into *buf, growing it as data actually arrives, so a
 * header that lies about a size costs no more memory than the input. */
static int read_growing(struct traj_reader *r, uint8_t **buf, size_t *cap,
			size_t n, struct traj_error *err)
{
	size_t done = 0;
	while (done < n) {
		size_t want = *cap > done ? *cap : done * 2;
		if (want < ((size_t)1 << 20))
			want = (size_t)1 << 20;
		if (want > n)
			want = n;
		if (grow(buf, cap, want))
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
		return ckpt_truncated(r, err);
	return TRAJ_REC_EOF;
}

static int not_traj(struct traj_error *err)
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
		return ckpt_truncated(r, err);
	return traj_fail(err, TRAJ_ETRUNC, at,
			 "truncated in the record at byte %lld", (long long)at);
}

/* ---- JSON field access: every failure names the field ---- */

struct record {
	const cJSON *json;
	const char *kind;  /* record type, for messages */
	int64_t at;        /* byte offset of the record */
};

static const cJSON *field(const struct record *rec, const char *key, int type,
			  const char *type_name, struct traj_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec->json, key);
	if (!v) {
		record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
			    "missing field '%s'", key);
		return NULL;
	}
	if (!(v->type & type)) {
		record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
			    "field '%s' must be %s", key, type_name);
		return NULL;
	}
	return v;
}

static const char *field_string(const struct record *rec, const char *key,
				struct traj_error *err)
{
	const cJSON *v = field(rec, key, cJSON_String, "a string", err);
	return v ? v->valuestring : NULL;
}

static int exact_int(const cJSON *v, int64_t lo, int64_t hi, int64_t *out)
{
	double d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > MAX_EXACT_INT ||
	    d < (double)lo || d > (double)hi)
		return -1;
	*out = (int64_t)d;
	return 0;
}

static int field_int(const struct record *rec, const char *key, int64_t lo,
		     int64_t hi, int64_t *out, struct traj_error *err)
{
	const cJSON *v = field(rec, key, cJSON_Number, "a number", err);
	if (!v)
		return -1;
	if (exact_int(v, lo, hi, out))
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field '%s' must be an integer in %lld..%lld",
				   key, (long long)lo, (long long)hi);
	return 0;
}

/* ---- record handlers ---- */

static void reset_run(struct traj_reader *r)
{
	set_clear(&r->cur);
	set_clear(&r->prev);
	set_clear(&r->prev2);
	memset(&r->view, 0, sizeof r->view);
	memset(&r->last, 0, sizeof r->last);
	r->last.step = -1;
	r->run_ckpts = 0;
}

static int on_run(struct traj_reader *r, const struct record *rec,
		  cJSON *json, struct traj_error *err)
{
	int64_t version;
	if (r->state == IN_CKPT)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "checkpoint at step %lld (record at byte %lld) not ended",
				   (long long)r->cur.step, (long long)r->ckpt_at);
	if (field_int(rec, "version", 0, INT32_MAX, &version, err))
		return -1;
	if (version != TRAJ_STREAM_VERSION)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "unsupported version %lld (this reader knows version %d)",
				   (long long)version, TRAJ_STREAM_VERSION);
	reset_run(r);
	cJSON_Delete(r->run);
	r->run = json;
	r->state = IN_RUN;
	r->rec_at = rec->at;
	return TRAJ_REC_RUN;
}

static int metrics_valid(const struct record *rec, struct traj_error *err)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(rec->json, "metrics");
	if (!m)
		return 0;
	if (!cJSON_IsObject(m))
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'metrics' must be an object");
	for (const cJSON *v = m->child; v; v = v->next) {
		/* Names end up inside metric lines: no tabs or newlines. */
		if (!tensor_name_valid(v->string))
			return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
					   "metric name '%.64s' is not 1-255 printable "
					   "characters without spaces", v->string);
		if (!cJSON_IsNumber(v) && !cJSON_IsNull(v))
			return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
					   "metric '%s' must be a number or null",
					   v->string);
	}
	return 0;
}

/* Records that only make sense inside (or outside) a checkpoint. */
static int check_state(struct traj_reader *r, const struct record *rec,
		       int want_ckpt, struct traj_error *err)
{
	if (r->state == AFTER_END)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "record after the end of the run");
	if (want_ckpt && r->state != IN_CKPT)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "outside a checkpoint");
	if (!want_ckpt && r->state == IN_CKPT)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "checkpoint at step %lld (record at byte %lld) not ended",
				   (long long)r->cur.step, (long long)r->ckpt_at);
	return 0;
}

static int on_ckpt(struct traj_reader *r, const struct record *rec,
		   cJSON *json, struct traj_error *err)
{
	int64_t step, ntensors;
	if (check_state(r, rec, 0, err) ||
	    field_int(rec, "step", 0, INT64_MAX, &step, err) ||
	    field_int(rec, "tensors", 0, r->lim.max_tensors, &ntensors, err) ||
	    metrics_valid(rec, err))
		return -1;
	const cJSON *key = field(rec, "key", cJSON_True | cJSON_False,
				 "true or false", err);
	if (!key)
		return -1;
	/* A key checkpoint refers to nothing earlier (find_refs), but P1 and
	 * P2 stay until it is complete: if the input ends inside it, the
	 * last complete checkpoint is still whole (stream_reader_last_ckpt). */
	set_clear(&r->cur);
	r->cur.header = json;
	r->cur.step = step;
	r->cur.key = cJSON_IsTrue(key);
	r->expected = (int)ntensors;
	r->got = 0;
	r->ckpt_at = rec->at;
	r->state = IN_CKPT;
	return CONTINUE;
}

/* A tensor record's header, checked against the limits. */
struct tensor_head {
	struct traj_tensor t;   /* name, dtype, rank, shape; no data yet */
	enum traj_encoding enc;
	size_t bytes, zbytes;
};

static int parse_shape(const struct record *rec, struct traj_tensor *t,
		       struct traj_error *err)
{
	const cJSON *shape = field(rec, "shape", cJSON_Array, "an array", err);
	if (!shape)
		return -1;
	int rank = cJSON_GetArraySize(shape);
	if (rank > TRAJ_MAX_RANK)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'shape': rank %d exceeds %d", rank,
				   TRAJ_MAX_RANK);
	t->rank = 0;
	for (const cJSON *d = shape->child; d; d = d->next) {
		if (!cJSON_IsNumber(d) ||
		    exact_int(d, 0, INT64_MAX, &t->shape[t->rank]))
			return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
					   "field 'shape': dimension %d must be an integer >= 0",
					   t->rank);
		t->rank++;
	}
	return 0;
}

static int parse_tensor_head(const struct traj_reader *r,
			     const struct record *rec, struct tensor_head *h,
			     struct traj_error *err)
{
	memset(h, 0, sizeof *h);
	const char *name = field_string(rec, "name", err);
	if (!name)
		return -1;
	if (!tensor_name_valid(name))
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'name': invalid tensor name");
	strcpy(h->t.name, name);
	const char *dtype = field_string(rec, "dtype", err);
	if (!dtype)
		return -1;
	if (dtype_from_name(dtype, &h->t.dtype))
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'dtype': unknown dtype '%.32s'", dtype);
	const char *enc = field_string(rec, "encoding", err);
	if (!enc)
		return -1;
	if (encoding_from_name(enc, &h->enc))
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'encoding': unknown encoding '%.32s'", enc);
	if (parse_shape(rec, &h->t, err))
		return -1;
	int64_t esize = (int64_t)dtype_size(h->t.dtype);
	int64_t numel = tensor_numel_checked(h->t.rank, h->t.shape,
					     r->lim.max_tensor / esize);
	int64_t bytes, zbytes;
	if (numel < 0)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "tensor '%s' exceeds the limit of %lld bytes",
				   h->t.name, (long long)r->lim.max_tensor);
	if (field_int(rec, "bytes", 0, r->lim.max_tensor, &bytes, err))
		return -1;
	if (bytes != numel * esize)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'bytes' is %lld, shape and dtype give %lld",
				   (long long)bytes, (long long)(numel * esize));
	int64_t zmax = (int64_t)ZSTD_compressBound((size_t)bytes) + ZBYTES_SLACK;
	if (field_int(rec, "zbytes", 1, zmax, &zbytes, err))
		return -1;
	h->bytes = (size_t)bytes;
	h->zbytes = (size_t)zbytes;
	return 0;
}

/* Checks the data frame before decompressing it: one whole zstd frame,
 * with its content size and a content checksum in the frame header. */
static int frame_valid(const struct record *rec, const struct tensor_head *h,
		       const uint8_t *z, struct traj_error *err)
{
	int64_t at = rec->at;
	const char *name = h->t.name;
	if (h->zbytes < 6 || get_le32(z) != ZSTD_FRAME_MAGIC)
		return record_fail(err, TRAJ_EDATA, at, rec->kind,
				   "data of tensor '%s' is not a zstd frame", name);
	/* Frame_Header_Descriptor bit 2: Content_Checksum_flag (RFC 8878). */
	if (!(z[4] & 0x04))
		return record_fail(err, TRAJ_EDATA, at, rec->kind,
				   "zstd frame of tensor '%s' has no content checksum",
				   name);
	unsigned long long size = ZSTD_getFrameContentSize(z, h->zbytes);
	if (size != h->bytes)
		return record_fail(err, TRAJ_EDATA, at, rec->kind,
				   "zstd frame of tensor '%s' does not declare %zu bytes of content",
				   name, h->bytes);
	size_t flen = ZSTD_findFrameCompressedSize(z, h->zbytes);
	if (ZSTD_isError(flen) || flen != h->zbytes)
		return record_fail(err, TRAJ_EDATA, at, rec->kind,
				   "zstd frame of tensor '%s' is not %zu bytes long",
				   name, h->zbytes);
	return 0;
}

/* The references the writer used: see "Reference window" in the spec. */
static int find_refs(const struct traj_reader *r, const struct record *rec,
		     const struct tensor_head *h, const void **ref1,
		     const void **ref0, struct traj_error *err)
{
	*ref1 = *ref0 = NULL;
	if (!encoding_needs_ref(h->enc))
		return 0;
	if (r->cur.key)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "tensor '%s' in a key checkpoint uses encoding '%s'",
				   h->t.name, encoding_name(h->enc));
	*ref1 = find_ref(&r->prev, &h->t, r->cur.n);
	if (!*ref1)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "tensor '%s' refers to the previous checkpoint, "
				   "which has no matching tensor (reading from a non-key checkpoint?)",
				   h->t.name);
	/* P2 is older than a key P1: the window starts at the key. */
	if (h->enc == TRAJ_ENC_PRED2 && !r->prev.key)
		*ref0 = find_ref(&r->prev2, &h->t, r->cur.n);
	return 0;
}

/* Decompresses the data frame into dst (checking its checksum). */
static int decompress_frame(struct traj_reader *r, const struct record *rec,
			    const struct tensor_head *h, void *dst,
			    struct traj_error *err)
{
	size_t got = ZSTD_decompressDCtx(r->dctx, dst, h->bytes ? h->bytes : 1,
					 r->zbuf, h->zbytes);
	if (ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation)
		return traj_fail(err, TRAJ_ENOMEM, rec->at, "out of memory");
	if (ZSTD_isError(got))
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "zstd frame of tensor '%s': %s", h->t.name,
				   ZSTD_getErrorName(got));
	if (got != h->bytes)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "tensor '%s' decompressed to %zu bytes, expected %zu",
				   h->t.name, got, h->bytes);
	return 0;
}

/* A skipped tensor is still verified (its checksum), only not decoded
 * or kept: a damaged stream is reported whatever the reader wants. */
static int verify_tensor(struct traj_reader *r, const struct record *rec,
			 const struct tensor_head *h, struct traj_error *err)
{
	if (grow(&r->dec, &r->dcap, h->bytes ? h->bytes : 1))
		return traj_fail(err, TRAJ_ENOMEM, rec->at, "out of memory");
	return decompress_frame(r, rec, h, r->dec, err);
}

static int decode_tensor(struct traj_reader *r, const struct record *rec,
			 struct tensor_head *h, const void *ref1,
			 const void *ref0, struct traj_error *err)
{
	/* The array grows as tensors arrive, not as the header claims. */
	if (set_reserve(&r->cur, r->cur.n + 1))
		return traj_fail(err, TRAJ_ENOMEM, rec->at, "out of memory");
	struct traj_tensor *t = &r->cur.t[r->cur.n];
	if (tensor_alloc(t, h->t.name, h->t.dtype, h->t.rank, h->t.shape))
		return traj_fail(err, TRAJ_ENOMEM, rec->at, "out of memory");
	r->cur.n++; /* owned by the set from here on */
	if (grow(&r->dec, &r->dcap, h->bytes ? h->bytes : 1))
		return traj_fail(err, TRAJ_ENOMEM, rec->at, "out of memory");
	uint8_t *dst = h->enc == TRAJ_ENC_RAW ? t->data : r->dec;
	if (decompress_frame(r, rec, h, dst, err))
		return -1;
	if (h->enc != TRAJ_ENC_RAW)
		decode_elements(h->enc, h->t.dtype, h->bytes / dtype_size(h->t.dtype),
				r->dec, ref1, ref0, t->data);
	return 0;
}

static int on_tensor(struct traj_reader *r, const struct record *rec,
		     struct traj_error *err)
{
	struct tensor_head h;
	const void *ref1 = NULL, *ref0 = NULL;
	if (check_state(r, rec, 1, err))
		return -1;
	if (r->got >= r->expected)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "checkpoint at step %lld has more than the %d tensors announced",
				   (long long)r->cur.step, r->expected);
	if (parse_tensor_head(r, rec, &h, err))
		return -1;
	int skip = r->skip && strncmp(h.t.name, r->skip, strlen(r->skip)) == 0;
	if (!skip && find_refs(r, rec, &h, &ref1, &ref0, err))
		return -1;
	int rc = read_growing(r, &r->zbuf, &r->zcap, h.zbytes, err);
	if (rc > 0)
		return ckpt_truncated(r, err);
	if (rc < 0 || frame_valid(rec, &h, r->zbuf, err) ||
	    (skip ? verify_tensor(r, rec, &h, err) :
		    decode_tensor(r, rec, &h, ref1, ref0, err)))
		return -1;
	r->got++;
	return CONTINUE;
}

static int on_end_ckpt(struct traj_reader *r, const struct record *rec,
		       struct traj_error *err)
{
	int64_t step;
	if (check_state(r, rec, 1, err) ||
	    field_int(rec, "step", 0, INT64_MAX, &step, err))
		return -1;
	if (step != r->cur.step)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "step %lld closes the checkpoint at step %lld",
				   (long long)step, (long long)r->cur.step);
	if (r->got != r->expected)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "checkpoint at step %lld has %d tensors, %d announced",
				   (long long)step, r->got, r->expected);
	const char *dup = set_index(&r->cur);
	if (dup)
		return record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "duplicate tensor name '%s' in checkpoint at step %lld",
				   dup, (long long)step);
	set_shift(&r->cur, &r->prev, &r->prev2);
	r->view.step = r->prev.step;
	r->view.key = r->prev.key;
	r->view.ntensors = r->prev.n;
	r->view.tensors = r->prev.t;
	r->view.metrics = cJSON_GetObjectItemCaseSensitive(r->prev.header,
							   "metrics");
	r->last = r->view;
	r->run_ckpts++;
	r->rec_at = r->ckpt_at;
	r->state = IN_RUN;
	return TRAJ_REC_CKPT;
}

static int on_end(struct traj_reader *r, const struct record *rec,
		  struct traj_error *err)
{
	if (check_state(r, rec, 0, err))
		return -1;
	r->state = AFTER_END;
	r->rec_at = rec->at;
	return TRAJ_REC_END;
}

/* Dispatches a parsed record; takes ownership of `json`. */
static int on_record(struct traj_reader *r, int64_t at, cJSON *json,
		     struct traj_error *err)
{
	struct record rec = {json, "a", at};
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
	int rc;
	if (!cJSON_IsString(type)) {
		rc = record_fail(err, TRAJ_EDATA, at, "a",
				 "field 'type' missing or not a string");
		cJSON_Delete(json);
		return rc;
	}
	rec.kind = type->valuestring;
	if (r->state == AT_START && strcmp(rec.kind, "run") != 0) {
		cJSON_Delete(json);
		return not_traj(err);
	}
	if (strcmp(rec.kind, "run") == 0) {
		rc = on_run(r, &rec, json, err);
		if (rc >= 0)
			return rc; /* json is now r->run */
	} else if (strcmp(rec.kind, "ckpt") == 0) {
		rc = on_ckpt(r, &rec, json, err);
		if (rc == CONTINUE)
			return rc; /* json is now the checkpoint's header */
	} else if (strcmp(rec.kind, "tensor") == 0) {
		rc = on_tensor(r, &rec, err);
	} else if (strcmp(rec.kind, "end-ckpt") == 0) {
		rc = on_end_ckpt(r, &rec, err);
	} else if (strcmp(rec.kind, "end") == 0) {
		rc = on_end(r, &rec, err);
	} else {
		rc = CONTINUE; /* a record type from the future: ignored */
	}
	cJSON_Delete(json);
	return rc;
}

/* Reads and checks the payload of a record frame (the tag is already
 * read), then parses its JSON. */
static int read_record(struct traj_reader *r, int64_t at, uint32_t len,
		       struct traj_error *err)
{
	if (len > r->lim.max_header)
		return record_fail(err, TRAJ_EDATA, at, "a",
				   "header of %u bytes exceeds the limit of %u",
				   len, r->lim.max_header);
	if (len < MIN_PAYLOAD)
		return record_fail(err, TRAJ_EDATA, at, "a",
				   "payload of %u bytes is too short", len);
	if (grow(&r->payload, &r->payload_cap, (size_t)len + 1))
		return traj_fail(err, TRAJ_ENOMEM, at, "out of memory");
	memcpy(r->payload, TAG, TAG_LEN);
	int rc = read_exact(r, r->payload + TAG_LEN, len - TAG_LEN, NULL, err);
	if (rc)
		return rc < 0 ? rc : truncated_at(r, at, err);
	uint32_t stored = get_le32(r->payload + len - CRC_LEN);
	uint32_t crc = stream_crc32(0, r->payload, len - CRC_LEN);
	if (stored != crc)
		return record_fail(err, TRAJ_EDATA, at, "a",
				   "header checksum mismatch (stored %08x, computed %08x)",
				   stored, crc);
	char *text = (char *)r->payload + TAG_LEN;
	size_t tlen = len - TAG_LEN - CRC_LEN;
	if (memchr(text, 0, tlen))
		return record_fail(err, TRAJ_EDATA, at, "a",
				   "header contains a NUL byte");
	text[tlen] = '\0'; /* over the checked CRC */
	const char *why;
	size_t pos;
	if (json_text_check(text, tlen, JSON_MAX_DEPTH, &why, &pos))
		return record_fail(err, TRAJ_EDATA, at, "a",
				   "JSON header at byte %lld: %s",
				   (long long)(at + FRAME_HEADER_LEN + TAG_LEN +
					       (int64_t)pos), why);
	const char *end = NULL;
	json_alloc_failed = 0;
	cJSON *json = cJSON_ParseWithLengthOpts(text, tlen + 1, &end, 1);
	if (!json && json_alloc_failed)
		return traj_fail(err, TRAJ_ENOMEM, at, "out of memory");
	if (!json)
		return record_fail(err, TRAJ_EDATA, at, "a",
				   "invalid JSON header near byte %lld",
				   (long long)(at + FRAME_HEADER_LEN + TAG_LEN +
					       (end ? end - text : 0)));
	int enomem = 0;
	const char *dup = cJSON_IsObject(json) ? duplicate_key(json, &enomem) : NULL;
	if (!cJSON_IsObject(json) || dup || enomem) {
		rc = enomem ? traj_fail(err, TRAJ_ENOMEM, at, "out of memory") :
		     dup ? record_fail(err, TRAJ_EDATA, at, "a",
				       "duplicate key '%.64s' in header", dup) :
			   record_fail(err, TRAJ_EDATA, at, "a",
				       "header is not a JSON object");
		cJSON_Delete(json);
		return rc;
	}
	return on_record(r, at, json, err);
}

/* Whether the first n bytes of the input could start a record. */
static int magic_prefix(const uint8_t *head, size_t n)
{
	uint8_t magic[4];
	put_le32(magic, RECORD_MAGIC);
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
		return not_traj(err);
	if (rc > 0)
		return truncated_at(r, at, err);
	uint32_t magic = get_le32(head), len = get_le32(head + 4);
	if ((magic & SKIPPABLE_MASK) != SKIPPABLE_FIRST) {
		if (r->state == AT_START)
			return not_traj(err);
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
		return not_traj(err);
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

/* ---- resuming a writer ---- */

/* A copy of a reader's tensor set (names, layouts, data, index). */
static int set_copy(struct tensor_set *dst, const struct tensor_set *src)
{
	if (set_reserve(dst, src->n ? src->n : 1))
		return -1;
	for (int i = 0; i < src->n; i++) {
		const struct traj_tensor *t = &src->t[i];
		struct traj_tensor *c = &dst->t[dst->n];
		if (tensor_alloc(c, t->name, t->dtype, t->rank, t->shape))
			return -1;
		dst->n++;
		memcpy(c->data, t->data, tensor_nbytes(t));
	}
	set_index(dst);
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
					     encoding_name(opts->encoding)) ||
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
	const char *enc = field_string(&rec, "encoding", err);
	if (!enc)
		return -1;
	if (encoding_from_name(enc, &opts->encoding))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "writer: unknown encoding '%.32s'", enc);
	if (field_int(&rec, "key_every", 1, 1 << 20, &key_every, err) ||
	    field_int(&rec, "level", ZSTD_minCLevel(), ZSTD_maxCLevel(), &level,
		      err))
		return -1;
	opts->key_every = (int)key_every;
	opts->level = (int)level;
	return 0;
}
