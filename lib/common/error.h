/* Error reporting for the library: the engine never prints, it fills a
 * traj_error that the program turns into one line on stderr. */
#ifndef TRAJ_ERROR_H
#define TRAJ_ERROR_H

#include <stdint.h>

/* Exit statuses shared by every program, the sysexits.h values that
 * scripts already know; documented in traj(1). */
enum traj_status {
	TRAJ_OK = 0,
	TRAJ_EUSAGE = 64,    /* EX_USAGE: bad command line */
	TRAJ_EDATA = 65,     /* EX_DATAERR: not a valid stream, or corrupt */
	TRAJ_ENOINPUT = 66,  /* EX_NOINPUT: an input cannot be opened */
	TRAJ_EINTERNAL = 70, /* EX_SOFTWARE: a bug; please report it */
	TRAJ_ENOMEM = 71,    /* EX_OSERR: out of memory */
	TRAJ_ECREATE = 73,   /* EX_CANTCREAT: an output cannot be created */
	TRAJ_EFAIL = 74,     /* EX_IOERR: a read or write failed */
	TRAJ_ETRUNC = 75,    /* EX_TEMPFAIL: the input ends inside a checkpoint
				(a torn tail, or a run still being written) */
};

struct traj_error {
	enum traj_status status;
	int64_t offset;       /* byte offset in the input, or -1 */
	char msg[512];
};

/* Sets err (if not NULL) and returns -1, so callers can `return traj_fail(...)`. */
int traj_fail(struct traj_error *err, enum traj_status status, int64_t offset,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Puts `subject` (a file name, a tensor name) and the byte offset, if
 * any, in front of the message: "subject: byte N: msg", offset -1. For a
 * caller that knows what the error is about when its callee did not. */
void traj_error_prefix(struct traj_error *err, const char *subject);

#endif
