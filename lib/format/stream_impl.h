/* Internals of the checkpoint stream shared by its files (not part of the
 * public API, which is stream.h):
 *
 *   stream_record.c        record primitives both sides use: little-endian
 *                          fields, CRC-32, checked access to a record's
 *                          JSON fields (duplicate keys: jsontext.h)
 *   stream_set.c           tensor sets: one checkpoint's tensors by name,
 *                          and the reference window of earlier ones
 *   stream_write.c         the writer, its options, resuming a writer
 *   stream_read.c          the reader: frames, limits, follow mode
 *   stream_read_records.c  the reader's record handlers: the state
 *                          machine and the decoding of tensors */
#ifndef TRAJ_STREAM_IMPL_H
#define TRAJ_STREAM_IMPL_H

#include <zstd.h>

#include "common/jsontext.h"
#include "format/stream.h"

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
#define DEFAULT_MAX_CKPT ((int64_t)1 << 30)
#define VERIFY_CHUNK ((size_t)1 << 17) /* pieces of a skipped tensor */

/* ---- stream_record.c ---- */

/* Little-endian u32 fields of frame headers and CRCs. */
uint32_t stream_get_le32(const uint8_t *p);
void stream_put_le32(uint8_t *p, uint32_t v);

/* Grows *buf to at least `need` bytes (contents kept); -1 out of memory.
 * Shared: the writer's encode buffers, the reader's payload buffers. */
int stream_grow(uint8_t **buf, size_t *cap, size_t need);


/* A record's JSON header, for checked field access: every failure names
 * the record and the field. Also used for the writer options in a run
 * header (stream_write_opts_from_json). */
struct record {
	const cJSON *json;
	const char *kind;  /* record type, for messages */
	int64_t at;        /* byte offset of the record */
};

/* Fills `msg` with "<kind> record at byte N: <detail>". */
int stream_record_fail(struct traj_error *err, enum traj_status status,
		int64_t at, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
const cJSON *stream_field(const struct record *rec, const char *key, int type,
		   const char *type_name, struct traj_error *err);
const char *stream_field_string(const struct record *rec, const char *key,
			 struct traj_error *err);
/* An integer a double holds exactly, in lo..hi; -1 otherwise. */
int stream_exact_int(const cJSON *v, int64_t lo, int64_t hi, int64_t *out);
int stream_field_int(const struct record *rec, const char *key, int64_t lo,
	      int64_t hi, int64_t *out, struct traj_error *err);

/* ---- stream_set.c: tensor sets, one checkpoint's tensors by name ---- */

struct tensor_set {
	struct traj_tensor *t;
	const struct traj_tensor **order; /* by name, after set_index */
	int n, cap;
	cJSON *header;   /* the ckpt record (reader): holds the metrics */
	int64_t step;
	int key;
};

void stream_set_clear(struct tensor_set *s);
void stream_set_free(struct tensor_set *s);
/* Room for n tensors, growing geometrically. */
int stream_set_reserve(struct tensor_set *s, int n);
/* Sorts the name index; returns a duplicated name, or NULL. */
const char *stream_set_index(struct tensor_set *s);
/* Position `hint` is tried before the binary search. */
const struct traj_tensor *stream_set_find(const struct tensor_set *s,
				   const char *name, int hint);
int stream_set_same_layout(const struct traj_tensor *a, const struct traj_tensor *b);
/* The reference for tensor t in set s: same name, dtype and shape. */
const void *stream_set_find_ref(const struct tensor_set *s, const struct traj_tensor *t,
		     int hint);
/* Slides the reference window after a complete checkpoint. */
void stream_set_shift(struct tensor_set *cur, struct tensor_set *prev,
	       struct tensor_set *prev2);

/* ---- the reader (stream_read.c, stream_read_records.c) ---- */

enum reader_state {
	AT_START,      /* nothing read: the first frame must be a run record */
	IN_RUN,        /* between checkpoints */
	IN_CKPT,       /* between a ckpt record and its end-ckpt */
	AFTER_END,     /* after an end record: only a new run may follow */
	BROKEN,        /* after an error */
};

/* Returned by the record handlers to keep reading. */
#define CONTINUE (-2)

/* Shared with stream_write.c, which resumes a writer from a reader. */
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
	int64_t kept;           /* decoded bytes kept from it (the budget) */
	int64_t run_ckpts;      /* complete checkpoints in this run */
	struct tensor_set cur, prev, prev2;
	struct traj_ckpt view;  /* what stream_reader_ckpt returns */
	struct traj_ckpt last;  /* the last complete checkpoint (prev) */
	uint8_t *payload, *zbuf, *dec;
	uint8_t *piece;         /* VERIFY_CHUNK in and out, skipped tensors */
	size_t payload_cap, zcap, dcap;
	const volatile sig_atomic_t *stop; /* follow mode when set */
	int follow_file;        /* following a regular file */
	int stopped;            /* *stop ended the input */
	const char *skip;       /* name prefix of tensors not decoded */
};

/* Defined in stream_read.c, used by the record handlers. */

/* Reads n bytes into *buf, growing it as data actually arrives: 0 when
 * done, 1 at end of input, -1 on an error. */
int stream_read_growing(struct traj_reader *r, uint8_t **buf, size_t *cap,
		 size_t n, struct traj_error *err);
/* Reads exactly n bytes into buf: 0 when done, 1 at end of input, -1
 * on an error. */
int stream_read_piece(struct traj_reader *r, void *buf, size_t n,
		      struct traj_error *err);
/* The input ended inside the current checkpoint: TRAJ_REC_EOF when
 * asked to stop (follow mode), else -1 with err set. */
int stream_ckpt_truncated(const struct traj_reader *r, struct traj_error *err);
/* The input does not start with a run record: -1 with err set. */
int stream_not_traj(struct traj_error *err);

/* Defined in stream_read_records.c: dispatches a parsed record; takes
 * ownership of `json`. Returns a traj_record, CONTINUE, or -1. */
int stream_on_record(struct traj_reader *r, int64_t at, cJSON *json,
	      struct traj_error *err);

#endif
