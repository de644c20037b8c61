/* libFuzzer target: the --state files of traj-score and traj-emerge
 * (lib/run/score_state.c, lib/analysis/emerge_state.c, their frame
 * lib/common/statefile.c). The first byte picks the reader; the rest is
 * the file. A mutated file almost never keeps its checksum, which would
 * leave everything behind the frame unfuzzed, so the checksum of a last
 * line "end...<TAB>HEX" is set right before reading; the frame's own
 * refusal of a bad checksum is fuzzed by the inputs without such a line.
 * A state that loads must save, load again and save the same bytes. The
 * emerge options are those of the seeds (fuzz/seeds/state):
 * traj-emerge -c -w 'test/acc>=0.9' --state (which implies --early);
 * emerge-announced (version 3) and emerge-announced-v4 have changes under
 * way announced; emerge-held-v5 a change held back (announced) and the
 * detector's levels. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/emerge.h"
#include "analysis/emerge_state.h"
#include "common/statefile.h"
#include "run/score_state.h"

/* Sets the 16 hexadecimal digits that end the last line, when it is an
 * "end" line, to the checksum of everything before that line. */
static void fix_checksum(char *buf, size_t n)
{
	if (n < 2 || buf[n - 1] != '\n')
		return;
	size_t start = n - 1;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	size_t len = n - 1 - start;
	if (len < 4 + 16 || strncmp(buf + start, "end", 3) != 0 ||
	    buf[n - 18] != '\t')
		return;
	uint64_t sum = statefile_fnv(STATEFILE_FNV_START, buf, start);
	char hex[17];
	snprintf(hex, sizeof hex, "%016" PRIx64, sum);
	memcpy(buf + n - 17, hex, 16);
}

/* Saves with `save` into a new memory buffer; NULL on failure. */
static char *saved(int (*save)(const void *, FILE *, struct traj_error *),
		   const void *obj, size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);
	if (!f)
		return NULL;
	struct traj_error err = {0};
	int rc = save(obj, f, &err);
	if (fclose(f) != 0 || rc < 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int save_score(const void *st, FILE *f, struct traj_error *err)
{
	return scorestate_save(st, f, err);
}

static int save_emerge(const void *e, FILE *f, struct traj_error *err)
{
	return emerge_state_save(e, f, err);
}

static void check_score(char *buf, size_t n)
{
	FILE *f = fmemopen(buf, n, "r");
	if (!f)
		return;
	struct score_state st;
	struct traj_error err = {0};
	scorestate_init(&st);
	int rc = scorestate_load(&st, f, "fuzz", &err);
	fclose(f);
	if (rc < 0)
		return;
	size_t len, len2;
	char *once = saved(save_score, &st, &len);
	if (!once)
		return;
	f = fmemopen(once, len, "r");
	struct score_state again;
	scorestate_init(&again);
	if (!f || scorestate_load(&again, f, "fuzz", &err) < 0)
		abort(); /* a state it wrote, it must read */
	fclose(f);
	char *twice = saved(save_score, &again, &len2);
	if (!twice || len2 != len || memcmp(once, twice, len) != 0)
		abort();
	free(once);
	free(twice);
}

/* emerge_new borrows its options: they live as long as the target. */
static struct emerge *new_emerge(const struct emerge_when *w)
{
	static struct emerge_opts o;
	emerge_opts_init(&o);
	o.changepoint = 1;
	o.when = w;
	o.nwhen = 1;
	o.skip_seen = 1;
	o.early = 1;
	return emerge_new(&o);
}

static void check_emerge(char *buf, size_t n)
{
	static struct emerge_when w;
	static int parsed;
	struct traj_error err = {0};
	if (!parsed) {
		if (emerge_when_parse("test/acc>=0.9", &w, &err) < 0)
			abort();
		parsed = 1;
	}
	FILE *f = fmemopen(buf, n, "r");
	struct emerge *e = new_emerge(&w);
	if (!f || !e) {
		if (f)
			fclose(f);
		emerge_free(e);
		return;
	}
	int rc = emerge_state_load(e, f, "fuzz", &err);
	fclose(f);
	size_t len, len2;
	char *once = rc == 0 ? saved(save_emerge, e, &len) : NULL;
	emerge_free(e);
	if (!once)
		return;
	f = fmemopen(once, len, "r");
	e = new_emerge(&w);
	if (!f || !e || emerge_state_load(e, f, "fuzz", &err) < 0)
		abort(); /* a state it wrote, it must read */
	fclose(f);
	char *twice = saved(save_emerge, e, &len2);
	if (!twice || len2 != len || memcmp(once, twice, len) != 0)
		abort();
	emerge_free(e);
	free(once);
	free(twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = size - 1;
	char *buf = malloc(n + 1); /* fmemopen wants at least one byte */
	if (!buf)
		return 0;
	memcpy(buf, data + 1, n);
	buf[n] = '\0';
	fix_checksum(buf, n);
	if (n > 0) {
		if (data[0] & 1)
			check_emerge(buf, n);
		else
			check_score(buf, n);
	}
	free(buf);
	return 0;
}
