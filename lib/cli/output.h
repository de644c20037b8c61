/* The output a program names with -o FILE, the same way in every program:
 * no name or "-" is standard output (refused for binary data when it is
 * a terminal, unless forced); a FILE is written atomically
 * (common/atomicfile.h) and its temporary file removed if the program
 * ends before the commit, so no half file ever appears under its name. */
#ifndef TRAJ_CLI_OUTPUT_H
#define TRAJ_CLI_OUTPUT_H

#include <stdio.h>

#include "common/atomicfile.h"

struct cli_output {
	FILE *f;
	const char *name;          /* as messages name it: the path or "-" */
	struct atomic_file af;     /* unless f is stdout */
};

/* Opens `path` (NULL or "-": stdout) or ends the program with one line
 * (status 73, or 64 for binary to a terminal). One output is open at a
 * time. */
void cli_output_open(struct cli_output *o, const char *path, int binary,
		     int force);
/* Flushes and commits a FILE (stdout is left to cli_finish), or ends the
 * program with one line. */
void cli_output_commit(struct cli_output *o);

#endif
