/* traj-emerge's state between runs (--state, for cron): every series'
 * detector state, so that a run fed only the new metric lines prints only
 * the new events, and each event once.
 *
 * A text file, version 5 (formats/state.md; its frame is
 * common/statefile.h): a header line, one line of the options'
 * fingerprint (a state is only good for the options that made it), the
 * runs' identities (emerge_run_identity), then per series its last
 * point, its --when flags, whether its change under way was announced
 * (opts.early; version 3, read as not from versions 1 and 2, which never
 * announced one; version 4: as rising or falling, and the STEP of
 * that provisional line, which a retraction names), its change-point detector (recent points, the
 * change under way, the noise estimate), its
 * steepest window and (version 5) the changes found in its first points,
 * held back or not (emerge_held.c); floating-point numbers in C99 hexadecimal (%a), so a
 * detector restored is bit for bit the one saved; and a last line with
 * the number of series and an FNV-1a 64 checksum of everything before it,
 * so a truncated or damaged file is noticed. */
#ifndef TRAJ_EMERGE_STATE_H
#define TRAJ_EMERGE_STATE_H

#include <stdio.h>

#include "analysis/emerge.h"
#include "common/error.h"

#define EMERGE_STATE_VERSION 5

/* Writes the state of every series to f. Returns 0, or -1 with err set
 * (TRAJ_EFAIL) on a write error. */
int emerge_state_save(const struct emerge *e, FILE *f, struct traj_error *err);
/* Reads a state written by emerge_state_save into e, which must be new.
 * Returns 0, or -1 with err set (TRAJ_EDATA, the message naming `name`
 * and the line: not a state file, a newer version, other options, a
 * damaged or truncated file; TRAJ_ENOMEM). After a failure e holds some
 * series: free it and start with a new one. */
int emerge_state_load(struct emerge *e, FILE *f, const char *name,
		      struct traj_error *err);

#endif
