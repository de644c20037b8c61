/* Error reporting for the library: the engine never prints, it fills a
 * traj_error that the program turns into one line on stderr. */
#ifndef TRAJ_ERROR_H
#define TRAJ_ERROR_H

#include <stdint.h>

/* Exit statuses shared by every program; documented in traj(1). */
enum traj_status {
	TRAJ_OK = 0,
	TRAJ_EFAIL = 1,      /* runtime failure: I/O error, out of memory */
	TRAJ_EUSAGE = 2,     /* bad command line */
	TRAJ_EDATA = 3,      /* input is not a valid stream, or is corrupt */
	TRAJ_ETRUNC = 4,     /* input ends inside a checkpoint (torn tail) */
};

struct traj_error {
	enum traj_status status;
	int64_t offset;       /* byte offset in the input, or -1 */
	char msg[512];
};

/* Sets err (if not NULL) and returns -1, so callers can `return traj_fail(...)`. */
int traj_fail(struct traj_error *err, enum traj_status status, int64_t offset,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
