/* Tab-separated tables with a header line (what traj sweep collect
 * writes and traj predict and traj plot --phase read): the whole table in
 * memory as strings, columns found by name, cells parsed on demand. A
 * header may start with "# "; other lines starting with '#' and blank
 * lines are skipped. */
#ifndef TRAJ_TSV_H
#define TRAJ_TSV_H

#include <stdio.h>

#include "common/error.h"

struct tsv_table {
	int ncols, nrows;
	char **names;   /* (ncols) */
	char **cells;   /* (nrows, ncols), row-major */
	char *text;     /* the buffer the strings point into */
};

/* Reads the whole of `in` (named `name` in messages). A row whose number
 * of fields differs from the header's is an error naming its line
 * (TRAJ_EDATA); so is an empty input or a repeated column name. */
int tsv_read(struct tsv_table *t, FILE *in, const char *name,
	     struct traj_error *err);
void tsv_free(struct tsv_table *t);

/* The index of column `name`, or -1. */
int tsv_col(const struct tsv_table *t, const char *name);
static inline const char *tsv_cell(const struct tsv_table *t, int row, int col)
{
	return t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
}
/* The cell as a finite number: 0, or -1 when it is not one (NA, empty,
 * text, nan, inf). */
int tsv_number(const char *cell, double *out);

#endif
