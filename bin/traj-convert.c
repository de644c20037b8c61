/* traj-convert: one checkpoint of a traj stream to .npy files, .npz or
 * safetensors, and back (the engine: format/convert.h). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/stream_input.h"
#include "format/convert.h"

#define MAX_GLOBS 64

struct options {
	enum convert_format export_fmt, import_fmt;
	const char *path;           /* DEST or SRC */
	const char *run, *out;
	struct convert_pick pick;
	int force;
	char *globs[MAX_GLOBS];
};

static void parse_format(const char *opt, const char *arg, enum convert_format *f)
{
	if (convert_format_from_name(arg, f) < 0)
		cli_usage_error("%s: unknown format '%s' (npy, npz, safetensors)",
				opt, arg);
}

static void parse_export(const char *arg, void *ctx)
{
	parse_format("--export", arg, ctx);
}

static void parse_import(const char *arg, void *ctx)
{
	parse_format("--import", arg, ctx);
}

static void add_glob(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (o->pick.nglobs == MAX_GLOBS)
		cli_usage_error("--tensors: at most %d patterns", MAX_GLOBS);
	o->globs[o->pick.nglobs++] = (char *)arg;
}

/* --export FORMAT DEST and --import FORMAT SRC take two values: the
 * second is taken out of argv before the options are parsed. */
static void take_paths(int *argc, char **argv, struct options *o)
{
	int j = 1;
	for (int i = 1; i < *argc; i++) {
		argv[j++] = argv[i];
		if (strcmp(argv[i], "--") == 0)
			break;
		if ((strcmp(argv[i], "--export") == 0 || strcmp(argv[i], "--import") == 0)) {
			if (i + 2 > *argc - 1)
				cli_usage_error("%s: needs a FORMAT and a path", argv[i]);
			if (o->path)
				cli_usage_error("%s: one --export or --import only", argv[i]);
			argv[j++] = argv[++i];
			o->path = argv[++i];
		}
	}
	for (int i = j; i < *argc; i++)
		argv[i] = NULL;
	*argc = j;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->pick.step = -1;
	o->pick.globs = o->globs;
	take_paths(&argc, argv, o);
	const struct cli_opt opts[] = {
		CLI_CALLBACK(0, "export", parse_export, &o->export_fmt, "FORMAT DEST",
			"one checkpoint of the stream to DEST"),
		CLI_CALLBACK(0, "import", parse_import, &o->import_fmt, "FORMAT SRC",
			"SRC to a stream of one checkpoint"),
		CLI_GROUP("Export:"),
		CLI_I64(0, "step", &o->pick.step, "N", 0, INT64_MAX,
			"the checkpoint at step N (default: the last);\n"
			"with --import, the step of the checkpoint (0)"),
		CLI_FLAG(0, "first", &o->pick.first, "the first checkpoint"),
		CLI_CALLBACK('t', "tensors", add_glob, o, "GLOB",
			"only tensors whose name matches (repeatable; default:\n"
			"all but the optimiser state optim/...)"),
		CLI_GROUP("Import:"),
		CLI_STRING(0, "run", &o->run, "FILE",
			"the run header, a JSON object; needed unless the source\n"
			"carries it (DIR/run.json of an npy export, the\n"
			"traj_run metadata of a safetensors export)"),
		CLI_OPT_OUT(&o->out, "write the stream to FILE instead of standard output"),
		CLI_OPT_FORCE(&o->force),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-convert --export FORMAT DEST [OPTION]... [FILE]\n"
"  or:  traj-convert --import FORMAT SRC --run RUN.json [OPTION]...",
		.intro =
"Export one checkpoint of a traj stream (traj-stream(5)) for NumPy and\n"
"PyTorch, or import such files into a stream of one checkpoint.\n"
"FORMAT is npy (DEST/SRC a directory of NAME.npy files; a tensor name with /\n"
"makes subdirectories; SRC may also be one .npy file), npz (numpy.savez,\n"
"stored entries) or safetensors. With no FILE, or when FILE is -, read\n"
"standard input. Outputs are written atomically.\n",
		.opts = opts,
		.footer =
"bf16 tensors are exported to npy and npz as f32 (NumPy has no bf16);\n"
"safetensors keeps them.\n"
"\n"
"Exit status: 0 success, 64 usage error, 65 invalid input (bad magic,\n"
"truncated data, shapes that disagree with the header, no such checkpoint),\n"
"66 cannot open an input, 73 cannot create an output, 74 read or write\n"
"error, 75 truncated stream.\n",
	};
	int first = cli_parse(&spec, argc, argv);
	if (!o->export_fmt && !o->import_fmt)
		cli_usage_error("--export or --import is required");
	if (o->import_fmt && (first < argc || o->pick.first || o->pick.nglobs))
		cli_usage_error("--import takes --run FILE, --step, --out; no FILE,"
				" --first or --tensors");
	if (o->export_fmt && (o->run || o->out || argc - first > 1))
		cli_usage_error("--export takes at most one FILE, and no --run or --out");
	if (o->pick.first && o->pick.step >= 0)
		cli_usage_error("--first and --step exclude each other");
	return first < argc ? first : -1;
}

static void do_export(const struct options *o, const char *file)
{
	struct traj_error err;
	struct cli_stream_input in;
	struct convert_set k = {0};
	cli_stream_open(&in, file, NULL, 0);
	cJSON *run = convert_choose(in.reader, in.name, &o->pick, &k, &err);
	if (!run)
		cli_die_error(NULL, &err);
	cli_stream_close(&in);
	if (o->export_fmt == CONVERT_NPY) {
		if (convert_export_npy(o->path, &k, run, &err) < 0)
			cli_die_error(NULL, &err);
	} else {
		struct cli_output out;
		cli_output_open(&out, o->path, 1, o->force);
		int rc = o->export_fmt == CONVERT_NPZ
			? convert_export_npz(out.f, &k, &err)
			: convert_export_safetensors(out.f, &k, run,
				"traj-convert " TRAJ_VERSION, &err);
		if (rc < 0)
			cli_die_error(o->path, &err);
		cli_output_commit(&out);
	}
	convert_set_free(&k);
	cJSON_Delete(run);
}

static void do_import(const struct options *o)
{
	struct traj_error err;
	struct convert_set l = {0};
	struct cli_output out;
	cJSON *run = convert_import_run(o->import_fmt, o->path, o->run, &err);
	if (!run && err.status == TRAJ_EUSAGE)
		cli_usage_error("%s", err.msg);
	if (!run || convert_import(o->import_fmt, o->path, &l, &err) < 0)
		cli_die_error(NULL, &err);
	cli_output_open(&out, o->out, 1, o->force);
	struct traj_writer *w = stream_writer_open(out.f, run, NULL, &err);
	if (!w || stream_write_begin(w, o->pick.step < 0 ? 0 : o->pick.step, l.n,
				     NULL, &err) < 0)
		cli_die_error(out.name, &err);
	for (int i = 0; i < l.n; i++)
		if (stream_write_tensor(w, &l.t[i], &err) < 0)
			cli_die_error(out.name, &err);
	if (stream_write_end(w, &err) < 0 || stream_writer_close(w, &err) < 0)
		cli_die_error(out.name, &err);
	cli_output_commit(&out);
	convert_set_free(&l);
	cJSON_Delete(run);
}

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-convert");
	int file = parse_args(argc, argv, &o);
	if (o.import_fmt)
		do_import(&o);
	else
		do_export(&o, file < 0 ? NULL : argv[file]);
	return cli_finish(TRAJ_OK);
}
