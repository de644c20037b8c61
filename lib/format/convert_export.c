/* traj-convert's export: a checkpoint to .npy files, .npz, safetensors. */
#include "format/convert.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomicfile.h"
#include "common/nameglob.h"
#include "format/names.h"
#include "format/npy.h"
#include "format/safetensors.h"
#include "format/zipstore.h"

static int enomem(struct traj_error *err)
{
	return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
}

int convert_format_from_name(const char *name, enum convert_format *out)
{
	if (strcmp(name, "npy") == 0) *out = CONVERT_NPY;
	else if (strcmp(name, "npz") == 0) *out = CONVERT_NPZ;
	else if (strcmp(name, "safetensors") == 0) *out = CONVERT_SAFETENSORS;
	else return -1;
	return 0;
}

void convert_set_free(struct convert_set *s)
{
	for (int i = 0; i < s->n; i++)
		tensor_free(&s->t[i]);
	free(s->t);
	memset(s, 0, sizeof *s);
}

static int tensor_wanted(const struct convert_pick *p, const char *name)
{
	if (!p->nglobs)
		return strncmp(name, "optim/", 6) != 0;
	return nameglob_match(p->globs, p->nglobs, name);
}

static int keep(const struct convert_pick *p, const struct traj_ckpt *c,
		struct convert_set *k, struct traj_error *err)
{
	convert_set_free(k);
	if (!(k->t = calloc((size_t)c->ntensors + 1, sizeof *k->t)))
		return enomem(err);
	k->cap = c->ntensors + 1;
	for (int i = 0; i < c->ntensors; i++) {
		const struct traj_tensor *t = &c->tensors[i];
		if (!tensor_wanted(p, t->name))
			continue;
		if (tensor_alloc(&k->t[k->n], t->name, t->dtype, t->rank, t->shape) < 0)
			return enomem(err);
		memcpy(k->t[k->n++].data, t->data, tensor_nbytes(t));
	}
	k->step = c->step;
	return 0;
}

cJSON *convert_choose(struct traj_reader *r, const char *name,
		      const struct convert_pick *p, struct convert_set *k,
		      struct traj_error *err)
{
	cJSON *run = NULL;
	int rec, found = 0;
	while (!found && (rec = stream_read_next(r, err)) != TRAJ_REC_EOF) {
		if (rec < 0) {
			traj_error_prefix(err, name);
			goto fail;
		}
		if (rec == TRAJ_REC_RUN) {
			cJSON_Delete(run);
			if (!(run = cJSON_Duplicate(stream_reader_run(r), 1))) {
				enomem(err);
				goto fail;
			}
		}
		const struct traj_ckpt *c = stream_reader_ckpt(r);
		if (rec != TRAJ_REC_CKPT || (p->step >= 0 && c->step != p->step))
			continue;
		if (keep(p, c, k, err) < 0)
			goto fail;
		found = p->first || p->step >= 0;
	}
	if (!k->t && p->step >= 0)
		traj_fail(err, TRAJ_EDATA, -1, "%s: no checkpoint at step %lld",
			  name, (long long)p->step);
	else if (!k->t)
		traj_fail(err, TRAJ_EDATA, -1, "%s: no checkpoint", name);
	else if (!k->n)
		traj_fail(err, TRAJ_EDATA, -1, "%s: no tensor selected at step %lld",
			  name, (long long)k->step);
	else
		return run;
fail:
	cJSON_Delete(run);
	convert_set_free(k);
	return NULL;
}

/* Every directory above the file. */
static int make_dirs(char *path, struct traj_error *err)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = 0;
		if (mkdir(path, 0777) < 0 && errno != EEXIST) {
			int e = errno;
			traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s': %s",
				  path, strerror(e));
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* Names become file names (DIR/NAME.npy, NAME.npy inside a zip): each
 * must stay below the directory, whatever the stream holds. */
static int names_are_paths(const struct convert_set *k, struct traj_error *err)
{
	for (int i = 0; i < k->n; i++)
		if (!stream_name_path_valid(k->t[i].name))
			return traj_fail(err, TRAJ_EDATA, -1, "tensor '%s' cannot name"
					 " a file: a path with no leading '/' and no"
					 " empty, '.' or '..' part is needed",
					 k->t[i].name);
	return 0;
}

/* Writes one file atomically through write(f, ctx). */
static int write_file(char *path, int (*write)(FILE *f, const void *ctx,
					       struct traj_error *err),
		      const void *ctx, struct traj_error *err)
{
	struct atomic_file a;
	if (make_dirs(path, err) < 0 || atomic_open(&a, path, err) < 0)
		return -1;
	if (write(a.f, ctx, err) < 0) {
		atomic_abort(&a);
		traj_error_prefix(err, path);
		return -1;
	}
	if (atomic_commit(&a, err) < 0) {
		traj_error_prefix(err, path);
		return -1;
	}
	return 0;
}

static int write_text(FILE *f, const void *text, struct traj_error *err)
{
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF)
		return traj_fail(err, TRAJ_EFAIL, -1, "write failed");
	return 0;
}

static int write_npy(FILE *f, const void *t, struct traj_error *err)
{
	return npy_write(f, t, err);
}

int convert_export_npy(const char *dir, const struct convert_set *k,
		       const cJSON *run, struct traj_error *err)
{
	char path[4096];
	if (names_are_paths(k, err) < 0)
		return -1;
	char *text = cJSON_Print(run);
	if (!text)
		return enomem(err);
	snprintf(path, sizeof path, "%s/run.json", dir);
	int rc = write_file(path, write_text, text, err);
	free(text);
	for (int i = 0; rc == 0 && i < k->n; i++) {
		snprintf(path, sizeof path, "%s/%s.npy", dir, k->t[i].name);
		rc = write_file(path, write_npy, &k->t[i], err);
	}
	return rc;
}

/* One .npy in memory, for a zip entry. */
static char *npy_bytes(const struct traj_tensor *t, size_t *len)
{
	struct traj_error err;
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	if (!m)
		return NULL;
	if (npy_write(m, t, &err) < 0 || fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int convert_export_npz(FILE *out, const struct convert_set *k,
		       struct traj_error *err)
{
	struct zip_writer z;
	if (names_are_paths(k, err) < 0)
		return -1;
	zip_writer_init(&z, out);
	for (int i = 0; i < k->n; i++) {
		char entry[TRAJ_NAME_MAX + 8];
		size_t len;
		char *b = npy_bytes(&k->t[i], &len);
		if (!b) {
			zip_writer_free(&z);
			return enomem(err);
		}
		snprintf(entry, sizeof entry, "%s.npy", k->t[i].name);
		int rc = zip_add(&z, entry, b, len, err);
		free(b);
		if (rc < 0) {
			zip_writer_free(&z);
			return -1;
		}
	}
	int rc = zip_finish(&z, err);
	zip_writer_free(&z);
	return rc;
}

int convert_export_safetensors(FILE *out, const struct convert_set *k,
			       const cJSON *run, const char *creator,
			       struct traj_error *err)
{
	char step[32], *text = cJSON_PrintUnformatted(run);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "run");
	if (!text)
		return enomem(err);
	snprintf(step, sizeof step, "%lld", (long long)k->step);
	const char *meta[] = {"format", "pt", "run", cJSON_IsString(id) ?
			      id->valuestring : "-", "step", step, "traj_run", text,
			      "creator", creator, NULL};
	int rc = safetensors_write(out, k->t, k->n, meta, err);
	free(text);
	return rc;
}
