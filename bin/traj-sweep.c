/* traj-sweep: run traj train over a grid of configurations, on GNU
 * parallel or a Slurm array job, resumably; see formats/sweep.md. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "sweep/collect.h"
#include "sweep/job.h"
#include "sweep/slurm.h"
#include "sweep/spawn.h"
#include "sweep/spec.h"
#include "sweep/sweepdir.h"
#include "sweep/validate.h"

struct options {
	struct sweep_spec spec;
	struct sweep_outcome_opts outcome;
	int jobs, extend, submit, throttle, quiet;
	const char *dir, *sshlogin, *time, *mem, *partition, *account;
};

static void add_spec_file(const char *arg, void *ctx)
{
	struct traj_error err;
	if (sweep_spec_read(&((struct options *)ctx)->spec, arg, &err) < 0)
		cli_die(err.status, "%s: %s", arg, err.msg);
}

static const char intro[] =
"Expand a sweep (axes NAME=VALUES over traj train's options, from the\n"
"command line and --spec files) into configurations and run them:\n"
"  plan      one line per configuration: its run id, a tab, the traj train\n"
"            command (for parallel or xargs -P)\n"
"  run DIR   run them with GNU parallel into DIR, skipping finished runs and\n"
"            resuming interrupted ones\n"
"  slurm DIR write a Slurm array job for them (DIR/sweep-*.sbatch) and print\n"
"            its path; with --submit, submit it and print the job id\n"
"  job DIR ID  run one configuration (what parallel and Slurm call)\n"
"  collect DIR  one row per run: configuration, final scores, train and\n"
"            test transition steps, outcome class (docs/sweeps.md)\n"
"VALUES: a,b,c  A..B  lin:LO:HI:N  log:LO:HI:N, or with draws=N random\n"
"uniform:LO:HI  loguniform:LO:HI  randint:LO:HI; a flag takes yes,no.\n";

static const char footer[] =
"Each run writes DIR/runs/ID.traj (traj train --out), its metric lines\n"
"DIR/runs/ID.tsv (traj score) and ID.done, or ID.failed with its error line.\n"
"\n"
"Exit status: 0 success (failed runs are recorded, not fatal), 64 usage\n"
"error or a sweep the trainer refuses, 65 not a sweep directory or bad\n"
"metric lines (collect), 66 cannot open a file, 69 GNU\n"
"parallel or Slurm missing, 73 cannot create DIR, 74 I/O error, 75 runs\n"
"left unfinished (run the sweep again to resume them).\n";

static const char *need(const char *name, const char *package)
{
	const char *p = sweep_find_program(name, 0);
	if (!p)
		cli_die(69, "%s not found (Debian package: %s)", name, package);
	return p;
}

static struct sweep_tools tools(void)
{
	struct sweep_tools t = {sweep_find_program("traj-train", 1),
				sweep_find_program("traj-score", 1)};
	if (!t.train || !t.score)
		cli_die(69, "traj-train or traj-score not found next to traj-sweep or on PATH");
	return t;
}

/* Checks the spec against the trainer and expands it. */
static void make_plan(struct options *o, struct sweep_plan *plan, const char *train)
{
	struct traj_error err;
	char cmd[PATH_MAX + 16], *help = NULL, **names;
	size_t cap = 0;
	int n;
	snprintf(cmd, sizeof cmd, "'%s' --help", train);
	FILE *f = popen(cmd, "r");
	ssize_t len = f ? getdelim(&help, &cap, '\0', f) : -1;
	if (!f || len <= 0 || pclose(f) != 0)
		cli_die(TRAJ_EINTERNAL, "cannot read the options of '%s'", train);
	if (o->spec.naxes == 0)
		cli_usage_error("no axes (NAME=VALUES or --spec FILE)");
	if (sweep_trainer_options(help, &names, &n, &err) < 0 ||
	    sweep_spec_check(&o->spec, (const char *const *)names, n, &err) < 0 ||
	    sweep_plan_init(plan, &o->spec, &err) < 0 ||
	    sweep_plan_validate(plan, train, &err) < 0)
		cli_die(err.status, "%s", err.msg);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(help);
}

/* Records the plan in DIR; returns the absolute directory, ids in ids. */
static char *prepare_dir(struct options *o, const struct sweep_plan *p, char *ids)
{
	struct traj_error err;
	static char absdir[PATH_MAX];
	if (sweep_dir_init(o->dir, &o->spec, o->extend, &err) < 0)
		cli_die(err.status, "%s", err.msg);
	if (!realpath(o->dir, absdir))
		cli_die(TRAJ_ECREATE, "%s: %s", o->dir, strerror(errno));
	if (sweep_dir_write_plan(absdir, p, ids, PATH_MAX, &err) < 0)
		cli_die(err.status, "%s", err.msg);
	return absdir;
}

static int summarise(const struct options *o, const char *dir, const struct sweep_plan *p)
{
	int done = 0, failed = 0;
	for (int k = 0; k < p->n; k++) {
		const char *st = sweep_job_state(dir, p->configs[k].id);
		done += strcmp(st, "done") == 0;
		failed += strcmp(st, "failed") == 0;
	}
	int left = p->n - done - failed;
	if (!o->quiet)
		fprintf(stderr, "%s: %d configurations: %d done, %d failed%s, %d unfinished\n",
			cli_prog(), p->n, done, failed,
			failed ? " (runs/*.failed)" : "", left);
	return left ? TRAJ_ETRUNC : 0;
}

static int cmd_run(struct options *o, const struct sweep_plan *p)
{
	const char *parallel = need("parallel", "parallel");
	char ids[PATH_MAX], jobs[16];
	const char *dir = prepare_dir(o, p, ids);
	snprintf(jobs, sizeof jobs, "%d", o->jobs);
	char *argv[20];
	int n = 0;
	argv[n++] = (char *)parallel;
	argv[n++] = "--will-cite";
	argv[n++] = "--ungroup"; /* one line per run, not lost if parallel dies */
	argv[n++] = "--halt";
	argv[n++] = "never";
	argv[n++] = "-j";
	argv[n++] = jobs;
	if (o->sshlogin) {
		argv[n++] = "--sshlogin";
		argv[n++] = (char *)o->sshlogin;
	}
	argv[n++] = "-a";
	argv[n++] = ids;
	argv[n++] = (char *)sweep_find_program("traj-sweep", 1);
	if (o->quiet)
		argv[n++] = "--quiet";
	argv[n++] = "job";
	argv[n++] = (char *)dir;
	argv[n] = NULL;
	struct traj_error err;
	fflush(NULL);
	if (sweep_spawn(argv, 1, 2, &err) < 0)
		cli_die(err.status, "%s", err.msg);
	return summarise(o, dir, p);
}

static int cmd_slurm(struct options *o, const struct sweep_plan *p)
{
	char ids[PATH_MAX], script[PATH_MAX + 64], logs[PATH_MAX + 16];
	const char *sbatch = o->submit ? need("sbatch", "slurm-wlm") : NULL;
	const char *dir = prepare_dir(o, p, ids);
	snprintf(logs, sizeof logs, "%s/slurm", dir);
	if (mkdir(logs, 0777) < 0 && errno != EEXIST)
		cli_die(TRAJ_ECREATE, "cannot create '%s': %s", logs, strerror(errno));
	/* the script is named after the id list, itself named by its hash */
	const char *base = strrchr(ids, '/') + 1;
	snprintf(script, sizeof script, "%s/sweep-%.16s.sbatch", dir, base + 5);
	struct sweep_slurm j = {sweep_find_program("traj-sweep", 1), dir, ids, p->n,
				o->throttle, o->time, o->mem, o->partition, o->account};
	FILE *f = fopen(script, "w");
	if (!f)
		cli_die(TRAJ_ECREATE, "cannot create '%s': %s", script, strerror(errno));
	if (sweep_slurm_script(f, &j) < 0 || fclose(f) != 0)
		cli_die(TRAJ_EUSAGE, "cannot write '%s' (a quote or newline in a path "
			"or option?)", script);
	if (!sbatch) {
		printf("%s\n", script);
		return 0;
	}
	char *argv[] = {(char *)sbatch, "--parsable", script, NULL};
	struct traj_error err;
	fflush(NULL);
	int rc = sweep_spawn(argv, 1, 2, &err);
	if (rc != 0)
		cli_die(rc < 0 ? err.status : TRAJ_EFAIL, "sbatch %s failed", script);
	return 0;
}

static int cmd_job(const struct options *o, const char *dir, const char *id)
{
	static const char *const said[] = {"done", "resumed and done",
					   "finished before", "failed"};
	struct sweep_tools t = tools();
	enum sweep_job_result res;
	char why[1024];
	struct traj_error err;
	if (sweep_job_run(dir, id, &t, &res, why, sizeof why, &err) < 0)
		cli_die(err.status, "%s: %s", id, err.msg);
	if (!o->quiet)
		fprintf(stderr, "%s: %s: %s%s%s\n", cli_prog(), id, said[res],
			why[0] ? ": " : "", why);
	return 0;
}

int main(int argc, char **argv)
{
	cli_init("traj-sweep");
	static struct options o = {.jobs = 2};
	sweep_outcome_opts_init(&o.outcome);
	const struct cli_opt opts[] = {
		CLI_CALLBACK('s', "spec", add_spec_file, &o, "FILE",
			"axes from FILE, one NAME=VALUES a line (repeatable;\n"
			"axes on the command line replace those of the same name)"),
		CLI_STRING('d', "dir", &o.dir, "DIR", "plan: the sweep directory the --out paths name"),
		CLI_GROUP("run:"),
		CLI_INT('j', "jobs", &o.jobs, "N", 1, 4096, "runs at once (2)"),
		CLI_STRING(0, "sshlogin", &o.sshlogin, "LOGINS",
			"passed to GNU parallel: run on these hosts (DIR on a\n"
			"shared file system, traj on each host's PATH)"),
		CLI_FLAG(0, "extend", &o.extend, "add this sweep to a DIR that holds another"),
		CLI_GROUP("slurm:"),
		CLI_FLAG(0, "submit", &o.submit, "submit the job with sbatch"),
		CLI_INT(0, "throttle", &o.throttle, "N", 0, 1000000,
			"at most N array tasks at once (%N; 0 = no limit)"),
		CLI_STRING(0, "time", &o.time, "T", "time limit per run (sbatch --time)"),
		CLI_STRING(0, "mem", &o.mem, "M", "memory per run (sbatch --mem)"),
		CLI_STRING(0, "partition", &o.partition, "P", "partition (sbatch --partition)"),
		CLI_STRING(0, "account", &o.account, "A", "account (sbatch --account)"),
		CLI_GROUP("collect (outcome classes, docs/sweeps.md):"),
		CLI_DOUBLE(0, "train-acc", &o.outcome.train_acc, "X", 0, 1,
			"train has fit when train/acc first reaches X (0.9)"),
		CLI_DOUBLE(0, "test-acc", &o.outcome.test_acc, "X", 0, 1,
			"test has risen when test/acc first reaches X (0.9)"),
		CLI_DOUBLE(0, "grok-ratio", &o.outcome.ratio, "R", 1, 1e9,
			"grokking when the test step exceeds R times the\n"
			"train step, else comprehension (3)"),
		CLI_OPT_QUIET(&o.quiet),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-sweep plan|run|slurm|job|collect [OPTION]... [DIR] [NAME=VALUES]...",
		.intro = intro, .opts = opts, .footer = footer,
	};
	int i = cli_parse(&spec, argc, argv);
	if (i >= argc)
		cli_usage_error("missing command (plan, run, slurm, job or collect)");
	const char *cmd = argv[i++];
	struct traj_error err;
	if (strcmp(cmd, "collect") == 0) {
		if (argc - i != 1)
			cli_usage_error("collect: needs one DIR");
		if (sweep_collect(argv[i], &o.outcome, stdout, &err) < 0) {
			cli_check_output(stdout); /* a reader gone is no error */
			cli_die(err.status, "%s", err.msg);
		}
		return cli_finish(0);
	}
	if (strcmp(cmd, "job") == 0) {
		if (argc - i != 2)
			cli_usage_error("job: needs DIR and ID");
		return cli_finish(cmd_job(&o, argv[i], argv[i + 1]));
	}
	int needs_dir = strcmp(cmd, "run") == 0 || strcmp(cmd, "slurm") == 0;
	if (!needs_dir && strcmp(cmd, "plan") != 0)
		cli_usage_error("unknown command '%s' (plan, run, slurm, job or collect)", cmd);
	if (needs_dir) {
		if (i >= argc || strchr(argv[i], '='))
			cli_usage_error("%s: missing DIR", cmd);
		o.dir = argv[i++];
	}
	for (; i < argc; i++)
		if (sweep_spec_add(&o.spec, argv[i], &err) < 0)
			cli_die(err.status, "%s", err.msg);
	struct sweep_plan plan;
	make_plan(&o, &plan, tools().train);
	int rc = 0;
	if (strcmp(cmd, "run") == 0) {
		rc = cmd_run(&o, &plan);
	} else if (strcmp(cmd, "slurm") == 0) {
		rc = cmd_slurm(&o, &plan);
	} else if (sweep_plan_print(stdout, &plan, o.dir) < 0) {
		cli_check_output(stdout);
		cli_die(TRAJ_ENOMEM, "out of memory");
	}
	sweep_plan_free(&plan);
	sweep_spec_free(&o.spec);
	return cli_finish(rc);
}
