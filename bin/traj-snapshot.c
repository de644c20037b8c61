/* traj-snapshot: list, select, re-encode, concatenate and split
 * checkpoint streams (the engine: format/snapshot.h). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/stream_input.h"
#include "format/snapshot.h"

#define MAX_GLOBS 64

struct options {
	struct snapshot_opts so;
	char *globs[MAX_GLOBS];
	int force;
	const char *out;
};

static void parse_step(const char *arg, void *ctx)
{
	struct ckpt_select *sel = ctx;
	sel->lo = sel->hi = cli_int("--step", arg, 0, INT64_MAX);
}

static void parse_steps(const char *arg, void *ctx)
{
	struct ckpt_select *sel = ctx;
	if (ckpt_select_parse_range(arg, &sel->lo, &sel->hi) < 0)
		cli_usage_error("--steps: '%s' is not A:B with 0 <= A <= B", arg);
}

static void parse_encoding(const char *arg, void *ctx)
{
	if (stream_encoding_from_name(arg, ctx) < 0)
		cli_usage_error("--encoding: unknown encoding '%s'"
				" (raw, shuffle, xor, pred2, delta)", arg);
}

static void parse_dtype(const char *arg, void *ctx)
{
	enum traj_dtype *d = ctx;
	if (strcmp(arg, "bf16") == 0) *d = TRAJ_BF16;
	else if (strcmp(arg, "f16") == 0) *d = TRAJ_F16;
	else if (strcmp(arg, "f32") == 0) *d = TRAJ_F32;
	else cli_usage_error("--dtype: '%s' is not bf16, f16 or f32", arg);
}

static void add_glob(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (o->so.nglobs == MAX_GLOBS)
		cli_usage_error("--tensors: at most %d patterns", MAX_GLOBS);
	o->globs[o->so.nglobs++] = (char *)arg;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	struct snapshot_opts *so = &o->so;
	int64_t every = 0;
	memset(o, 0, sizeof *o);
	ckpt_select_init(&so->sel);
	stream_write_opts_default(&so->wopts);
	so->dtype = TRAJ_F32;
	so->globs = o->globs;
	so->creator = "traj-snapshot " TRAJ_VERSION;
	const struct cli_opt opts[] = {
		CLI_GROUP("Selection (criteria combine):"),
		CLI_CALLBACK(0, "step", parse_step, &so->sel, "N",
			"the checkpoint at step N"),
		CLI_CALLBACK(0, "steps", parse_steps, &so->sel, "A:B",
			"steps A to B inclusive (A: or :B leave an end open)"),
		CLI_I64(0, "every", &every, "K", 1, INT64_MAX,
			"steps that are multiples of K"),
		CLI_INT(0, "log", &so->sel.per_decade, "N", 1, 1000,
			"N log-spaced checkpoints per decade of steps (and 0)"),
		CLI_FLAG(0, "first", &so->sel.first, "only the first selected checkpoint"),
		CLI_FLAG(0, "last", &so->sel.last, "only the last selected checkpoint"),
		CLI_CALLBACK('t', "tensors", add_glob, o, "GLOB",
			"only tensors whose name matches (repeatable)"),
		CLI_GROUP("Output:"),
		CLI_FLAG('l', "list", &so->list,
			"a line per checkpoint instead of a stream:\n"
			"ckpt RUN STEP TENSORS RAW_BYTES STORED_BYTES RATIO"),
		CLI_FLAG('v', "verbose", &so->verbose,
			"with --list, also per tensor:\n"
			"tensor RUN STEP NAME DTYPE SHAPE L2NORM"),
		CLI_CALLBACK(0, "encoding", parse_encoding, &so->wopts.encoding,
			"NAME", "raw, shuffle, xor, pred2, delta (pred2)"),
		CLI_INT(0, "level", &so->wopts.level, "N", 1, 19, "zstd level, 1..19 (1)"),
		CLI_INT(0, "key-every", &so->wopts.key_every, "N", 1, 1 << 20,
			"a key checkpoint every N checkpoints (16)"),
		CLI_CALLBACK(0, "dtype", parse_dtype, &so->dtype, "T",
			"store f32 tensors as bf16 or f16: lossy, and marked so\n"
			"in the run header (\"lossy\")"),
		CLI_OPT_OUT(&o->out, "write FILE atomically (a temporary file, then rename)"),
		CLI_STRING(0, "split", &so->split, "DIR",
			"one stream per checkpoint, DIR/RUN-STEP.traj, each\n"
			"written atomically"),
		CLI_OPT_FORCE(&o->force),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-snapshot [OPTION]... [FILE]...",
		.intro =
"Select, list, re-encode, concatenate or split the checkpoints of a traj\n"
"stream (traj-stream(5)). The output is again a stream, so selections chain.\n"
"Several FILEs must hold the same run (a run continued after a resume); their\n"
"checkpoints are joined in order, a step not above the last one kept dropped.\n"
"With no FILE, or when FILE is -, read standard input.\n",
		.opts = opts,
		.footer =
"Exit status: 0 success, 64 usage error, 65 invalid stream or streams of\n"
"different runs, 66 cannot open FILE, 73 cannot create an output, 74 read or\n"
"write error, 75 truncated stream (every complete checkpoint was handled).\n",
	};
	int first = cli_parse(&spec, argc, argv);
	so->sel.every = every;
	if (so->sel.first && so->sel.last)
		cli_usage_error("--first and --last exclude each other");
	if (so->split && o->out)
		cli_usage_error("--split and --out exclude each other");
	if (so->list && (so->split || o->out))
		cli_usage_error("--list prints text; it takes no --out or --split");
	if (so->verbose && !so->list)
		cli_usage_error("--verbose goes with --list");
	return first;
}

/* Dies with err, after the complete checkpoints already written. */
static void fail(struct cli_output *out, const struct traj_error *err)
{
	fflush(out->f);
	cli_die_error(NULL, err);
}

int main(int argc, char **argv)
{
	struct options o;
	struct traj_error err;
	struct cli_output out = {.f = stdout, .name = "-"};
	cli_init("traj-snapshot");
	int first = parse_args(argc, argv, &o);
	if (!o.so.list && !o.so.split)
		cli_output_open(&out, o.out, 1, o.force);
	struct snapshot *s = snapshot_new(&o.so, out.f, out.name);
	if (!s)
		cli_die(TRAJ_ENOMEM, "out of memory");
	int nfiles = argc - first, done = 0;
	for (int i = 0; !done && i < (nfiles ? nfiles : 1); i++) {
		struct cli_stream_input in;
		cli_stream_open(&in, nfiles ? argv[first + i] : NULL, NULL, 0);
		if ((done = snapshot_read(s, in.reader, in.name, &err)) < 0)
			fail(&out, &err);
		cli_stream_close(&in);
	}
	if (snapshot_finish(s, &err) < 0)
		fail(&out, &err);
	snapshot_free(s);
	cli_output_commit(&out);
	return cli_finish(TRAJ_OK);
}
