/* The subset of the ZIP format (PKWARE APPNOTE 6.3) that numpy.savez
 * writes: entries stored without compression, no ZIP64 (every size and
 * offset below 4 GiB). Enough for .npz files; compressed entries
 * (numpy.savez_compressed) are refused with a message saying so. */
#ifndef TRAJ_ZIPSTORE_H
#define TRAJ_ZIPSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

struct zip_entry_rec {
	char *name;
	uint32_t crc, size, offset;
};

struct zip_writer {
	FILE *f;
	int64_t pos;
	struct zip_entry_rec *e;
	int n, cap;
};

void zip_writer_init(struct zip_writer *z, FILE *f);
/* Appends a stored entry. Returns 0, or -1 with err set. */
int zip_add(struct zip_writer *z, const char *name, const void *data,
	    size_t len, struct traj_error *err);
/* Writes the central directory and frees the entry list. */
int zip_finish(struct zip_writer *z, struct traj_error *err);
void zip_writer_free(struct zip_writer *z);

/* Called for each entry in central-directory order, with its data
 * (CRC-32 verified) inside buf; returns 0 to go on, -1 (err set) to stop. */
typedef int (*zip_visit)(const char *name, const unsigned char *data,
			 size_t len, void *ctx, struct traj_error *err);
/* Walks the archive held in buf[0 .. len). Returns 0, or -1 with err set
 * (TRAJ_EDATA for a malformed archive, with the byte offset). */
int zip_read(const unsigned char *buf, size_t len, zip_visit visit, void *ctx,
	     struct traj_error *err);

#endif
