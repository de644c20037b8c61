/* The subset of the ZIP format (PKWARE APPNOTE 6.3) that numpy.savez
 * writes: entries stored without compression, with ZIP64 (the end
 * records of an archive of more than 65,535 entries, the extra field of
 * sizes and offsets past 4 GiB, the local headers of numpy.savez).
 * Compressed (numpy.savez_compressed), encrypted and multi-disk archives
 * are refused with a message saying so, and so is everything that two
 * readers could read differently: bytes after the end record, a central
 * directory longer or shorter than its count, a local header that names
 * another entry or disagrees on CRC-32 or sizes, a NUL in a name.
 * The writer writes ZIP64 end records past 65,535 entries; entries and
 * archives past 4 GiB are refused. */
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
/* Walks the archive held in buf[0 .. len): every entry the central
 * directory holds, or none. Returns 0, or -1 with err set (TRAJ_EDATA for
 * a malformed archive, with the byte offset). */
int zip_read(const unsigned char *buf, size_t len, zip_visit visit, void *ctx,
	     struct traj_error *err);

#endif
