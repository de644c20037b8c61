/* traj-snapshot: list, select, re-encode, concatenate and split
 * checkpoint streams. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "cli/cli.h"
#include "common/halfprec.h"
#include "common/nameglob.h"
#include "format/select.h"
#include "format/stream.h"

static const char usage[] =
"Usage: traj-snapshot [OPTION]... [FILE]...\n"
"Select, list, re-encode, concatenate or split the checkpoints of a traj\n"
"stream (traj-stream(5)). The output is again a stream, so selections chain.\n"
"Several FILEs must hold the same run (a run continued after a resume); their\n"
"checkpoints are joined in order, a step not above the last one kept dropped.\n"
"With no FILE, or when FILE is -, read standard input.\n"
"\n"
"Selection (criteria combine):\n"
"      --step N         the checkpoint at step N\n"
"      --steps A:B      steps A to B inclusive (A: or :B leave an end open)\n"
"      --every K        steps that are multiples of K\n"
"      --log N          N log-spaced checkpoints per decade of steps (and 0)\n"
"      --first          only the first selected checkpoint\n"
"      --last           only the last selected checkpoint\n"
"  -t, --tensors GLOB   only tensors whose name matches (repeatable)\n"
"Output:\n"
"  -l, --list           a line per checkpoint instead of a stream:\n"
"                       ckpt RUN STEP TENSORS RAW_BYTES STORED_BYTES RATIO\n"
"  -v, --verbose        with --list, also per tensor:\n"
"                       tensor RUN STEP NAME DTYPE SHAPE L2NORM\n"
"      --encoding NAME  raw, shuffle, xor, pred2, delta (pred2)\n"
"      --level N        zstd level, 1..19 (1)\n"
"      --key-every N    a key checkpoint every N checkpoints (16)\n"
"      --dtype T        store f32 tensors as bf16 or f16: lossy, and marked so\n"
"                       in the run header (\"lossy\")\n"
"  -o, --out FILE       write FILE atomically (a temporary file, then rename)\n"
"      --split DIR      one stream per checkpoint, DIR/RUN-STEP.traj, each\n"
"                       written atomically\n"
"  -f, --force          write binary to a terminal anyway\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Exit status: 0 success, 64 usage error, 65 invalid stream or streams of\n"
"different runs, 66 cannot open FILE, 73 cannot create an output, 74 read or\n"
"write error, 75 truncated stream (every complete checkpoint was handled).\n";

#define MAX_GLOBS 64

struct options {
	struct ckpt_select sel;
	char *globs[MAX_GLOBS];
	int nglobs;
	int list, verbose, force;
	struct traj_write_opts wopts;
	enum traj_dtype dtype;      /* TRAJ_F32: unchanged */
	const char *out, *split;
};

/* A copy of a checkpoint, for --last. */
struct saved {
	int have;
	int64_t step, stored;
	int n;
	struct traj_tensor *t;
	cJSON *metrics;
};

struct snap {
	const struct options *o;
	struct ckpt_select sel;     /* the selection and its state */
	cJSON *run;                 /* the first input's run record (copy) */
	char run_id[64];
	const char *run_from;       /* the input it came from */
	int have_step;
	int64_t last_step;
	struct traj_writer *w;      /* the output stream, unless --list/--split */
	struct atomic_file af;
	FILE *out;
	struct saved last;
	void *conv;                 /* --dtype buffer */
	size_t conv_cap;
};

enum {
	OPT_STEP = 256, OPT_STEPS, OPT_EVERY, OPT_LOG, OPT_FIRST, OPT_LAST,
	OPT_ENCODING, OPT_LEVEL, OPT_KEY_EVERY, OPT_DTYPE, OPT_SPLIT,
};

static const struct option longopts[] = {
	{"step", 1, 0, OPT_STEP}, {"steps", 1, 0, OPT_STEPS},
	{"every", 1, 0, OPT_EVERY}, {"log", 1, 0, OPT_LOG},
	{"first", 0, 0, OPT_FIRST}, {"last", 0, 0, OPT_LAST},
	{"tensors", 1, 0, 't'}, {"list", 0, 0, 'l'}, {"verbose", 0, 0, 'v'},
	{"encoding", 1, 0, OPT_ENCODING}, {"level", 1, 0, OPT_LEVEL},
	{"key-every", 1, 0, OPT_KEY_EVERY}, {"dtype", 1, 0, OPT_DTYPE},
	{"out", 1, 0, 'o'}, {"split", 1, 0, OPT_SPLIT}, {"force", 0, 0, 'f'},
	{"help", 0, 0, 'h'}, {"version", 0, 0, 'V'}, {0, 0, 0, 0},
};

static void parse_value(int opt, const char *arg, struct options *o)
{
	switch (opt) {
	case OPT_STEP:
		o->sel.lo = o->sel.hi = cli_int("--step", arg, 0, INT64_MAX);
		break;
	case OPT_STEPS:
		if (ckpt_select_parse_range(arg, &o->sel.lo, &o->sel.hi) < 0)
			cli_usage_error("--steps: '%s' is not A:B with 0 <= A <= B", arg);
		break;
	case OPT_EVERY: o->sel.every = cli_int("--every", arg, 1, INT64_MAX); break;
	case OPT_LOG: o->sel.per_decade = (int)cli_int("--log", arg, 1, 1000); break;
	case OPT_LEVEL: o->wopts.level = (int)cli_int("--level", arg, 1, 19); break;
	case OPT_KEY_EVERY: o->wopts.key_every = (int)cli_int("--key-every", arg, 1, 1 << 20); break;
	case OPT_ENCODING:
		if (stream_encoding_from_name(arg, &o->wopts.encoding) < 0)
			cli_usage_error("--encoding: unknown encoding '%s'"
					" (raw, shuffle, xor, pred2, delta)", arg);
		break;
	case OPT_DTYPE:
		if (strcmp(arg, "bf16") == 0) o->dtype = TRAJ_BF16;
		else if (strcmp(arg, "f16") == 0) o->dtype = TRAJ_F16;
		else if (strcmp(arg, "f32") == 0) o->dtype = TRAJ_F32;
		else cli_usage_error("--dtype: '%s' is not bf16, f16 or f32", arg);
		break;
	case 't':
		if (o->nglobs == MAX_GLOBS)
			cli_usage_error("--tensors: at most %d patterns", MAX_GLOBS);
		o->globs[o->nglobs++] = (char *)arg;
		break;
	default: cli_usage_error("invalid option");
	}
}

static void parse_args(int argc, char **argv, struct options *o)
{
	int opt;
	memset(o, 0, sizeof *o);
	ckpt_select_init(&o->sel);
	stream_write_opts_default(&o->wopts);
	o->dtype = TRAJ_F32;
	while ((opt = getopt_long(argc, argv, "t:lvo:fhV", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_FIRST: o->sel.first = 1; break;
		case OPT_LAST: o->sel.last = 1; break;
		case 'l': o->list = 1; break;
		case 'v': o->verbose = 1; break;
		case 'o': o->out = optarg; break;
		case OPT_SPLIT: o->split = optarg; break;
		case 'f': o->force = 1; break;
		case 'h': cli_print_help(usage);
		case 'V': cli_print_version();
		default: parse_value(opt, optarg, o);
		}
	}
	if (o->sel.first && o->sel.last)
		cli_usage_error("--first and --last exclude each other");
	if (o->split && o->out)
		cli_usage_error("--split and --out exclude each other");
	if (o->list && (o->split || o->out))
		cli_usage_error("--list prints text; it takes no --out or --split");
	if (o->verbose && !o->list)
		cli_usage_error("--verbose goes with --list");
}

static int tensor_wanted(const struct options *o, const char *name)
{
	return nameglob_match(o->globs, o->nglobs, name);
}

static int count_wanted(const struct options *o, const struct traj_tensor *t,
			int n)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += tensor_wanted(o, t[i].name);
	return k;
}

/* The output file being written, removed if the program dies first:
 * no half file ever appears under the destination's name. */
static struct atomic_file *pending;

static void remove_pending(void)
{
	if (pending && pending->f)
		atomic_abort(pending);
}

/* ---- --list ---- */

static double l2norm(const struct traj_tensor *t)
{
	if (!dtype_is_float(t->dtype))
		return NAN;
	double s = 0;
	size_t n = (size_t)tensor_numel(t);
	for (size_t i = 0; i < n; i++) {
		double v = tensor_get_f64(t->data, t->dtype, i);
		s += v * v;
	}
	return sqrt(s);
}

static void print_shape(const struct traj_tensor *t)
{
	if (t->rank == 0)
		fputs("scalar", stdout);
	for (int d = 0; d < t->rank; d++)
		printf(d ? "x%lld" : "%lld", (long long)t->shape[d]);
}

static void list_ckpt(const struct snap *s, const struct traj_ckpt *c,
		      int64_t stored)
{
	int64_t raw = 0;
	for (int i = 0; i < c->ntensors; i++)
		if (tensor_wanted(s->o, c->tensors[i].name))
			raw += (int64_t)tensor_nbytes(&c->tensors[i]);
	printf("ckpt\t%s\t%lld\t%d\t%lld\t%lld\t%.4g\n", s->run_id,
	       (long long)c->step, count_wanted(s->o, c->tensors, c->ntensors),
	       (long long)raw,
	       (long long)stored, stored ? (double)raw / (double)stored : 0.0);
	for (int i = 0; s->o->verbose && i < c->ntensors; i++) {
		const struct traj_tensor *t = &c->tensors[i];
		if (!tensor_wanted(s->o, t->name))
			continue;
		printf("tensor\t%s\t%lld\t%s\t%s\t", s->run_id, (long long)c->step,
		       t->name, dtype_name(t->dtype));
		print_shape(t);
		printf("\t%.9g\n", l2norm(t));
	}
	cli_check_output(stdout);
}

/* ---- writing ---- */

/* The run record for the output: the input's, marked when --dtype makes
 * it lossy (traj train --resume refuses such a stream). */
static cJSON *output_run(const struct snap *s)
{
	cJSON *run = cJSON_Duplicate(s->run, 1);
	if (run && s->o->dtype != TRAJ_F32 &&
	    !cJSON_GetObjectItemCaseSensitive(run, "lossy")) {
		cJSON *l = cJSON_AddObjectToObject(run, "lossy");
		if (!l || !cJSON_AddStringToObject(l, "dtype", dtype_name(s->o->dtype)) ||
		    !cJSON_AddStringToObject(l, "by", "traj-snapshot " TRAJ_VERSION)) {
			cJSON_Delete(run);
			return NULL;
		}
	}
	return run;
}

static struct traj_writer *open_writer(struct snap *s, FILE *out,
				       const char *name)
{
	struct traj_error err;
	cJSON *run = output_run(s);
	if (!run)
		cli_die(TRAJ_ENOMEM, "out of memory");
	struct traj_writer *w = stream_writer_open(out, run, &s->o->wopts, &err);
	cJSON_Delete(run);
	if (!w)
		cli_die_error(name, &err);
	return w;
}

/* t, or its --dtype conversion in the snap's buffer. */
static struct traj_tensor converted(struct snap *s, const struct traj_tensor *t)
{
	struct traj_tensor c = *t;
	if (s->o->dtype == TRAJ_F32 || t->dtype != TRAJ_F32)
		return c;
	size_t n = (size_t)tensor_numel(t), need = n * 2 + 1;
	if (need > s->conv_cap) {
		free(s->conv);
		s->conv_cap = need;
		if (!(s->conv = malloc(need)))
			cli_die(TRAJ_ENOMEM, "out of memory");
	}
	dtype_convert_f32(t->data, n, s->o->dtype, s->conv);
	c.dtype = s->o->dtype;
	c.data = s->conv;
	c.borrowed = 1;
	return c;
}

static void write_ckpt(struct snap *s, struct traj_writer *w, int64_t step,
		       const struct traj_tensor *t, int n, const cJSON *metrics,
		       const char *name)
{
	struct traj_error err;
	if (stream_write_begin(w, step, count_wanted(s->o, t, n), metrics, &err) < 0)
		cli_die_error(name, &err);
	for (int i = 0; i < n; i++) {
		if (!tensor_wanted(s->o, t[i].name))
			continue;
		struct traj_tensor c = converted(s, &t[i]);
		if (stream_write_tensor(w, &c, &err) < 0)
			cli_die_error(name, &err);
	}
	if (stream_write_end(w, &err) < 0)
		cli_die_error(name, &err);
}

/* --split: DIR/RUN-STEP.traj, a whole stream, written atomically. */
static void write_split(struct snap *s, int64_t step, const struct traj_tensor *t,
			int n, const cJSON *metrics)
{
	struct traj_error err;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s-%09lld.traj", s->o->split, s->run_id,
		 (long long)step);
	if (atomic_open(&s->af, path, &err) < 0)
		cli_die_error(NULL, &err);
	pending = &s->af;
	struct traj_writer *w = open_writer(s, s->af.f, path);
	write_ckpt(s, w, step, t, n, metrics, path);
	if (stream_writer_close(w, &err) < 0 || atomic_commit(&s->af, &err) < 0) {
		atomic_abort(&s->af);
		cli_die_error(path, &err);
	}
}

static void emit(struct snap *s, int64_t step, const struct traj_tensor *t,
		 int n, const cJSON *metrics)
{
	if (s->o->split) {
		write_split(s, step, t, n, metrics);
		return;
	}
	if (!s->w)
		s->w = open_writer(s, s->out, s->o->out ? s->o->out : "-");
	write_ckpt(s, s->w, step, t, n, metrics, s->o->out ? s->o->out : "-");
}

/* ---- --last ---- */

static void saved_clear(struct saved *v)
{
	for (int i = 0; i < v->n; i++)
		tensor_free(&v->t[i]);
	free(v->t);
	cJSON_Delete(v->metrics);
	memset(v, 0, sizeof *v);
}

static void save(struct snap *s, const struct traj_ckpt *c, int64_t stored)
{
	struct saved *v = &s->last;
	saved_clear(v);
	v->t = calloc((size_t)c->ntensors + 1, sizeof *v->t);
	if (!v->t || (c->metrics && !(v->metrics = cJSON_Duplicate(c->metrics, 1))))
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (int i = 0; i < c->ntensors; i++) {
		const struct traj_tensor *t = &c->tensors[i];
		if (!tensor_wanted(s->o, t->name))
			continue;
		if (tensor_alloc(&v->t[v->n], t->name, t->dtype, t->rank, t->shape) < 0)
			cli_die(TRAJ_ENOMEM, "out of memory");
		memcpy(v->t[v->n++].data, t->data, tensor_nbytes(t));
	}
	v->step = c->step;
	v->stored = stored;
	v->have = 1;
}

/* ---- reading ---- */

static const char *run_id_of(const cJSON *run)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "run");
	return cJSON_IsString(id) ? id->valuestring : "-";
}

/* One output run: every run record must equal the first. */
static void on_run(struct snap *s, const cJSON *run, const char *name)
{
	if (!s->run) {
		if (!(s->run = cJSON_Duplicate(run, 1)))
			cli_die(TRAJ_ENOMEM, "out of memory");
		snprintf(s->run_id, sizeof s->run_id, "%s", run_id_of(run));
		s->run_from = name;
		return;
	}
	if (!cJSON_Compare(s->run, run, 1))
		cli_die(TRAJ_EDATA, "%s: run '%s' is not the run '%s' of '%s';"
			" concatenate only streams of one run", name,
			run_id_of(run), s->run_id, s->run_from);
}

static void on_ckpt(struct snap *s, const struct traj_ckpt *c, int64_t stored)
{
	/* Joined streams (a resumed run) may repeat steps: keep the first. */
	if (s->have_step && c->step <= s->last_step)
		return;
	s->have_step = 1;
	s->last_step = c->step;
	if (!ckpt_select_wants(&s->sel, c->step))
		return;
	if (s->o->sel.last)
		save(s, c, stored);
	else if (s->o->list)
		list_ckpt(s, c, stored);
	else
		emit(s, c->step, c->tensors, c->ntensors, c->metrics);
}

/* Returns 1 when the selection is complete and reading can stop. */
static int read_input(struct snap *s, const char *path)
{
	const char *name;
	struct traj_error err;
	FILE *in = cli_open_input(path, &name);
	struct traj_reader *r = stream_reader_open(in, name, NULL, &err);
	if (!r)
		cli_die_error(name, &err);
	int rec = TRAJ_REC_EOF;
	int64_t before = 0;
	while (!ckpt_select_done(&s->sel) && (rec = stream_read_next(r, &err)) > 0) {
		int64_t after = stream_reader_offset(r);
		if (rec == TRAJ_REC_RUN)
			on_run(s, stream_reader_run(r), name);
		else if (rec == TRAJ_REC_CKPT)
			on_ckpt(s, stream_reader_ckpt(r), after - before);
		before = after;
	}
	if (!ckpt_select_done(&s->sel) && rec < 0) {
		if (s->o->list || s->w)
			fflush(s->o->list ? stdout : s->out);
		cli_die_error(name, &err);
	}
	stream_reader_free(r);
	cli_close_input(in);
	return ckpt_select_done(&s->sel);
}

static void open_output(struct snap *s)
{
	struct traj_error err;
	if (s->o->list || s->o->split)
		return;
	if (s->o->out && strcmp(s->o->out, "-") != 0) {
		if (atomic_open(&s->af, s->o->out, &err) < 0)
			cli_die_error(NULL, &err);
		s->out = s->af.f;
		pending = &s->af;
	} else {
		cli_check_binary_output(stdout, s->o->force);
		s->out = stdout;
	}
}

/* Writes what only the end decides (--last) and closes the stream; a
 * selection that kept nothing still gives a valid stream (the run). */
static void finish_output(struct snap *s)
{
	struct traj_error err;
	const char *name = s->o->out ? s->o->out : "-";
	struct saved *v = &s->last;
	struct traj_ckpt c = {v->step, 1, v->n, v->t, v->metrics};
	if (v->have && s->o->list)
		list_ckpt(s, &c, v->stored);
	else if (v->have)
		emit(s, v->step, v->t, v->n, v->metrics);
	saved_clear(&s->last);
	if (s->o->list || s->o->split)
		return;
	if (!s->w && s->run)
		s->w = open_writer(s, s->out, name);
	if (s->w && stream_writer_close(s->w, &err) < 0)
		cli_die_error(name, &err);
	if (s->out != stdout && atomic_commit(&s->af, &err) < 0)
		cli_die_error(NULL, &err);
}

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-snapshot");
	atexit(remove_pending);
	parse_args(argc, argv, &o);
	struct snap s = {.o = &o, .sel = o.sel};
	open_output(&s);
	int nfiles = argc - optind;
	for (int i = 0; i < (nfiles ? nfiles : 1); i++)
		if (read_input(&s, nfiles ? argv[optind + i] : NULL))
			break;
	finish_output(&s);
	cJSON_Delete(s.run);
	free(s.conv);
	return cli_finish(TRAJ_OK);
}
