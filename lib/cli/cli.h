/* Helpers shared by the programs' main functions: one error shape
 * ("prog: subject: reason"), exit statuses from error.h, option value
 * parsing that names the option, stdin/stdout conventions, progress. */
#ifndef TRAJ_CLI_H
#define TRAJ_CLI_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

/* Records the program name and makes a closed downstream pipe an ordinary
 * write error (EPIPE) that the program turns into a quiet, successful exit. */
void cli_init(const char *prog);
const char *cli_prog(void);

void cli_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* "prog: --opt: reason", then "Try 'prog --help' for more information.",
 * and exit status 64 (TRAJ_EUSAGE). */
void cli_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* Reports a library error about input `name`, with its byte offset. */
void cli_report(const char *name, const struct traj_error *err);
void cli_die_error(const char *name, const struct traj_error *err)
	__attribute__((noreturn));

/* Option values; a bad value is a usage error naming the option. */
long long cli_int(const char *opt, const char *arg, long long min, long long max);
double cli_double(const char *opt, const char *arg, double min, double max);
/* A comma-separated list of at most max positive numbers into out;
 * returns the count (at least 1). */
int cli_positive_list(const char *opt, const char *arg, double *out, int max);

/* "-" or NULL means stdin; *name is set to the name used in messages. */
FILE *cli_open_input(const char *path, const char **name);
void cli_close_input(FILE *f);
/* Refuses to write a binary stream to a terminal unless forced. */
void cli_check_binary_output(FILE *out, int force);

/* Call after each record/line written: a failed write ends the program,
 * quietly and with status 0 if the reader went away (EPIPE). */
void cli_check_output(FILE *out);
/* Flushes and closes stdout, reporting a failed write; returns the status. */
int cli_finish(int status);

/* Progress on stderr, only when stderr is a terminal; cli_progress_done
 * ends the line. */
int cli_progress_enabled(void);
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);

/* Seconds on the monotonic clock, for timing progress and reports. */
double cli_seconds(void);

/* Catches SIGINT and SIGTERM (without restarting interrupted reads) and
 * returns the flag they set: for follow mode, which ends cleanly on
 * them (see stream_reader_follow). */
const volatile sig_atomic_t *cli_stop_on_signals(void);

/* Prints `text` to stdout and exits 0: for --help. */
void cli_print_help(const char *text) __attribute__((noreturn));
void cli_print_version(void) __attribute__((noreturn));

#endif
