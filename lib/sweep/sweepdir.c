/* Sweep directories: the recorded spec, per-run configuration files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/filebuf.h"
#include "sweep/sweepdir.h"

#define SPEC_LIMIT (16 << 20)

static int make_dir(const char *path, struct traj_error *err)
{
	if (mkdir(path, 0777) == 0 || errno == EEXIST)
		return 0;
	return traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s': %s", path,
			 strerror(errno));
}

int sweep_run_path(char *buf, size_t size, const char *dir, const char *id,
		   const char *ext)
{
	int n = snprintf(buf, size, "%s/runs/%s%s", dir, id, ext);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int write_text(const char *path, const char *text, struct traj_error *err)
{
	struct atomic_file a;
	if (atomic_open(&a, path, err) < 0)
		return -1;
	if (fputs(text, a.f) < 0) {
		atomic_abort(&a);
		return traj_fail(err, TRAJ_EFAIL, -1, "cannot write '%s': %s", path,
				 strerror(errno));
	}
	return atomic_commit(&a, err);
}

/* Whether `spec` is one of the specs recorded in `text` (separated by
 * lines "--"). */
static int spec_recorded(const char *text, const char *spec)
{
	size_t n = strlen(spec);
	for (const char *p = text; *p;) {
		if (strncmp(p, spec, n) == 0 && (p[n] == '\0' || strncmp(p + n, "--\n", 3) == 0))
			return 1;
		const char *sep = strstr(p, "--\n");
		if (!sep)
			break;
		p = sep + 3;
	}
	return 0;
}

int sweep_dir_init(const char *dir, const struct sweep_spec *s, int extend,
		   struct traj_error *err)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s/runs", dir) >= (int)sizeof path)
		return traj_fail(err, TRAJ_EUSAGE, -1, "'%s': path too long", dir);
	if (make_dir(dir, err) < 0 || make_dir(path, err) < 0)
		return -1;
	char *spec = sweep_spec_text(s);
	if (!spec)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	snprintf(path, sizeof path, "%s/sweep.spec", dir);
	unsigned char *old = NULL;
	size_t len = 0;
	struct traj_error e2;
	int rc = 0;
	if (file_read_all(path, SPEC_LIMIT, &old, &len, &e2) == 0) {
		char *text = realloc(old, len + 1);
		if (!text) {
			free(old);
			free(spec);
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		}
		text[len] = '\0';
		if (!spec_recorded(text, spec)) {
			if (!extend) {
				rc = traj_fail(err, TRAJ_EUSAGE, -1,
					       "'%s' holds another sweep (its sweep.spec "
					       "differs); --extend adds this one to it", dir);
			} else {
				size_t need = len + strlen(spec) + 8;
				char *both = malloc(need);
				if (!both) {
					rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
				} else {
					snprintf(both, need, "%s--\n%s", text, spec);
					rc = write_text(path, both, err);
					free(both);
				}
			}
		}
		free(text);
	} else if (e2.status == TRAJ_ENOINPUT) {
		rc = write_text(path, spec, err);
	} else {
		*err = e2;
		rc = -1;
	}
	free(spec);
	return rc;
}

static uint64_t hash_text(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int sweep_dir_write_plan(const char *dir, const struct sweep_plan *p,
			 char *ids_path, size_t size, struct traj_error *err)
{
	const struct sweep_spec *s = p->spec;
	char path[4096];
	size_t cap = 4096, len = 0;
	char *ids = malloc(cap);
	if (!ids)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	ids[0] = '\0';
	for (int k = 0; k < p->n; k++) {
		const struct sweep_config *c = &p->configs[k];
		size_t idn = strlen(c->id);
		if (len + idn + 2 > cap) {
			char *ni = realloc(ids, cap = 2 * cap + idn);
			if (!ni) {
				free(ids);
				return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
			}
			ids = ni;
		}
		memcpy(ids + len, c->id, idn);
		len += idn;
		ids[len++] = '\n';
		ids[len] = '\0';
		if (sweep_run_path(path, sizeof path, dir, c->id, ".cfg") < 0) {
			free(ids);
			return traj_fail(err, TRAJ_EUSAGE, -1, "'%s': path too long", dir);
		}
		if (access(path, F_OK) == 0)
			continue;
		struct atomic_file a;
		if (atomic_open(&a, path, err) < 0) {
			free(ids);
			return -1;
		}
		fprintf(a.f, "#group\t%s\n", c->group);
		for (int i = 0; i < s->naxes; i++)
			fprintf(a.f, "%s%s\t%s\n", s->axes[i].name,
				s->axes[i].flag ? "!" : "", c->values[i]);
		if (ferror(a.f)) {
			atomic_abort(&a);
			free(ids);
			return traj_fail(err, TRAJ_EFAIL, -1, "cannot write '%s'", path);
		}
		if (atomic_commit(&a, err) < 0) {
			free(ids);
			return -1;
		}
	}
	int n = snprintf(ids_path, size, "%s/plan-%016llx.ids", dir,
			 (unsigned long long)hash_text(ids));
	int rc = n < 0 || (size_t)n >= size
		? traj_fail(err, TRAJ_EUSAGE, -1, "'%s': path too long", dir)
		: write_text(ids_path, ids, err);
	free(ids);
	return rc;
}

void sweep_cfg_free(struct sweep_cfg *c)
{
	for (int i = 0; i < c->n; i++) {
		free(c->names[i]);
		free(c->values[i]);
		free(c->opts[i]);
	}
	free(c->opts);
	free(c->names);
	free(c->values);
	memset(c, 0, sizeof *c);
}

int sweep_cfg_read(const char *path, struct sweep_cfg *c, struct traj_error *err)
{
	memset(c, 0, sizeof *c);
	char *text;
	size_t len;
	if (file_read_text(path, 1 << 20, &text, &len, err) < 0)
		return -1;
	int rc = 0, lineno = 0;
	for (char *save, *line = strtok_r(text, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *tab = strchr(line, '\t');
		if (!tab || tab == line || !tab[1] || strchr(tab + 1, '\t')) {
			rc = traj_fail(err, TRAJ_EDATA, -1, "'%s' line %d: not NAME<TAB>VALUE",
				       path, lineno);
			break;
		}
		*tab = '\0';
		if (strcmp(line, "#group") == 0) {
			snprintf(c->group, sizeof c->group, "%s", tab + 1);
			continue;
		}
		char **nn = realloc(c->names, (size_t)(c->n + 1) * sizeof *nn);
		if (nn)
			c->names = nn;
		char **nv = nn ? realloc(c->values, (size_t)(c->n + 1) * sizeof *nv) : NULL;
		if (nv)
			c->values = nv;
		char **no = nv ? realloc(c->opts, (size_t)(c->n + 1) * sizeof *no) : NULL;
		if (no)
			c->opts = no;
		char *name = no ? strdup(line) : NULL, *value = name ? strdup(tab + 1) : NULL;
		size_t olen = strlen(line) + 3;
		char *opt = value ? malloc(olen) : NULL;
		if (!opt) {
			free(name);
			free(value);
			rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
			break;
		}
		snprintf(opt, olen, "--%s", line);
		if (opt[olen - 2] == '!')
			opt[olen - 2] = '\0';
		c->names[c->n] = name;
		c->opts[c->n] = opt;
		c->values[c->n++] = value;
	}
	free(text);
	if (rc)
		sweep_cfg_free(c);
	return rc;
}

int sweep_cfg_argv(const struct sweep_cfg *c, char **argv)
{
	int n = 0;
	for (int i = 0; i < c->n; i++) {
		size_t len = strlen(c->names[i]);
		int flag = len && c->names[i][len - 1] == '!';
		if (flag && strcmp(c->values[i], "yes") != 0)
			continue;
		argv[n++] = c->opts[i];
		if (!flag)
			argv[n++] = c->values[i];
	}
	argv[n] = NULL;
	return n;
}
