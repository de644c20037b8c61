/* traj-convert's import: .npy files, .npz or safetensors to a set of
 * tensors, and the run header that goes with them. */
#include "format/convert.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/filebuf.h"
#include "common/jsontext.h"
#include "format/names.h"
#include "format/npy.h"
#include "format/safetensors.h"
#include "format/zipstore.h"

/* Larger inputs are refused before reading them whole. */
#define MAX_FILE_BYTES ((size_t)1 << 34)

/* An npy directory is walked at most this deep. */
#define MAX_DEPTH 32

static int enomem(struct traj_error *err)
{
	return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
}

/* Takes t (its data included) into l; `where` names the file. Names
 * twice are found at the end (set_unique): an archive may hold 65,536. */
static int set_add(struct convert_set *l, struct traj_tensor *t,
		   const char *where, struct traj_error *err)
{
	if (!stream_name_path_valid(t->name)) {
		traj_fail(err, TRAJ_EDATA, -1, "%s: tensor '%s' cannot name a file:"
			  " a path with no leading '/' and no empty, '.' or '..'"
			  " part is needed", where, t->name);
		tensor_free(t);
		return -1;
	}
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 16;
		struct traj_tensor *nt = realloc(l->t, (size_t)cap * sizeof *nt);
		if (!nt) {
			tensor_free(t);
			return enomem(err);
		}
		l->t = nt;
		l->cap = cap;
	}
	l->t[l->n++] = *t;
	return 0;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuses a tensor name that the set holds twice. */
static int set_unique(const struct convert_set *l, const char *where,
		      struct traj_error *err)
{
	if (l->n < 2)
		return 0;
	const char **names = malloc((size_t)l->n * sizeof *names);
	if (!names)
		return enomem(err);
	for (int i = 0; i < l->n; i++)
		names[i] = l->t[i].name;
	qsort(names, (size_t)l->n, sizeof *names, by_string);
	int r = 0;
	for (int i = 1; i < l->n && r == 0; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			r = traj_fail(err, TRAJ_EDATA, -1, "%s: tensor '%s' twice",
				      where, names[i]);
	free(names);
	return r;
}

static int read_file(const char *path, unsigned char **b, size_t *len,
		     struct traj_error *err)
{
	return file_read_all(path, MAX_FILE_BYTES, b, len, err);
}

static int import_npy_file(struct convert_set *l, const char *path,
			   const char *name, struct traj_error *err)
{
	struct traj_tensor t;
	unsigned char *b;
	size_t len;
	if (read_file(path, &b, &len, err) < 0)
		return -1;
	int r = npy_parse(b, len, name, &t, err);
	free(b);
	if (r < 0) {
		traj_error_prefix(err, path);
		return -1;
	}
	return set_add(l, &t, path, err);
}

/* Every NAME.npy below `dir`, NAME its path relative to the top. */
static int walk(struct convert_set *l, const char *dir, const char *rel,
		int depth, struct traj_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;
	if (!d)
		return traj_fail(err, TRAJ_EFAIL, -1, "%s: cannot read the directory",
				 dir);
	while (rc == 0 && (e = readdir(d))) {
		char path[4096], name[4096];
		struct stat st;
		size_t n = strlen(e->d_name);
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		snprintf(name, sizeof name, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (lstat(path, &st) < 0) {
			rc = traj_fail(err, TRAJ_EFAIL, -1, "%s: cannot read the directory",
				       dir);
		} else if (S_ISDIR(st.st_mode) && depth == MAX_DEPTH) {
			rc = traj_fail(err, TRAJ_EDATA, -1, "%s: more than %d"
				       " directories deep", path, MAX_DEPTH);
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk(l, path, name, depth + 1, err);
		} else if (S_ISREG(st.st_mode) && n > 4 &&
			   strcmp(e->d_name + n - 4, ".npy") == 0) {
			name[strlen(name) - 4] = 0;
			if (strlen(name) >= TRAJ_NAME_MAX)
				rc = traj_fail(err, TRAJ_EDATA, -1, "%s: the name is"
					       " longer than %d bytes", path,
					       TRAJ_NAME_MAX - 1);
			else
				rc = import_npy_file(l, path, name, err);
		}
	}
	closedir(d);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct traj_tensor *)a)->name,
		      ((const struct traj_tensor *)b)->name);
}

static int import_npy_dir(const char *dir, struct convert_set *l,
			  struct traj_error *err)
{
	if (walk(l, dir, "", 0, err) < 0)
		return -1;
	qsort(l->t, (size_t)l->n, sizeof *l->t, by_name); /* readdir order is arbitrary */
	if (!l->n)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: no .npy file", dir);
	return 0;
}

struct zip_ctx {
	struct convert_set *l;
	const char *where;
};

static int zip_entry(const char *name, const unsigned char *data, size_t len,
		     void *ctx, struct traj_error *err)
{
	struct zip_ctx *z = ctx;
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
	return set_add(z->l, &t, z->where, err);
}

struct st_ctx {
	struct convert_set *l;
	const char *where;
};

static int st_tensor(const struct traj_tensor *t, void *ctx,
		     struct traj_error *err)
{
	struct st_ctx *c = ctx;
	struct traj_tensor copy;
	if (tensor_alloc(&copy, t->name, t->dtype, t->rank, t->shape) < 0)
		return enomem(err);
	memcpy(copy.data, t->data, tensor_nbytes(t));
	return set_add(c->l, &copy, c->where, err);
}

int convert_import(enum convert_format fmt, const char *path,
		   struct convert_set *l, struct traj_error *err)
{
	struct stat st;
	unsigned char *b;
	size_t len;
	if (fmt == CONVERT_NPY && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return import_npy_dir(path, l, err);
	if (fmt == CONVERT_NPY) {
		/* one file: the tensor is named after it, less ".npy" */
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		size_t bl = strlen(base);
		char name[TRAJ_NAME_MAX];
		if (bl > 4 && strcmp(base + bl - 4, ".npy") == 0)
			bl -= 4;
		snprintf(name, sizeof name, "%.*s", (int)bl, base);
		return import_npy_file(l, path, name, err);
	}
	if (read_file(path, &b, &len, err) < 0)
		return -1;
	struct zip_ctx zc = {l, path};
	struct st_ctx sc = {l, path};
	int r = fmt == CONVERT_NPZ ? zip_read(b, len, zip_entry, &zc, err)
				   : safetensors_read(b, len, st_tensor, &sc, err);
	free(b);
	if (r < 0) {
		traj_error_prefix(err, path);
		return -1;
	}
	if (set_unique(l, path, err) < 0)
		return -1;
	if (!l->n) /* as for a directory without .npy files */
		return traj_fail(err, TRAJ_EDATA, -1, "%s: no tensor to import", path);
	return 0;
}

static cJSON *run_from_text(const char *text, size_t len, const char *where,
			    struct traj_error *err)
{
	const char *why;
	size_t pos;
	/* cJSON turns 1e400 into inf and rounds 2^53+1 without a word */
	if (json_text_check(text, len, JSON_MAX_DEPTH, &why, &pos) < 0) {
		traj_fail(err, TRAJ_EDATA, -1, "%s: run header, byte %zu: %s",
			  where, pos, why);
		return NULL;
	}
	cJSON *run = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(run)) {
		cJSON_Delete(run);
		traj_fail(err, TRAJ_EDATA, -1, "%s: the run header is not a JSON object",
			  where);
		return NULL;
	}
	int no_memory = 0;
	const char *dup = json_duplicate_key(run, &no_memory);
	if (no_memory || dup) {
		if (no_memory)
			enomem(err);
		else
			traj_fail(err, TRAJ_EDATA, -1, "%s: run header: key '%.64s'"
				  " appears twice", where, dup);
		cJSON_Delete(run);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(run, "type"); /* the writer adds them */
	cJSON_DeleteItemFromObjectCaseSensitive(run, "version");
	return run;
}

static cJSON *run_from_file(const char *path, struct traj_error *err)
{
	unsigned char *b;
	size_t len;
	if (read_file(path, &b, &len, err) < 0)
		return NULL;
	cJSON *run = run_from_text((const char *)b, len, path, err);
	free(b);
	return run;
}

cJSON *convert_import_run(enum convert_format fmt, const char *path,
			  const char *run_path, struct traj_error *err)
{
	struct stat st;
	char own[4096];
	if (run_path)
		return run_from_file(run_path, err);
	if (fmt == CONVERT_NPY) {
		snprintf(own, sizeof own, "%s/run.json", path);
		if (stat(own, &st) == 0)
			return run_from_file(own, err);
	}
	if (fmt == CONVERT_SAFETENSORS) {
		unsigned char *b;
		size_t len;
		if (read_file(path, &b, &len, err) < 0)
			return NULL;
		char *text;
		int r = safetensors_metadata(b, len, "traj_run", &text, err);
		free(b);
		if (r < 0) {
			traj_error_prefix(err, path);
			return NULL;
		}
		if (text) {
			cJSON *run = run_from_text(text, strlen(text), path, err);
			free(text);
			return run;
		}
	}
	traj_fail(err, TRAJ_EUSAGE, -1, "--run FILE: required, '%s' carries no"
		  " run header", path);
	return NULL;
}
