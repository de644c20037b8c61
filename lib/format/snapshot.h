/* The engine of traj-snapshot: selects checkpoints and tensors from one
 * or more streams of one run and lists them (a text line per checkpoint
 * and, verbose, per tensor), writes them as one stream (re-encoded,
 * optionally as bf16/f16), or writes one stream per checkpoint into a
 * directory (--split, each file atomic). Inputs are read in turn; a step
 * not above the last one seen is dropped (a run joined after a resume).
 *
 * List lines (tab-separated):
 *   ckpt RUN STEP TENSORS RAW_BYTES STORED_BYTES RATIO
 *   tensor RUN STEP NAME DTYPE SHAPE L2NORM */
#ifndef TRAJ_FORMAT_SNAPSHOT_H
#define TRAJ_FORMAT_SNAPSHOT_H

#include <stdio.h>

#include "common/error.h"
#include "format/select.h"
#include "format/stream.h"

struct snapshot_opts {
	struct ckpt_select sel;
	char *const *globs;         /* tensors kept (nameglob); none: all */
	int nglobs;
	int list, verbose;          /* lines instead of a stream */
	struct traj_write_opts wopts;
	enum traj_dtype dtype;      /* f32 tensors stored as; TRAJ_F32: as is */
	const char *split;          /* DIR: DIR/RUN-STEP.traj per checkpoint */
	const char *creator;        /* who marks a run lossy, "traj-snapshot V" */
};

struct snapshot;

/* `out` (borrowed) receives the lines or the stream (unused with split),
 * named `out_name` in messages. Returns NULL only out of memory. */
struct snapshot *snapshot_new(const struct snapshot_opts *opts, FILE *out,
			      const char *out_name);
/* Reads the stream `r` (named `name`) to its end or until the selection
 * is complete. Returns 1 when complete (no later input can add to it), 0
 * when more input may, -1 with err set; a write failure is status
 * TRAJ_EFAIL with errno kept. Errors name their subject (the input, the
 * output) in the message. */
int snapshot_read(struct snapshot *s, struct traj_reader *r, const char *name,
		  struct traj_error *err);
/* Writes what only the end decides (--last) and ends the output stream
 * (a selection that kept nothing still gives the run record). */
int snapshot_finish(struct snapshot *s, struct traj_error *err);
void snapshot_free(struct snapshot *s);

#endif
