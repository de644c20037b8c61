/* The engine of traj-convert: one checkpoint of a stream to NumPy's .npy
 * files (a directory), .npz or safetensors, and such files back to the
 * tensors of one checkpoint. Every file written is atomic
 * (common/atomicfile.h); an npy export also writes DIR/run.json, and a
 * safetensors export carries the run header in its metadata (traj_run),
 * so that an import needs no run header of its own. */
#ifndef TRAJ_FORMAT_CONVERT_H
#define TRAJ_FORMAT_CONVERT_H

#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "common/error.h"
#include "common/tensor.h"
#include "format/stream.h"

enum convert_format { CONVERT_NONE, CONVERT_NPY, CONVERT_NPZ, CONVERT_SAFETENSORS };

/* "npy", "npz", "safetensors"; -1 for another name. */
int convert_format_from_name(const char *name, enum convert_format *out);

/* A set of tensors that it owns: the checkpoint chosen for an export, or
 * what an import read (in name order for an npy directory). */
struct convert_set {
	int64_t step;
	int n, cap;
	struct traj_tensor *t;
};

void convert_set_free(struct convert_set *s);

/* Which checkpoint and which tensors an export takes. */
struct convert_pick {
	int64_t step;               /* -1: the last (or the first, below) */
	int first;
	char *const *globs;         /* none: all but the optimiser's optim/... */
	int nglobs;
};

/* Reads `r` (named `name` in messages) up to the checkpoint `p` picks and
 * copies its tensors into `k`; returns a copy of its run record, or NULL
 * with err set (TRAJ_EDATA: no such checkpoint, no tensor selected). */
cJSON *convert_choose(struct traj_reader *r, const char *name,
		      const struct convert_pick *p, struct convert_set *k,
		      struct traj_error *err);

/* DIR/run.json and DIR/NAME.npy per tensor (a name with '/' makes
 * subdirectories). Returns 0, or -1 with err naming the file. */
int convert_export_npy(const char *dir, const struct convert_set *k,
		       const cJSON *run, struct traj_error *err);
/* One .npz (numpy.savez's layout, stored entries) or safetensors file on
 * `out`; `creator` goes into safetensors' metadata. */
int convert_export_npz(FILE *out, const struct convert_set *k,
		       struct traj_error *err);
int convert_export_safetensors(FILE *out, const struct convert_set *k,
			       const cJSON *run, const char *creator,
			       struct traj_error *err);

/* Reads `path` in `fmt` (for npy a directory of NAME.npy files, or one
 * .npy file named after it) into `l`. Returns 0, or -1 with err set
 * naming the file. */
int convert_import(enum convert_format fmt, const char *path,
		   struct convert_set *l, struct traj_error *err);
/* The run header for an import: the JSON object in `run_path`, else what
 * `path` carries (DIR/run.json, a safetensors traj_run). NULL with err
 * set; TRAJ_EUSAGE when there is none. The writer's own fields (type,
 * version) are removed. */
cJSON *convert_import_run(enum convert_format fmt, const char *path,
			  const char *run_path, struct traj_error *err);

#endif
