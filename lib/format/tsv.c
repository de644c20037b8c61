/* Tab-separated tables with a header line. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/tsv.h"

#define TSV_LIMIT ((size_t)1 << 30)

void tsv_free(struct tsv_table *t)
{
	free(t->names);
	free(t->cells);
	free(t->text);
	memset(t, 0, sizeof *t);
}

/* Splits `line` in place at tabs into at most max fields; returns the
 * count (max + 1 when there are more). */
static int split(char *line, char **fields, int max)
{
	int n = 0;
	for (char *p = line;; n++) {
		char *tab = strchr(p, '\t');
		if (n < max)
			fields[n] = p;
		if (!tab)
			return n + 1 > max ? max + 1 : n + 1;
		*tab = '\0';
		p = tab + 1;
		if (n >= max)
			return max + 1;
	}
}

int tsv_read(struct tsv_table *t, FILE *in, const char *name,
	     struct traj_error *err)
{
	memset(t, 0, sizeof *t);
	size_t cap = 1 << 16, len = 0, got;
	t->text = malloc(cap + 1);
	if (!t->text)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	while ((got = fread(t->text + len, 1, cap - len, in)) > 0) {
		len += got;
		if (len == cap) {
			char *p = cap < TSV_LIMIT ? realloc(t->text, 2 * cap + 1) : NULL;
			if (!p) {
				tsv_free(t);
				return traj_fail(err, cap < TSV_LIMIT ? TRAJ_ENOMEM : TRAJ_EDATA,
						 -1, "%s: too large", name);
			}
			t->text = p;
			cap *= 2;
		}
	}
	if (ferror(in)) {
		tsv_free(t);
		return traj_fail(err, TRAJ_EFAIL, -1, "%s: read error", name);
	}
	t->text[len] = '\0';
	size_t rowcap = 0;
	int lineno = 0;
	char *save, *line;
	for (line = strtok_r(t->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (!t->names) {
			if (line[0] == '#' && line[1] == ' ')
				line += 2;
			else if (line[0] == '#' || !line[0])
				continue;
			int n = 1;
			for (char *p = line; *p; p++)
				n += *p == '\t';
			t->names = malloc((size_t)n * sizeof *t->names);
			if (!t->names)
				goto nomem;
			t->ncols = split(line, t->names, n);
			for (int i = 0; i < n; i++)
				for (int j = 0; j < i; j++)
					if (strcmp(t->names[i], t->names[j]) == 0) {
						traj_fail(err, TRAJ_EDATA, -1,
							  "%s: line %d: column '%s' twice",
							  name, lineno, t->names[i]);
						tsv_free(t);
						return -1;
					}
			continue;
		}
		if (line[0] == '#' || !line[0])
			continue;
		if ((size_t)t->nrows == rowcap) {
			rowcap = rowcap ? 2 * rowcap : 64;
			char **c = realloc(t->cells, rowcap * (size_t)t->ncols * sizeof *c);
			if (!c)
				goto nomem;
			t->cells = c;
		}
		char **row = t->cells + (size_t)t->nrows * (size_t)t->ncols;
		int n = split(line, row, t->ncols);
		if (n != t->ncols) {
			traj_fail(err, TRAJ_EDATA, -1, "%s: line %d: %s%d fields, the header has %d",
				  name, lineno, n > t->ncols ? "more than " : "",
				  n > t->ncols ? t->ncols : n, t->ncols);
			tsv_free(t);
			return -1;
		}
		t->nrows++;
	}
	if (!t->names) {
		tsv_free(t);
		return traj_fail(err, TRAJ_EDATA, -1, "%s: empty (no header line)", name);
	}
	return 0;
nomem:
	tsv_free(t);
	return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
}

int tsv_col(const struct tsv_table *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->names[i], name) == 0)
			return i;
	return -1;
}

int tsv_number(const char *cell, double *out)
{
	char *end;
	if (!cell[0] || (cell[0] != '-' && cell[0] != '+' && cell[0] != '.' &&
			 (cell[0] < '0' || cell[0] > '9')))
		return -1;
	errno = 0;
	double v = strtod(cell, &end);
	if (*end || !isfinite(v) || (errno == ERANGE && fabs(v) > 1))
		return -1;
	*out = v;
	return 0;
}
