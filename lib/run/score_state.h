/* traj-score's state between runs (--state, for cron): where in a stream
 * it stopped, so that the next run scores only the checkpoints after it.
 *
 * A text file, version 1 (formats/state.md; its frame is
 * common/statefile.h): a header line, the run
 * (its id, a hash of its run record, the byte offset of the record), the
 * byte offset of the last key checkpoint read (decoding starts there:
 * later checkpoints are stored as differences), the byte offset of the
 * next record, the last checkpoint scored (its step and a hash of its
 * contents), and a last line with an FNV-1a 64 checksum of the lines
 * before it, so that a truncated or damaged file is noticed.
 *
 * The identity check: going on, the run record is read again and must
 * hash the same, and the checkpoints from the key one to the offset are
 * decoded again (not scored) and the last must be the one recorded, so a
 * stream replaced by another run, or by the same configuration trained
 * again, is noticed. */
#ifndef TRAJ_SCORE_STATE_H
#define TRAJ_SCORE_STATE_H

#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "common/error.h"
#include "format/names.h"
#include "format/stream.h"

#define SCORE_STATE_VERSION 1

struct score_state {
	char run[STREAM_RUN_ID_MAX]; /* the run id, "-" when it has none */
	uint64_t run_hash;  /* FNV-1a 64 of the run record's JSON, unformatted */
	int64_t run_at;     /* byte offset of the run record; -1: nothing yet */
	int64_t key_at;     /* the last key checkpoint read in it; -1: none */
	int64_t next;       /* byte offset after the last record done */
	int64_t step;       /* the last checkpoint scored; -1: none */
	uint64_t ckpt_hash; /* its hash (scorestate_ckpt_hash) */
	int64_t ckpts;      /* checkpoints scored since the state began */
};

/* A state at the start of the stream: nothing done. */
void scorestate_init(struct score_state *st);

uint64_t scorestate_run_hash(const cJSON *run);
/* FNV-1a 64 of the step, the metrics and every tensor's name, shape and
 * first MiB of data. */
uint64_t scorestate_ckpt_hash(const struct traj_ckpt *c);

/* The identity of the run st is in, given its first checkpoint: FNV-1a 64
 * of the run record's hash and that checkpoint's (16 bytes, host order).
 * traj-score --state prints it before the first checkpoint's lines
 * (format/metrics.h, "# traj-run") so that traj-emerge --state notices a
 * stream replaced by another under the same run id: another run record,
 * or the same one with other initial weights. */
uint64_t scorestate_identity(const struct score_state *st,
			     const struct traj_ckpt *first);

/* After the reader returned a record: TRAJ_REC_RUN, TRAJ_REC_CKPT (scored)
 * or TRAJ_REC_END. Returns 0, or -1 with err (TRAJ_ENOMEM). */
int scorestate_note(struct score_state *st, const struct traj_reader *r,
		    int rec, struct traj_error *err);

/* Writes st to f. Returns 0, or -1 with err set (TRAJ_EFAIL). */
int scorestate_save(const struct score_state *st, FILE *f,
		    struct traj_error *err);
/* Reads a state written by scorestate_save. Returns 0, or -1 with err
 * set (TRAJ_EDATA, the message naming `name` and the line: not a state
 * file, a newer version, damaged or truncated); st is then a new state. */
int scorestate_load(struct score_state *st, FILE *f, const char *name,
		    struct traj_error *err);

/* Positions r, a new reader of a seekable file, to go on after what st
 * records: reads the run record at st->run_at, seeks to the key
 * checkpoint and decodes (returns nothing of) the checkpoints up to
 * st->next. Returns 1 when r is positioned (stream_reader_run holds the
 * run), 0 when the stream is not the one st was written for (err->msg
 * says why: the caller reads again from the start, with a new reader),
 * -1 with err set on an error that ends the program (TRAJ_ENOMEM,
 * TRAJ_EFAIL). */
int scorestate_resume(struct traj_reader *r, const struct score_state *st,
		      struct traj_error *err);

#endif
