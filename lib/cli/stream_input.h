/* Opening a checkpoint stream named on the command line, the same way in
 * every program: "-" or no name is standard input, a file that cannot be
 * opened is status 66, a stream that does not start like one is the
 * reader's error (status 65), each one line naming the input. */
#ifndef TRAJ_CLI_STREAM_INPUT_H
#define TRAJ_CLI_STREAM_INPUT_H

#include <stdio.h>

#include "format/stream.h"
#include "run/run_subject.h"

struct cli_stream_input {
	FILE *file;
	const char *name;           /* as messages name it: the path or "-" */
	struct traj_reader *reader;
};

/* Opens `path` (NULL or "-": stdin) with the default limits or `limits`,
 * or ends the program with one line. With skip_optim, the optimiser state
 * ("optim/" tensors) is verified but never decompressed: for every tool
 * that needs the parameters only. */
void cli_stream_open(struct cli_stream_input *in, const char *path,
		     const struct traj_read_limits *limits, int skip_optim);
void cli_stream_close(struct cli_stream_input *in);

/* Opens `path` as cli_stream_open does (skipping the optimiser state),
 * loads the checkpoints `want` names (run_subject_read) into s and
 * other, and closes it; or ends the program with one line naming the
 * input. */
void cli_stream_read_subject(const char *path, const struct run_load *want,
			     struct run_subject *s, struct run_subject *other);

/* Whether a pass over a stream's records succeeded: rc is the pass's own
 * status, rec the reader's last return (stream_read_next). 0 when both
 * did; else -1, an error of the pass that names no byte offset placed at
 * the reader's (where the record it failed on ends). */
int cli_stream_status(const struct traj_reader *r, int rc, int rec,
		      struct traj_error *err);

/* Ends the program on an error about input `name` (cli_die_error), after
 * flushing what was written so far: the metric lines of every checkpoint
 * before the error reach the reader. */
void cli_die_input(const char *name, const struct traj_error *err)
	__attribute__((noreturn));

#endif
