/* The stream reader's record handlers: the state machine of runs and
 * checkpoints, and the checking and decoding of tensor records. Frames
 * are read in stream_read.c. */
#include "format/stream_impl.h"

#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "format/encode.h"
#include "format/names.h"

static void reset_run(struct traj_reader *r)
{
	stream_set_clear(&r->cur);
	stream_set_clear(&r->prev);
	stream_set_clear(&r->prev2);
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
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "checkpoint at step %lld (record at byte %lld) not ended",
				   (long long)r->cur.step, (long long)r->ckpt_at);
	if (stream_field_int(rec, "version", 0, INT32_MAX, &version, err))
		return -1;
	if (version != TRAJ_STREAM_VERSION)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "unsupported version %lld (this reader knows version %d)",
				   (long long)version, TRAJ_STREAM_VERSION);
	/* Checked here, once for every tool: the id becomes the first field
	 * of metric lines and part of file names. Not echoed: it may hold a
	 * newline. */
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "run");
	if (id && !(cJSON_IsString(id) && stream_run_id_valid(id->valuestring)))
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'run': not a run id (1-%d bytes of A-Z a-z 0-9 . _ + -)",
				   STREAM_RUN_ID_MAX - 1);
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
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'metrics' must be an object");
	for (const cJSON *v = m->child; v; v = v->next) {
		/* Names end up inside metric lines: no tabs or newlines. */
		if (!tensor_name_valid(v->string))
			return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
					   "metric name '%.64s' is not 1-255 printable "
					   "characters without spaces", v->string);
		if (!cJSON_IsNumber(v) && !cJSON_IsNull(v))
			return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
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
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "record after the end of the run");
	if (want_ckpt && r->state != IN_CKPT)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "outside a checkpoint");
	if (!want_ckpt && r->state == IN_CKPT)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "checkpoint at step %lld (record at byte %lld) not ended",
				   (long long)r->cur.step, (long long)r->ckpt_at);
	return 0;
}

static int on_ckpt(struct traj_reader *r, const struct record *rec,
		   cJSON *json, struct traj_error *err)
{
	int64_t step, ntensors;
	if (check_state(r, rec, 0, err) ||
	    stream_field_int(rec, "step", 0, INT64_MAX, &step, err) ||
	    stream_field_int(rec, "tensors", 0, r->lim.max_tensors, &ntensors, err) ||
	    metrics_valid(rec, err))
		return -1;
	const cJSON *key = stream_field(rec, "key", cJSON_True | cJSON_False,
				 "true or false", err);
	if (!key)
		return -1;
	/* A key checkpoint refers to nothing earlier (find_refs), but P1 and
	 * P2 stay until it is complete: if the input ends inside it, the
	 * last complete checkpoint is still whole (stream_reader_last_ckpt). */
	stream_set_clear(&r->cur);
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
	const cJSON *shape = stream_field(rec, "shape", cJSON_Array, "an array", err);
	if (!shape)
		return -1;
	int rank = cJSON_GetArraySize(shape);
	if (rank > TRAJ_MAX_RANK)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'shape': rank %d exceeds %d", rank,
				   TRAJ_MAX_RANK);
	t->rank = 0;
	for (const cJSON *d = shape->child; d; d = d->next) {
		if (!cJSON_IsNumber(d) ||
		    stream_exact_int(d, 0, INT64_MAX, &t->shape[t->rank]))
			return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
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
	const char *name = stream_field_string(rec, "name", err);
	if (!name)
		return -1;
	if (!tensor_name_valid(name))
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'name': invalid tensor name");
	strcpy(h->t.name, name);
	const char *dtype = stream_field_string(rec, "dtype", err);
	if (!dtype)
		return -1;
	if (dtype_from_name(dtype, &h->t.dtype))
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'dtype': unknown dtype '%.32s'", dtype);
	const char *enc = stream_field_string(rec, "encoding", err);
	if (!enc)
		return -1;
	if (stream_encoding_from_name(enc, &h->enc))
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'encoding': unknown encoding '%.32s'", enc);
	if (parse_shape(rec, &h->t, err))
		return -1;
	int64_t esize = (int64_t)dtype_size(h->t.dtype);
	int64_t numel = tensor_numel_checked(h->t.rank, h->t.shape,
					     r->lim.max_tensor / esize);
	int64_t bytes, zbytes;
	if (numel < 0)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "tensor '%s' exceeds the limit of %lld bytes",
				   h->t.name, (long long)r->lim.max_tensor);
	if (stream_field_int(rec, "bytes", 0, r->lim.max_tensor, &bytes, err))
		return -1;
	if (bytes != numel * esize)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field 'bytes' is %lld, shape and dtype give %lld",
				   (long long)bytes, (long long)(numel * esize));
	int64_t zmax = (int64_t)ZSTD_compressBound((size_t)bytes) + ZBYTES_SLACK;
	if (stream_field_int(rec, "zbytes", 1, zmax, &zbytes, err))
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
	if (h->zbytes < 6 || stream_get_le32(z) != ZSTD_FRAME_MAGIC)
		return stream_record_fail(err, TRAJ_EDATA, at, rec->kind,
				   "data of tensor '%s' is not a zstd frame", name);
	/* Frame_Header_Descriptor bit 2: Content_Checksum_flag (RFC 8878). */
	if (!(z[4] & 0x04))
		return stream_record_fail(err, TRAJ_EDATA, at, rec->kind,
				   "zstd frame of tensor '%s' has no content checksum",
				   name);
	unsigned long long size = ZSTD_getFrameContentSize(z, h->zbytes);
	if (size != h->bytes)
		return stream_record_fail(err, TRAJ_EDATA, at, rec->kind,
				   "zstd frame of tensor '%s' does not declare %zu bytes of content",
				   name, h->bytes);
	size_t flen = ZSTD_findFrameCompressedSize(z, h->zbytes);
	if (ZSTD_isError(flen) || flen != h->zbytes)
		return stream_record_fail(err, TRAJ_EDATA, at, rec->kind,
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
	if (!stream_encoding_needs_ref(h->enc))
		return 0;
	if (r->cur.key)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "tensor '%s' in a key checkpoint uses encoding '%s'",
				   h->t.name, stream_encoding_name(h->enc));
	*ref1 = stream_set_find_ref(&r->prev, &h->t, r->cur.n);
	if (!*ref1)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "tensor '%s' refers to the previous checkpoint, "
				   "which has no matching tensor (reading from a non-key checkpoint?)",
				   h->t.name);
	/* P2 is older than a key P1: the window starts at the key. */
	if (h->enc == TRAJ_ENC_PRED2 && !r->prev.key)
		*ref0 = stream_set_find_ref(&r->prev2, &h->t, r->cur.n);
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
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "zstd frame of tensor '%s': %s", h->t.name,
				   ZSTD_getErrorName(got));
	if (got != h->bytes)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "tensor '%s' decompressed to %zu bytes, expected %zu",
				   h->t.name, got, h->bytes);
	return 0;
}

/* A skipped tensor is still verified (its checksum), only not decoded
 * or kept: a damaged stream is reported whatever the reader wants. */
static int verify_tensor(struct traj_reader *r, const struct record *rec,
			 const struct tensor_head *h, struct traj_error *err)
{
	if (stream_grow(&r->dec, &r->dcap, h->bytes ? h->bytes : 1))
		return traj_fail(err, TRAJ_ENOMEM, rec->at, "out of memory");
	return decompress_frame(r, rec, h, r->dec, err);
}

static int decode_tensor(struct traj_reader *r, const struct record *rec,
			 struct tensor_head *h, const void *ref1,
			 const void *ref0, struct traj_error *err)
{
	/* The array grows as tensors arrive, not as the header claims. */
	if (stream_set_reserve(&r->cur, r->cur.n + 1))
		return traj_fail(err, TRAJ_ENOMEM, rec->at, "out of memory");
	struct traj_tensor *t = &r->cur.t[r->cur.n];
	if (tensor_alloc(t, h->t.name, h->t.dtype, h->t.rank, h->t.shape))
		return traj_fail(err, TRAJ_ENOMEM, rec->at, "out of memory");
	r->cur.n++; /* owned by the set from here on */
	if (stream_grow(&r->dec, &r->dcap, h->bytes ? h->bytes : 1))
		return traj_fail(err, TRAJ_ENOMEM, rec->at, "out of memory");
	uint8_t *dst = h->enc == TRAJ_ENC_RAW ? t->data : r->dec;
	if (decompress_frame(r, rec, h, dst, err))
		return -1;
	if (h->enc != TRAJ_ENC_RAW)
		stream_decode_elements(h->enc, h->t.dtype, h->bytes / dtype_size(h->t.dtype),
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
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "checkpoint at step %lld has more than the %d tensors announced",
				   (long long)r->cur.step, r->expected);
	if (parse_tensor_head(r, rec, &h, err))
		return -1;
	int skip = r->skip && strncmp(h.t.name, r->skip, strlen(r->skip)) == 0;
	if (!skip && find_refs(r, rec, &h, &ref1, &ref0, err))
		return -1;
	int rc = stream_read_growing(r, &r->zbuf, &r->zcap, h.zbytes, err);
	if (rc > 0)
		return stream_ckpt_truncated(r, err);
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
	    stream_field_int(rec, "step", 0, INT64_MAX, &step, err))
		return -1;
	if (step != r->cur.step)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "step %lld closes the checkpoint at step %lld",
				   (long long)step, (long long)r->cur.step);
	if (r->got != r->expected)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "checkpoint at step %lld has %d tensors, %d announced",
				   (long long)step, r->got, r->expected);
	const char *dup = stream_set_index(&r->cur);
	if (dup)
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "duplicate tensor name '%s' in checkpoint at step %lld",
				   dup, (long long)step);
	stream_set_shift(&r->cur, &r->prev, &r->prev2);
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
int stream_on_record(struct traj_reader *r, int64_t at, cJSON *json,
	      struct traj_error *err)
{
	struct record rec = {json, "a", at};
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
	int rc;
	if (!cJSON_IsString(type)) {
		rc = stream_record_fail(err, TRAJ_EDATA, at, "a",
				 "field 'type' missing or not a string");
		cJSON_Delete(json);
		return rc;
	}
	rec.kind = type->valuestring;
	if (r->state == AT_START && strcmp(rec.kind, "run") != 0) {
		cJSON_Delete(json);
		return stream_not_traj(err);
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
