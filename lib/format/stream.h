/* The checkpoint stream (formats/traj-stream.md): reading and writing.
 *
 * A stream is a concatenation of zstd frames. Records are zstd skippable
 * frames holding a JSON header; a tensor record is followed by one ordinary
 * zstd frame (content checksum on) holding its encoded bytes.
 *
 * Ownership: the writer borrows the tensors passed to it; the reader owns
 * every tensor and JSON object it returns, valid until the next call to
 * stream_read_next or stream_reader_free. Neither prints anything. */
#ifndef TRAJ_STREAM_H
#define TRAJ_STREAM_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "common/error.h"
#include "common/tensor.h"

#define TRAJ_STREAM_VERSION 1

enum traj_encoding {
	TRAJ_ENC_RAW,     /* bytes as they are in memory (little-endian) */
	TRAJ_ENC_SHUFFLE, /* byte planes: all first bytes, then all second... */
	TRAJ_ENC_XOR,     /* XOR with the previous checkpoint, then shuffle */
	TRAJ_ENC_PRED2,   /* residual against linear extrapolation from the
			     two previous checkpoints; see the spec */
	TRAJ_ENC_DELTA,   /* residual against the previous checkpoint; the
			     writer's pred2 falls back to it per tensor when
			     extrapolation predicts worse */
	TRAJ_NENCODINGS
};

const char *stream_encoding_name(enum traj_encoding enc);
int stream_encoding_from_name(const char *name, enum traj_encoding *out);

struct traj_write_opts {
	enum traj_encoding encoding; /* for tensors that have a reference */
	int key_every;   /* a key checkpoint (no reference) every K; >= 1 */
	int level;       /* zstd compression level */
	int sync;        /* fsync the output after every checkpoint (when it
			    is a file), so a crash loses at most the
			    checkpoint being written */
};
void stream_write_opts_default(struct traj_write_opts *opts);

struct traj_writer;
struct traj_reader;

/* Writes the `run` record. `run` is the run configuration object; the writer
 * adds "type" and "version" and does not keep the pointer. `opts` may be
 * NULL for the defaults (pred2, key_every 16, zstd level 1). */
struct traj_writer *stream_writer_open(FILE *out, const cJSON *run,
				       const struct traj_write_opts *opts,
				       struct traj_error *err);
/* A checkpoint: begin, its tensors in a fixed order, end. `metrics` (an
 * object of name -> number, may be NULL) rides in the ckpt record. Each
 * end_ckpt flushes `out`. */
int stream_write_begin(struct traj_writer *w, int64_t step, int ntensors,
		       const cJSON *metrics, struct traj_error *err);
/* Whether the next checkpoint begun will be a key checkpoint. */
int stream_writer_next_is_key(const struct traj_writer *w);
int stream_write_tensor(struct traj_writer *w, const struct traj_tensor *t,
			struct traj_error *err);
int stream_write_end(struct traj_writer *w, struct traj_error *err);
/* Writes the closing `end` record and frees the writer (not `out`). */
int stream_writer_close(struct traj_writer *w, struct traj_error *err);
void stream_writer_free(struct traj_writer *w);
/* A writer that continues a run read by `r` (resuming a training): it
 * writes no run record, and takes its reference window and checkpoint
 * count from the reader's last complete checkpoint, so that what it
 * writes next is byte for byte what the original writer would have
 * written. `out` must be positioned right after that checkpoint. */
struct traj_writer *stream_writer_resume(FILE *out, const struct traj_reader *r,
					 const struct traj_write_opts *opts,
					 struct traj_error *err);
/* The writer options as a JSON object {"encoding","key_every","level"}
 * (a new object), and back; used to record them in a run header. */
cJSON *stream_write_opts_to_json(const struct traj_write_opts *opts);
int stream_write_opts_from_json(const cJSON *json,
				struct traj_write_opts *opts,
				struct traj_error *err);

/* Limits checked before any allocation. */
struct traj_read_limits {
	uint32_t max_header;     /* bytes of one JSON header */
	int64_t max_tensor;      /* bytes of one decoded tensor */
	int max_tensors;         /* tensors in one checkpoint */
	int64_t max_ckpt;        /* the budget: decoded bytes kept from one
				    checkpoint (skipped tensors do not count:
				    they are verified in small pieces) */
};
/* 1 MiB header, 1 GiB tensor, 65536 tensors, a 1 GiB budget. */
void stream_read_limits_default(struct traj_read_limits *limits);
/* The environment variable that sets the budget, in bytes with an
 * optional K, M, G or T suffix (powers of 1024); also raises max_tensor
 * to it when larger. */
#define STREAM_BUDGET_ENV "TRAJ_CKPT_BUDGET"
/* Applies STREAM_BUDGET_ENV to `limits`: 0, or -1 with TRAJ_EUSAGE when
 * its value is not a size. */
int stream_read_limits_env(struct traj_read_limits *limits,
			   struct traj_error *err);

enum traj_record {
	TRAJ_REC_EOF = 0,   /* clean end of input */
	TRAJ_REC_RUN,       /* a run record: stream_reader_run() changed */
	TRAJ_REC_CKPT,      /* a complete, verified checkpoint */
	TRAJ_REC_END,       /* the run's closing record */
};

struct traj_ckpt {
	int64_t step;
	int key;                    /* decodable without earlier checkpoints */
	int ntensors;
	struct traj_tensor *tensors;
	const cJSON *metrics;       /* NULL when absent */
};

struct traj_reader;

/* `name` is used in messages only ("-" or a path); messages do not repeat
 * it, the caller prefixes it. `limits` may be NULL for the defaults with
 * STREAM_BUDGET_ENV applied (then a bad value of it fails the open with
 * TRAJ_EUSAGE). Reads with fread only, so
 * `in` may be a pipe; returns each checkpoint without reading past it. */
struct traj_reader *stream_reader_open(FILE *in, const char *name,
				       const struct traj_read_limits *limits,
				       struct traj_error *err);
/* Returns a traj_record, or -1 with err set (status TRAJ_EDATA for invalid
 * data, TRAJ_ETRUNC when the input ends inside a record or checkpoint,
 * TRAJ_EFAIL for I/O errors, TRAJ_ENOMEM). After -1 the reader must not be
 * used again. Writer functions fail with TRAJ_EFAIL for write errors,
 * TRAJ_ENOMEM, or TRAJ_EINTERNAL when called with bad arguments. */
int stream_read_next(struct traj_reader *r, struct traj_error *err);
/* The current run record (NULL before the first); see TRAJ_REC_RUN. */
const cJSON *stream_reader_run(const struct traj_reader *r);
/* The checkpoint just read; valid after TRAJ_REC_CKPT. */
const struct traj_ckpt *stream_reader_ckpt(const struct traj_reader *r);
/* Finds a tensor of the current checkpoint by name, or NULL. */
const struct traj_tensor *stream_ckpt_find(const struct traj_ckpt *c, const char *name);
/* Byte offset of the next unread byte. */
int64_t stream_reader_offset(const struct traj_reader *r);
void stream_reader_free(struct traj_reader *r);
/* Moves a reader of a seekable file to byte `offset`, which must be where
 * a key checkpoint of the current run starts (the ckpt record; as
 * stream_reader_record_offset gave it when that checkpoint was read,
 * perhaps by another process), or, before anything was read, where a run
 * record starts: to go on from a checkpoint without reading the ones
 * before it. The reader must be new or between checkpoints (after
 * TRAJ_REC_RUN or TRAJ_REC_CKPT); it forgets its reference window
 * and stream_reader_last_ckpt, and stream_reader_run_ckpts counts from
 * there. Returns 0, or -1 with err set: TRAJ_EINTERNAL in another state,
 * TRAJ_EFAIL when the input cannot seek. If `offset` is not such a
 * checkpoint, stream_read_next fails (TRAJ_EDATA) or reads a
 * checkpoint that does not belong: check what it returns. */
int stream_reader_seek(struct traj_reader *r, int64_t offset,
		       struct traj_error *err);

/* The last complete checkpoint of the current run, still valid after
 * stream_read_next failed (truncated input); ntensors is 0 and step -1
 * when there is none. */
const struct traj_ckpt *stream_reader_last_ckpt(const struct traj_reader *r);
/* Complete checkpoints read in the current run. */
int64_t stream_reader_run_ckpts(const struct traj_reader *r);
/* Byte offset where the record last returned (a run, the end-ckpt of a
 * checkpoint, an end) starts, and for a checkpoint its ckpt record. */
int64_t stream_reader_record_offset(const struct traj_reader *r);

/* Follow mode, like `tail -f`: at the end of a regular file the reader
 * waits for more (polling every few ms) instead of ending, until *stop
 * becomes non-zero (set it from a SIGINT/SIGTERM handler), or the run's
 * closing `end` record arrived (after it, what is there is read and the
 * end of input is the end). Stopped by *stop, stream_read_next returns
 * TRAJ_REC_EOF even inside a checkpoint (that checkpoint is not handed
 * out). Input that shrinks while followed is an error (TRAJ_EDATA).
 * On pipes it changes nothing: a pipe already waits. */
void stream_reader_follow(struct traj_reader *r,
			  const volatile sig_atomic_t *stop);
/* Tensors whose name begins with `prefix` (e.g. "optim/") are verified
 * (checksums) but neither decoded, kept nor handed out: their frame is
 * read and decompressed in small pieces, so whatever their size they
 * cost neither memory nor the budget. NULL skips nothing. The string
 * must outlive the reader. */
void stream_reader_skip_prefix(struct traj_reader *r, const char *prefix);

/* Low level, for tests and tools that craft streams. */

/* CRC-32 of zlib/gzip/PNG, chained like zlib's crc32(): start with 0. */
uint32_t stream_crc32(uint32_t crc, const void *data, size_t len);
/* Writes one record frame (magic, length, "TRJ1", json, CRC-32) holding
 * `len` bytes of JSON text, unchecked. */
int stream_write_record(FILE *out, const char *json, size_t len,
			struct traj_error *err);

#endif
