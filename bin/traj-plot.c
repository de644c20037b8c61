/* traj-plot: metric lines to a PNG or SVG picture, drawn by gnuplot. The
 * data and the script go to a temporary directory (format/gnuplot.h);
 * gnuplot runs there without a shell and its picture is copied to the
 * output atomically. */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "common/atomicfile.h"
#include "format/gnuplot.h"
#include "format/metric_series.h"
#include "format/tsv.h"
#include "sweep/phase.h"

#define MAX_GLOBS 64
#define GNUPLOT_PACKAGE "gnuplot-nox"

extern char **environ;

struct options {
	const char *out, *events, *title, *size, *xcol, *ycol;
	char *metrics[2 * MAX_GLOBS], *y2[MAX_GLOBS];
	int nmetrics, ny2, logx, logy, phase;
};

static void add_glob(char **globs, int *n, const char *opt, const char *arg)
{
	if (*n == MAX_GLOBS)
		cli_usage_error("%s: at most %d patterns", opt, MAX_GLOBS);
	globs[(*n)++] = (char *)arg;
}

static void add_metric(const char *arg, void *ctx)
{
	struct options *o = ctx;
	add_glob(o->metrics, &o->nmetrics, "--metric", arg);
}

static void add_y2(const char *arg, void *ctx)
{
	struct options *o = ctx;
	add_glob(o->y2, &o->ny2, "--y2", arg);
}

static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->size = "900x500";
	const struct cli_opt opts[] = {
		CLI_OPT_OUT(&o->out, "the picture, OUT.png or OUT.svg (required)"),
		CLI_CALLBACK('m', "metric", add_metric, o, "GLOB",
			"metrics to draw, a shell-style pattern (repeatable;\n"
			"default: all)"),
		CLI_CALLBACK('2', "y2", add_y2, o, "GLOB",
			"metrics drawn against the right-hand axis (repeatable)"),
		CLI_STRING('e', "events", &o->events, "FILE",
			"event lines from traj emerge: a dashed vertical line\n"
			"at each event's step, labelled with its metric"),
		CLI_FLAG(0, "logx", &o->logx, "log-scale steps (step 0 is drawn at step 1)"),
		CLI_FLAG(0, "logy", &o->logy, "log-scale values"),
		CLI_STRING('t', "title", &o->title, "TEXT", "a title"),
		CLI_STRING(0, "size", &o->size, "WxH", "size in pixels (900x500)"),
		CLI_FLAG(0, "phase", &o->phase, "FILE is a collect table (traj sweep collect):\n"
			"a phase diagram of its outcomes over --x and --y"),
		CLI_STRING(0, "x", &o->xcol, "COL", "--phase: the column across (frac)"),
		CLI_STRING(0, "y", &o->ycol, "COL", "--phase: the column up (wd)"),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-plot -o OUT.png|OUT.svg [OPTION]... [FILE]...",
		.intro =
"Draw metric lines (RUN<TAB>STEP<TAB>METRIC<TAB>VALUE, from traj score, traj\n"
"diff or any tool) as curves over steps, one per run and metric. With no\n"
"FILE, or when FILE is -, read standard input. The format follows the\n"
"extension of OUT (.png or .svg); OUT is written atomically. Needs gnuplot\n"
"(Debian's " GNUPLOT_PACKAGE ").\n",
		.opts = opts,
		.footer =
"Example:\n"
"  traj score run.traj | traj plot -o acc.png -m '*/acc' --logx\n"
"\n"
"Exit status: 0 success, 64 usage error, 65 malformed metric line (named)\n"
"or no line matches, 66 cannot open an input, 69 gnuplot not installed,\n"
"70 gnuplot failed, 73 cannot create OUT.\n",
	};
	int first = cli_parse(&spec, argc, argv);
	if (!o->out)
		cli_usage_error("--out: required (a .png or .svg file)");
	/* --y2 metrics are drawn too, also when --metric leaves them out */
	for (int i = 0; o->nmetrics && i < o->ny2; i++)
		o->metrics[o->nmetrics++] = o->y2[i];
	return first;
}

static enum gnuplot_term term_of(const char *out)
{
	size_t n = strlen(out);
	if (n > 4 && strcmp(out + n - 4, ".png") == 0)
		return GNUPLOT_PNG;
	if (n > 4 && strcmp(out + n - 4, ".svg") == 0)
		return GNUPLOT_SVG;
	cli_usage_error("--out: '%s' does not end in .png or .svg", out);
}

static void parse_size(const char *size, int *w, int *h)
{
	char *x, *end = NULL;
	long lw = strtol(size, &x, 10), lh = 0;
	if (x != size && *x == 'x' && x[1] >= '0' && x[1] <= '9')
		lh = strtol(x + 1, &end, 10);
	if (size[0] < '1' || size[0] > '9' || lh <= 0 || *end || lw > 100000 ||
	    lh > 100000)
		cli_usage_error("--size: '%s' is not WxH", size);
	*w = (int)lw;
	*h = (int)lh;
}

/* The path of gnuplot on PATH, found before any input is read so that a
 * missing gnuplot costs nothing and says what to install. */
static char *find_gnuplot(void)
{
	const char *path = getenv("PATH");
	static char found[PATH_MAX];
	while (path && *path) {
		size_t len = strcspn(path, ":");
		snprintf(found, sizeof found, "%.*s%sgnuplot", (int)len, path,
			 len ? "/" : "");
		if (access(found, X_OK) == 0)
			return found;
		path += len + (path[len] == ':');
	}
	cli_die(EX_UNAVAILABLE, "gnuplot not found: install Debian's %s "
		"(scripts/deps.sh plot)", GNUPLOT_PACKAGE);
}

static void read_inputs(struct metric_series_set *set, struct options *o,
			int nfiles, char **files)
{
	struct traj_error err;
	for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
		const char *name;
		FILE *in = cli_open_input(nfiles ? files[i] : NULL, &name);
		if (metric_series_read(set, in, name, o->metrics, o->nmetrics, &err) < 0)
			cli_die_error(NULL, &err);
		cli_close_input(in);
	}
	if (set->n == 0)
		cli_die(TRAJ_EDATA, "no metric line matches");
	if (metric_series_sort(set, &err) < 0)
		cli_die_error(NULL, &err);
}

static char tmpdir[PATH_MAX];

static void remove_tmpdir(void)
{
	DIR *d = tmpdir[0] ? opendir(tmpdir) : NULL;
	struct dirent *e;
	char path[PATH_MAX + 256];
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	if (tmpdir[0])
		rmdir(tmpdir);
}

static void make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/traj-plot.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		int e = errno;
		tmpdir[0] = '\0';
		cli_die(TRAJ_ECREATE, "cannot create a temporary directory: %s",
			strerror(e));
	}
	atexit(remove_tmpdir);
}

/* Runs gnuplot on dir/plot.gp, its output in dir/log; dies with its first
 * line of complaint if it fails. */
static void run_gnuplot(const char *gnuplot, const char *dir)
{
	char script[PATH_MAX + 16], log[PATH_MAX + 16], first[512] = "";
	snprintf(script, sizeof script, "%s/plot.gp", dir);
	snprintf(log, sizeof log, "%s/log", dir);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	char *argv[] = {"gnuplot", script, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, gnuplot, &fa, NULL, argv, environ), status = 0;
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		cli_die(EX_UNAVAILABLE, "cannot run '%s': %s", gnuplot, strerror(rc));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	FILE *f = fopen(log, "r");
	if (f && fgets(first, sizeof first, f))
		first[strcspn(first, "\n")] = '\0';
	if (f)
		fclose(f);
	cli_die(TRAJ_EINTERNAL, "gnuplot failed: %s", first[0] ? first :
		WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no message");
}

/* Copies the picture gnuplot drew to the output, atomically. */
static void install_picture(const char *from, const char *to)
{
	struct atomic_file a;
	struct traj_error err;
	char buf[65536];
	size_t n;
	FILE *in = fopen(from, "rb");
	if (!in)
		cli_die(TRAJ_EINTERNAL, "gnuplot wrote no picture");
	if (atomic_open(&a, to, &err) < 0)
		cli_die_error(NULL, &err);
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, a.f);
	int bad = ferror(in);
	fclose(in);
	if (bad) {
		atomic_abort(&a);
		cli_die(TRAJ_EFAIL, "cannot read the picture gnuplot drew");
	}
	if (atomic_commit(&a, &err) < 0)
		cli_die_error(NULL, &err);
}

int main(int argc, char **argv)
{
	struct options o;
	struct traj_error err;
	cli_init("traj-plot");
	int first = parse_args(argc, argv, &o);
	struct gnuplot_plot plot = {.term = term_of(o.out), .title = o.title,
		.logx = o.logx, .logy = o.logy, .y2 = o.y2, .ny2 = o.ny2};
	parse_size(o.size, &plot.width, &plot.height);
	const char *gnuplot = find_gnuplot();

	struct metric_series_set set = {0};
	struct gnuplot_events evs = {0};
	struct tsv_table t = {0};
	const char *name;
	if (o.phase) {
		FILE *in = cli_open_input(first < argc ? argv[first] : NULL, &name);
		if (tsv_read(&t, in, name, &err) < 0)
			cli_die_error(NULL, &err);
		cli_close_input(in);
	} else {
		read_inputs(&set, &o, argc - first, argv + first);
	}
	if (o.events) {
		FILE *in = cli_open_input(o.events, &name);
		if (gnuplot_read_events(&evs, in, name, &err) < 0)
			cli_die_error(NULL, &err);
		cli_close_input(in);
	}

	make_tmpdir();
	char picture[PATH_MAX + 16];
	snprintf(picture, sizeof picture, "%s/picture", tmpdir);
	plot.output = picture;
	if (o.phase ? sweep_phase_write(tmpdir, &plot, &t, o.xcol ? o.xcol : "frac",
					o.ycol ? o.ycol : "wd", &err) < 0
		    : gnuplot_write(tmpdir, &plot, &set, &evs, &err) < 0)
		cli_die_error(NULL, &err);
	run_gnuplot(gnuplot, tmpdir);
	install_picture(picture, o.out);
	metric_series_free(&set);
	gnuplot_events_free(&evs);
	tsv_free(&t);
	return cli_finish(TRAJ_OK);
}
