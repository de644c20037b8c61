/* The frame of a versioned, checksummed text state file
 * (formats/state.md), shared by traj-score's and traj-emerge's --state:
 * a first line "MAGIC VERSION", lines of tab-separated fields, and a last
 * line "end[<TAB>FIELD...]<TAB>CHECKSUM", the FNV-1a 64 hash of every byte
 * before that line. A reader refuses another kind of file, a newer
 * version, a bad checksum, a line cut short and anything after the end,
 * so a damaged state is noticed, never half used. What the lines between
 * mean is the caller's. */
#ifndef TRAJ_STATEFILE_H
#define TRAJ_STATEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

#define STATEFILE_FNV_START 1469598103934665603ULL
#define STATEFILE_FIELDS_MAX 24

/* FNV-1a 64 of n bytes, going on from h (STATEFILE_FNV_START to begin). */
uint64_t statefile_fnv(uint64_t h, const void *p, size_t n);

struct statefile_writer {
	FILE *f;
	uint64_t sum; /* of everything written so far */
	int failed;   /* a line could not be formatted (out of memory) */
};

/* Writes the first line, "MAGIC VERSION". */
void statefile_write_begin(struct statefile_writer *w, FILE *f,
			   const char *magic, int version);
/* Writes text (a line, or part of one, of any length) and adds it to the
 * checksum; on failure the writer remembers it, and statefile_write_end
 * fails. */
__attribute__((format(printf, 2, 3)))
void statefile_printf(struct statefile_writer *w, const char *fmt, ...);
/* Writes the last line, "end<TAB>" `fields` (NULL: none; else without a
 * trailing tab) and the checksum, and flushes. Returns 0, or -1 with err
 * set: TRAJ_EFAIL on a write error, TRAJ_ENOMEM when a line could not
 * be formatted. */
int statefile_write_end(struct statefile_writer *w, const char *fields,
			struct traj_error *err);

struct statefile_reader {
	FILE *f;
	const char *name;   /* for messages */
	char *line;         /* the current line, split at its tabs */
	size_t cap;
	long lineno;        /* of the current line (or of the one missing) */
	uint64_t sum;       /* of every line before the current one */
	uint64_t sum_next;  /* ... and of the current one */
	char *field[STATEFILE_FIELDS_MAX];
	int nfield;
	int version;        /* from the first line */
};

/* Reads the first line of f. Returns 0 with r->version (1 to `version`),
 * or -1 with err set (TRAJ_EDATA): "NAME: line 1: not a TOOL state file",
 * or "NAME: state format version V is newer than this TOOL's (VERSION)".
 * Free r with statefile_read_free in either case. */
int statefile_read_begin(struct statefile_reader *r, FILE *f, const char *name,
			 const char *magic, int version, const char *tool,
			 struct traj_error *err);
/* Reads the next line into r->field (at most STATEFILE_FIELDS_MAX; the
 * last holds the rest of the line). Returns 0, or -1 at the end of the
 * file or on a last line without its newline (a cut). */
int statefile_next(struct statefile_reader *r);
/* Whether the current line is the last: "end", then nfield - 2 fields of
 * the caller's, then the checksum of every line before it; and nothing
 * after it in the file. 1 if so, 0 if not. */
int statefile_at_end(struct statefile_reader *r, int nfield);
/* Sets err to "NAME: line N: WHY" (TRAJ_EDATA) and returns -1. */
int statefile_fail(const struct statefile_reader *r, const char *why,
		   struct traj_error *err);
void statefile_read_free(struct statefile_reader *r);

/* Fields: a decimal integer within [lo, hi]; 16 lower-case
 * hexadecimal digits; a number as strtod reads it (%a included). Each
 * returns 0, or -1 when t is not one (v untouched). */
int statefile_i64(const char *t, int64_t lo, int64_t hi, int64_t *v);
int statefile_int(const char *t, int lo, int hi, int *v);
int statefile_hex(const char *t, uint64_t *v);
int statefile_double(const char *t, double *v);

#endif
