#include "cli/cli.h"

#include <time.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/metrics.h"

#ifndef TRAJ_VERSION
#define TRAJ_VERSION "unknown"
#endif

static const char *progname = "traj";
static int progress_shown;

void cli_init(const char *prog)
{
	progname = prog;
	signal(SIGPIPE, SIG_IGN);
}

const char *cli_prog(void)
{
	return progname;
}

static void vmessage(const char *fmt, va_list ap)
{
	cli_progress_done();
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	exit(status);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	exit(TRAJ_EUSAGE);
}

void cli_report(const char *name, const struct traj_error *err)
{
	cli_progress_done();
	fprintf(stderr, "%s: ", progname);
	if (name)
		fprintf(stderr, "%s: ", name);
	if (err->offset >= 0)
		fprintf(stderr, "byte %lld: ", (long long)err->offset);
	fprintf(stderr, "%s\n", err->msg);
}

void cli_die_error(const char *name, const struct traj_error *err)
{
	/* A reader that went away is how `| head` ends a pipeline. */
	if (err->status == TRAJ_EFAIL && errno == EPIPE)
		exit(TRAJ_OK);
	cli_report(name, err);
	exit(err->status ? (int)err->status : TRAJ_EFAIL);
}

long long cli_int(const char *opt, const char *arg, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (end == arg || *end || errno)
		cli_usage_error("%s: '%s' is not an integer", opt, arg);
	if (v < min || v > max)
		cli_usage_error("%s: %lld outside %lld..%lld", opt, v, min, max);
	return v;
}

double cli_double(const char *opt, const char *arg, double min, double max)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end || errno || !isfinite(v))
		cli_usage_error("%s: '%s' is not a number", opt, arg);
	if (v < min || v > max)
		cli_usage_error("%s: %g outside %g..%g", opt, v, min, max);
	return v;
}

int cli_positive_list(const char *opt, const char *arg, double *out, int max)
{
	char *end;
	int n = 0;
	for (const char *p = arg; *p; p = *end ? end + 1 : end) {
		double v = strtod(p, &end);
		if (end == p || (*end && *end != ',') || !isfinite(v) || v <= 0)
			cli_usage_error("%s: '%s': expected positive numbers "
					"separated by commas", opt, arg);
		if (n == max)
			cli_usage_error("%s: at most %d values", opt, max);
		out[n++] = v;
	}
	if (!n)
		cli_usage_error("%s: empty list", opt);
	return n;
}

FILE *cli_open_input(const char *path, const char **name)
{
	if (!path || strcmp(path, "-") == 0) {
		*name = "-";
		return stdin;
	}
	*name = path;
	FILE *f = fopen(path, "rb");
	if (!f)
		cli_die(TRAJ_ENOINPUT, "cannot open '%s': %s", path, strerror(errno));
	return f;
}

void cli_close_input(FILE *f)
{
	if (f && f != stdin)
		fclose(f);
}

void cli_check_binary_output(FILE *out, int force)
{
	if (!force && isatty(fileno(out)))
		cli_die(TRAJ_EUSAGE, "refusing to write a binary stream to a terminal"
			" (redirect it, use --out FILE, or --force)");
}

static void output_failed(int saved_errno)
{
	if (saved_errno == EPIPE)
		exit(TRAJ_OK);
	cli_die(TRAJ_EFAIL, "write error: %s",
		saved_errno ? strerror(saved_errno) : "unknown error");
}

/* metric_print refused a line: a field the readers should have refused. */
static void metric_refused(void)
{
	if (metric_refusal())
		cli_die(TRAJ_EINTERNAL, "bug: %s; output stopped", metric_refusal());
}

void cli_check_output(FILE *out)
{
	metric_refused();
	if (ferror(out))
		output_failed(errno);
}

int cli_finish(int status)
{
	metric_refused();
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		output_failed(errno);
	if (fclose(stdout) != 0)
		output_failed(errno);
	return status;
}

int cli_progress_enabled(void)
{
	return isatty(STDERR_FILENO);
}

void cli_progress(const char *fmt, ...)
{
	if (!cli_progress_enabled())
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	progress_shown = 1;
}

void cli_progress_done(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = 0;
}

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

const volatile sig_atomic_t *cli_stop_on_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = request_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return &stop_requested;
}

void cli_print_help(const char *text)
{
	fputs(text, stdout);
	exit(cli_finish(TRAJ_OK));
}

void cli_print_version(void)
{
	printf("%s (traj) %s\n", progname, TRAJ_VERSION);
	exit(cli_finish(TRAJ_OK));
}

double cli_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
