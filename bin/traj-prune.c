/* traj-prune: the mask of the next round of iterative magnitude pruning
 * (lottery tickets), from a checkpoint of a stream. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "common/atomicfile.h"
#include "interp/prune_study.h"

#define MAX_GLOBS 64

struct options {
	struct prune_job job;
	const char *out;
	char *globs[MAX_GLOBS];
	int list, force, header;
	int rate_given, output_rate_given;
	int64_t random;
};

static void add_glob(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (o->job.opts.nglobs == MAX_GLOBS)
		cli_usage_error("--tensors: at most %d patterns", MAX_GLOBS);
	o->globs[o->job.opts.nglobs++] = (char *)arg;
}

static void check_rate(const char *opt, double r)
{
	if (r >= 1)
		cli_usage_error("%s: %g prunes every weight (density 0); expected "
				"0 <= R < 1", opt, r);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	struct prune_opts *p = &o->job.opts;
	memset(o, 0, sizeof *o);
	o->job.step = -1;
	o->random = -1;
	p->output_rate = -1;
	p->globs = o->globs;
	struct cli_opt opts[] = {
		CLI_GROUP("Pruning:"),
		CLI_DOUBLE('r', "rate", &p->rate, "R", 0, 1,
			"prune the fraction R of the remaining weights of\n"
			"each prunable tensor, 0 <= R < 1 (required unless\n"
			"--list)"),
		CLI_DOUBLE(0, "output-rate", &p->output_rate, "R", 0, 1,
			"the output layer's rate (--rate; Frankle & Carbin\n"
			"prune it at half the rate)"),
		CLI_FLAG(0, "global", &p->global,
			"one magnitude threshold over every prunable tensor\n"
			"but the output layer (default: per tensor)"),
		CLI_I64(0, "random", &o->random, "SEED", 0, INT64_MAX,
			"the control: prune as many weights per tensor,\n"
			"drawn at random among the remaining ones"),
		CLI_STRING(0, "mask", &o->job.mask, "FILE",
			"prune on top of the mask in FILE's last checkpoint\n"
			"(default: the checkpoint's own masks, if any)"),
		CLI_CALLBACK('t', "tensors", add_glob, o, "GLOB",
			"prunable tensors (repeatable; default: the weight\n"
			"matrices, not biases nor LayerNorm)"),
		CLI_GROUP("Input and output:"),
		CLI_I64('s', "step", &o->job.step, "N", 0, INT64_MAX,
			"the checkpoint at step N (default: the last)"),
		CLI_FLAG('l', "list", &o->list,
			"print the mask's densities as metric lines (then\n"
			"the mask is written only with --out)"),
		CLI_FLAG('H', "header", &o->header,
			"with --list, a '# run step metric value' line first"),
		CLI_OPT_OUT(&o->out, "write the mask stream to FILE (atomically)"),
		CLI_FLAG('f', "force", &o->force, "write binary to a terminal anyway"),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	for (struct cli_opt *opt = opts; opt->type != CLI_T_END; opt++) {
		if (opt->long_name && !strcmp(opt->long_name, "rate"))
			opt->given = &o->rate_given;
		if (opt->long_name && !strcmp(opt->long_name, "output-rate"))
			opt->given = &o->output_rate_given;
	}
	const struct cli_spec spec = {
		.usage = "traj-prune [OPTION]... --rate R [FILE]",
		.intro =
"Prune a checkpoint of a traj stream (traj-stream(5)): write the mask of the\n"
"next round of iterative magnitude pruning, as a stream holding the tensors\n"
"mask/PARAMETER that 'traj train --mask' reads, to standard output or\n"
"--out FILE. With no FILE, or when FILE is -, read standard input.\n",
		.opts = opts,
		.one_file = 1,
		.footer =
"Exit status: 0 success, 64 usage error, 65 invalid stream or mask (a mask\n"
"of another model, a tensor left without weights), 66 cannot open FILE,\n"
"73 cannot create --out, 74 read or write error, 75 truncated stream.\n",
	};
	int first = cli_parse(&spec, argc, argv);
	o->job.input = first < argc ? argv[first] : "-";
	o->job.prune = o->rate_given || o->output_rate_given || o->random >= 0;
	if (!o->job.prune && !o->list)
		cli_usage_error("--rate: required (or --list to show a mask)");
	check_rate("--rate", p->rate);
	check_rate("--output-rate", p->output_rate);
	p->random = o->random >= 0;
	p->seed = p->random ? (uint64_t)o->random : 0;
}

static void write_mask(const struct options *o, const struct prune_result *r)
{
	struct traj_error err;
	struct atomic_file a;
	if (!o->out || !strcmp(o->out, "-")) {
		cli_check_binary_output(stdout, o->force);
		if (prune_study_write(&o->job, r, stdout, &err) < 0)
			cli_die_error("-", &err);
		return;
	}
	if (atomic_open(&a, o->out, &err) < 0)
		cli_die_error(o->out, &err);
	if (prune_study_write(&o->job, r, a.f, &err) < 0) {
		atomic_abort(&a);
		cli_die_error(o->out, &err);
	}
	if (atomic_commit(&a, &err) < 0)
		cli_die_error(o->out, &err);
}

int main(int argc, char **argv)
{
	struct options o;
	struct prune_result r;
	struct traj_error err;
	cli_init("traj-prune");
	parse_args(argc, argv, &o);
	if (prune_study_run(&o.job, &r, &err) < 0)
		err.status == TRAJ_EUSAGE ? cli_usage_error("%s", err.msg)
					  : cli_die_error(NULL, &err);
	if (o.list) {
		if (o.header)
			fputs("# run\tstep\tmetric\tvalue\n", stdout);
		prune_study_list(&r, stdout);
		cli_check_output(stdout);
	}
	if (!o.list || o.out)
		write_mask(&o, &r);
	prune_result_free(&r);
	return cli_finish(TRAJ_OK);
}
