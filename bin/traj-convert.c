/* traj-convert: one checkpoint of a traj stream to .npy files, .npz or
 * safetensors, and back. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomicfile.h"
#include "cli/cli.h"
#include "common/jsontext.h"
#include "common/filebuf.h"
#include "common/nameglob.h"
#include "format/npy.h"
#include "format/safetensors.h"
#include "format/select.h"
#include "format/stream.h"
#include "format/zipstore.h"

static const char usage[] =
"Usage: traj-convert --export FORMAT DEST [OPTION]... [FILE]\n"
"  or:  traj-convert --import FORMAT SRC --run RUN.json [OPTION]...\n"
"Export one checkpoint of a traj stream (traj-stream(5)) for NumPy and\n"
"PyTorch, or import such files into a stream of one checkpoint.\n"
"FORMAT is npy (DEST/SRC a directory of NAME.npy files; a tensor name with /\n"
"makes subdirectories; SRC may also be one .npy file), npz (numpy.savez,\n"
"stored entries) or safetensors. With no FILE, or when FILE is -, read\n"
"standard input. Outputs are written atomically.\n"
"\n"
"Export:\n"
"      --step N         the checkpoint at step N (default: the last)\n"
"      --first          the first checkpoint\n"
"  -t, --tensors GLOB   only tensors whose name matches (repeatable; default:\n"
"                       all but the optimiser state optim/...)\n"
"Import:\n"
"      --run FILE       the run header, a JSON object; needed unless the source\n"
"                       carries it (DIR/run.json of an npy export, the\n"
"                       traj_run metadata of a safetensors export)\n"
"      --step N         the step of the checkpoint (0)\n"
"  -o, --out FILE       write the stream to FILE instead of standard output\n"
"  -f, --force          write binary to a terminal anyway\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"bf16 tensors are exported to npy and npz as f32 (NumPy has no bf16);\n"
"safetensors keeps them.\n"
"\n"
"Exit status: 0 success, 64 usage error, 65 invalid input (bad magic,\n"
"truncated data, shapes that disagree with the header, no such checkpoint),\n"
"66 cannot open an input, 73 cannot create an output, 74 read or write\n"
"error, 75 truncated stream.\n";

enum format { FMT_NONE, FMT_NPY, FMT_NPZ, FMT_SAFETENSORS };

#define MAX_GLOBS 64
#define MAX_FILE_BYTES ((size_t)1 << 34)

struct options {
	enum format export_fmt, import_fmt;
	const char *path;           /* DEST or SRC */
	const char *run, *out;
	int64_t step;               /* -1: unset */
	int first, force;
	char *globs[MAX_GLOBS];
	int nglobs;
};

enum { OPT_STEP = 256, OPT_FIRST, OPT_RUN, OPT_EXPORT, OPT_IMPORT };

static const struct option longopts[] = {
	{"export", 1, 0, OPT_EXPORT}, {"import", 1, 0, OPT_IMPORT},
	{"step", 1, 0, OPT_STEP}, {"first", 0, 0, OPT_FIRST},
	{"tensors", 1, 0, 't'}, {"run", 1, 0, OPT_RUN}, {"out", 1, 0, 'o'},
	{"force", 0, 0, 'f'}, {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'},
	{0, 0, 0, 0},
};

static enum format format_of(const char *opt, const char *s)
{
	if (strcmp(s, "npy") == 0) return FMT_NPY;
	if (strcmp(s, "npz") == 0) return FMT_NPZ;
	if (strcmp(s, "safetensors") == 0) return FMT_SAFETENSORS;
	cli_usage_error("%s: unknown format '%s' (npy, npz, safetensors)", opt, s);
}

/* --export FORMAT DEST and --import FORMAT SRC take two values: the
 * second is taken out of argv before getopt sees it. */
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

static void parse_args(int *argc, char **argv, struct options *o)
{
	int opt;
	*o = (struct options){.step = -1};
	take_paths(argc, argv, o);
	while ((opt = getopt_long(*argc, argv, "t:o:fhV", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_EXPORT: o->export_fmt = format_of("--export", optarg); break;
		case OPT_IMPORT: o->import_fmt = format_of("--import", optarg); break;
		case OPT_STEP: o->step = cli_int("--step", optarg, 0, INT64_MAX); break;
		case OPT_FIRST: o->first = 1; break;
		case OPT_RUN: o->run = optarg; break;
		case 'o': o->out = optarg; break;
		case 'f': o->force = 1; break;
		case 't':
			if (o->nglobs == MAX_GLOBS)
				cli_usage_error("--tensors: at most %d patterns", MAX_GLOBS);
			o->globs[o->nglobs++] = optarg;
			break;
		case 'h': cli_print_help(usage);
		case 'V': cli_print_version();
		default: cli_usage_error("invalid option");
		}
	}
	if (!o->export_fmt && !o->import_fmt)
		cli_usage_error("--export or --import is required");
	if (o->import_fmt && (optind < *argc || o->first || o->nglobs))
		cli_usage_error("--import takes --run FILE, --step, --out; no FILE,"
				" --first or --tensors");
	if (o->export_fmt && (o->run || o->out || *argc - optind > 1))
		cli_usage_error("--export takes at most one FILE, and no --run or --out");
	if (o->first && o->step >= 0)
		cli_usage_error("--first and --step exclude each other");
}

/* ---- export ---- */

static int tensor_wanted(const struct options *o, const char *name)
{
	if (!o->nglobs)
		return strncmp(name, "optim/", 6) != 0;
	return nameglob_match(o->globs, o->nglobs, name);
}

/* The chosen checkpoint: a copy of its wanted tensors. */
struct chosen {
	int64_t step;
	int n;
	struct traj_tensor *t;
};

static void chosen_clear(struct chosen *c)
{
	for (int i = 0; i < c->n; i++)
		tensor_free(&c->t[i]);
	free(c->t);
	memset(c, 0, sizeof *c);
}

static void keep(const struct options *o, const struct traj_ckpt *c,
		 struct chosen *k)
{
	chosen_clear(k);
	if (!(k->t = calloc((size_t)c->ntensors + 1, sizeof *k->t)))
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (int i = 0; i < c->ntensors; i++) {
		const struct traj_tensor *t = &c->tensors[i];
		if (!tensor_wanted(o, t->name))
			continue;
		if (tensor_alloc(&k->t[k->n], t->name, t->dtype, t->rank, t->shape) < 0)
			cli_die(TRAJ_ENOMEM, "out of memory");
		memcpy(k->t[k->n++].data, t->data, tensor_nbytes(t));
	}
	k->step = c->step;
}

/* Reads the stream up to the wanted checkpoint; returns (a copy of) its
 * run record. */
static cJSON *choose(const struct options *o, const char *path, struct chosen *k)
{
	const char *name;
	struct traj_error err;
	FILE *in = cli_open_input(path, &name);
	struct traj_reader *r = stream_reader_open(in, name, NULL, &err);
	cJSON *run = NULL;
	int rec, found = 0;
	if (!r)
		cli_die_error(name, &err);
	while (!found && (rec = stream_read_next(r, &err)) != TRAJ_REC_EOF) {
		if (rec < 0)
			cli_die_error(name, &err);
		if (rec == TRAJ_REC_RUN) {
			cJSON_Delete(run);
			if (!(run = cJSON_Duplicate(stream_reader_run(r), 1)))
				cli_die(TRAJ_ENOMEM, "out of memory");
		}
		const struct traj_ckpt *c = stream_reader_ckpt(r);
		if (rec != TRAJ_REC_CKPT || (o->step >= 0 && c->step != o->step))
			continue;
		keep(o, c, k);
		found = o->first || o->step >= 0;
	}
	stream_reader_free(r);
	cli_close_input(in);
	if (!k->t && o->step >= 0)
		cli_die(TRAJ_EDATA, "%s: no checkpoint at step %lld", name, (long long)o->step);
	if (!k->t)
		cli_die(TRAJ_EDATA, "%s: no checkpoint", name);
	if (!k->n)
		cli_die(TRAJ_EDATA, "%s: no tensor selected at step %lld", name, (long long)k->step);
	return run;
}

/* The output file being written, removed if the program dies first. */
static struct atomic_file *pending;

static void remove_pending(void)
{
	if (pending && pending->f)
		atomic_abort(pending);
}

static FILE *open_atomic(struct atomic_file *a, const char *path)
{
	struct traj_error err;
	if (atomic_open(a, path, &err) < 0)
		cli_die_error(NULL, &err);
	pending = a;
	return a->f;
}

static void commit(struct atomic_file *a, const char *path)
{
	struct traj_error err;
	if (atomic_commit(a, &err) < 0)
		cli_die_error(path, &err);
	pending = NULL;
}

static void make_dirs(char *path) /* every directory above the file */
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = 0;
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			cli_die(TRAJ_ECREATE, "cannot create '%s': %s", path, strerror(errno));
		*p = '/';
	}
}

/* The run record as text, so that an import needs no --run. */
static char *run_text(const cJSON *run, int pretty)
{
	char *t = pretty ? cJSON_Print(run) : cJSON_PrintUnformatted(run);
	if (!t)
		cli_die(TRAJ_ENOMEM, "out of memory");
	return t;
}

static void export_npy(const struct options *o, const struct chosen *k,
		       const cJSON *run)
{
	struct traj_error err;
	struct atomic_file a;
	char path[4096];
	char *text = run_text(run, 1);
	snprintf(path, sizeof path, "%s/run.json", o->path);
	make_dirs(path);
	FILE *rf = open_atomic(&a, path);
	if (fputs(text, rf) == EOF || fputc('\n', rf) == EOF)
		cli_die(TRAJ_EFAIL, "%s: write failed", path);
	commit(&a, path);
	free(text);
	for (int i = 0; i < k->n; i++) {
		snprintf(path, sizeof path, "%s/%s.npy", o->path, k->t[i].name);
		make_dirs(path);
		FILE *f = open_atomic(&a, path);
		if (npy_write(f, &k->t[i], &err) < 0)
			cli_die_error(path, &err);
		commit(&a, path);
	}
}

/* One .npy in memory, for a zip entry. */
static char *npy_bytes(const struct traj_tensor *t, size_t *len)
{
	struct traj_error err;
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	if (!m || npy_write(m, t, &err) < 0 || fclose(m) != 0)
		cli_die(TRAJ_ENOMEM, "out of memory");
	return buf;
}

static void export_npz(const struct options *o, const struct chosen *k)
{
	struct traj_error err;
	struct atomic_file a;
	struct zip_writer z;
	zip_writer_init(&z, open_atomic(&a, o->path));
	for (int i = 0; i < k->n; i++) {
		char entry[TRAJ_NAME_MAX + 8];
		size_t len;
		char *b = npy_bytes(&k->t[i], &len);
		snprintf(entry, sizeof entry, "%s.npy", k->t[i].name);
		if (zip_add(&z, entry, b, len, &err) < 0)
			cli_die_error(o->path, &err);
		free(b);
	}
	if (zip_finish(&z, &err) < 0)
		cli_die_error(o->path, &err);
	commit(&a, o->path);
}

static void export_safetensors(const struct options *o, const struct chosen *k,
			       const cJSON *run)
{
	struct traj_error err;
	struct atomic_file a;
	char step[32], *text = run_text(run, 0);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "run");
	snprintf(step, sizeof step, "%lld", (long long)k->step);
	const char *meta[] = {"format", "pt", "run", cJSON_IsString(id) ?
			      id->valuestring : "-", "step", step, "traj_run", text,
			      "creator", "traj-convert " TRAJ_VERSION, NULL};
	if (safetensors_write(open_atomic(&a, o->path), k->t, k->n, meta, &err) < 0)
		cli_die_error(o->path, &err);
	commit(&a, o->path);
	free(text);
}

static void do_export(const struct options *o, const char *file)
{
	struct chosen k = {0};
	cJSON *run = choose(o, file, &k);
	if (o->export_fmt == FMT_NPY)
		export_npy(o, &k, run);
	else if (o->export_fmt == FMT_NPZ)
		export_npz(o, &k);
	else
		export_safetensors(o, &k, run);
	chosen_clear(&k);
	cJSON_Delete(run);
}

/* ---- import ---- */

struct tlist {
	struct traj_tensor *t;
	int n, cap;
	char *where;                /* the file being read, for messages */
};

static void tlist_add(struct tlist *l, const struct traj_tensor *t)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		if (!(l->t = realloc(l->t, (size_t)l->cap * sizeof *l->t)))
			cli_die(TRAJ_ENOMEM, "out of memory");
	}
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->t[i].name, t->name) == 0)
			cli_die(TRAJ_EDATA, "%s: tensor '%s' twice", l->where, t->name);
	l->t[l->n++] = *t;
}

static int add_copy(const struct traj_tensor *t, void *ctx, struct traj_error *err)
{
	struct traj_tensor c;
	if (tensor_alloc(&c, t->name, t->dtype, t->rank, t->shape) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	memcpy(c.data, t->data, tensor_nbytes(t));
	tlist_add(ctx, &c);
	return 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct traj_error err;
	unsigned char *b;
	if (file_read_all(path, MAX_FILE_BYTES, &b, len, &err) < 0)
		cli_die(err.status, "%s", err.msg);
	return b;
}

static void import_npy_file(struct tlist *l, const char *path, const char *name)
{
	struct traj_error err;
	struct traj_tensor t;
	size_t len;
	unsigned char *b = slurp(path, &len);
	int r = npy_parse(b, len, name, &t, &err);
	free(b);
	if (r < 0)
		cli_die_error(path, &err);
	l->where = (char *)path;
	tlist_add(l, &t);
}

static int zip_entry(const char *name, const unsigned char *data, size_t len,
		     void *ctx, struct traj_error *err)
{
	struct traj_tensor t;
	size_t nl = strlen(name);
	char tname[TRAJ_NAME_MAX];
	if (nl < 5 || strcmp(name + nl - 4, ".npy") != 0 || nl - 4 >= sizeof tname)
		return traj_fail(err, TRAJ_EDATA, -1, "entry '%s' is not NAME.npy", name);
	memcpy(tname, name, nl - 4);
	tname[nl - 4] = 0;
	if (npy_parse(data, len, tname, &t, err) < 0) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		return traj_fail(err, TRAJ_EDATA, -1, "%s: %s", name, why);
	}
	tlist_add(ctx, &t);
	return 0;
}

/* npy import from a directory: every NAME.npy below it. */
static struct tlist *walk_list;
static const char *walk_root;

static int walk(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t n = strlen(path), root = strlen(walk_root);
	(void)st;
	(void)ftw;
	if (type != FTW_F || n < root + 6 || strcmp(path + n - 4, ".npy") != 0)
		return 0;
	char name[TRAJ_NAME_MAX];
	snprintf(name, sizeof name, "%.*s", (int)(n - root - 5), path + root + 1);
	import_npy_file(walk_list, path, name);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct traj_tensor *)a)->name,
		      ((const struct traj_tensor *)b)->name);
}

static void read_import(const struct options *o, struct tlist *l)
{
	struct traj_error err;
	struct stat st;
	size_t len;
	l->where = (char *)o->path;
	if (o->import_fmt == FMT_NPY && stat(o->path, &st) == 0 && S_ISDIR(st.st_mode)) {
		walk_list = l;
		walk_root = o->path;
		if (nftw(o->path, walk, 16, FTW_PHYS) != 0)
			cli_die(TRAJ_EFAIL, "%s: cannot read the directory", o->path);
		qsort(l->t, (size_t)l->n, sizeof *l->t, by_name); /* readdir order is arbitrary */
		if (!l->n)
			cli_die(TRAJ_EDATA, "%s: no .npy file", o->path);
		return;
	}
	if (o->import_fmt == FMT_NPY) {
		/* one file: the tensor is named after it, less ".npy" */
		const char *base = strrchr(o->path, '/') ? strrchr(o->path, '/') + 1 : o->path;
		size_t bl = strlen(base);
		char name[TRAJ_NAME_MAX];
		if (bl > 4 && strcmp(base + bl - 4, ".npy") == 0)
			bl -= 4;
		snprintf(name, sizeof name, "%.*s", (int)bl, base);
		import_npy_file(l, o->path, name);
		return;
	}
	unsigned char *b = slurp(o->path, &len);
	int r = o->import_fmt == FMT_NPZ ? zip_read(b, len, zip_entry, l, &err)
					 : safetensors_read(b, len, add_copy, l, &err);
	free(b);
	if (r < 0)
		cli_die_error(o->path, &err);
	if (!l->n) /* as for a directory without .npy files */
		cli_die(TRAJ_EDATA, "%s: no tensor to import", o->path);
}

static cJSON *run_from_text(const char *text, size_t len, const char *where)
{
	const char *why;
	size_t pos;
	/* cJSON turns 1e400 into inf and rounds 2^53+1 without a word */
	if (json_text_check(text, len, JSON_MAX_DEPTH, &why, &pos) < 0)
		cli_die(TRAJ_EDATA, "%s: run header, byte %zu: %s", where, pos, why);
	cJSON *run = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(run) && (cJSON_Delete(run), 1))
		cli_die(TRAJ_EDATA, "%s: the run header is not a JSON object", where);
	int enomem = 0;
	const char *dup = json_duplicate_key(run, &enomem);
	if (enomem)
		cli_die(TRAJ_ENOMEM, "out of memory");
	if (dup)
		cli_die(TRAJ_EDATA, "%s: run header: key '%.64s' appears twice",
			where, dup);
	cJSON_DeleteItemFromObjectCaseSensitive(run, "type"); /* the writer adds them */
	cJSON_DeleteItemFromObjectCaseSensitive(run, "version");
	return run;
}

/* --run FILE, else what the source carries: DIR/run.json of an npy
 * export, the traj_run metadata of a safetensors export. */
static cJSON *read_run(const struct options *o)
{
	struct stat st;
	char path[4096];
	size_t len;
	const char *from = o->run;
	if (!from && o->import_fmt == FMT_NPY) {
		snprintf(path, sizeof path, "%s/run.json", o->path);
		if (stat(path, &st) == 0)
			from = path;
	}
	if (!from && o->import_fmt == FMT_SAFETENSORS) {
		unsigned char *b = slurp(o->path, &len);
		char *text = safetensors_metadata(b, len, "traj_run");
		free(b);
		if (text) {
			cJSON *run = run_from_text(text, strlen(text), o->path);
			free(text);
			return run;
		}
	}
	if (!from)
		cli_usage_error("--run FILE: required, '%s' carries no run header", o->path);
	unsigned char *b = slurp(from, &len);
	cJSON *run = run_from_text((const char *)b, len, from);
	free(b);
	return run;
}

static void do_import(const struct options *o)
{
	struct traj_error err;
	struct tlist l = {0};
	struct atomic_file a;
	cJSON *run = read_run(o);
	read_import(o, &l);
	FILE *out = stdout;
	const char *name = o->out ? o->out : "-";
	if (o->out && strcmp(o->out, "-") != 0)
		out = open_atomic(&a, o->out);
	else
		cli_check_binary_output(stdout, o->force);
	struct traj_writer *w = stream_writer_open(out, run, NULL, &err);
	if (!w || stream_write_begin(w, o->step < 0 ? 0 : o->step, l.n, NULL, &err) < 0)
		cli_die_error(name, &err);
	for (int i = 0; i < l.n; i++)
		if (stream_write_tensor(w, &l.t[i], &err) < 0)
			cli_die_error(name, &err);
	if (stream_write_end(w, &err) < 0 || stream_writer_close(w, &err) < 0)
		cli_die_error(name, &err);
	if (out != stdout)
		commit(&a, o->out);
	for (int i = 0; i < l.n; i++)
		tensor_free(&l.t[i]);
	free(l.t);
	cJSON_Delete(run);
}

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-convert");
	atexit(remove_pending);
	parse_args(&argc, argv, &o);
	if (o.import_fmt)
		do_import(&o);
	else
		do_export(&o, optind < argc ? argv[optind] : NULL);
	return cli_finish(TRAJ_OK);
}
