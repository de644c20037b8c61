/* common/statefile.h and the two state files built on it
 * (analysis/emerge_state.h here; run/score_state.h in test_score_state):
 * what is written is read back, and a flip of any bit pattern at any
 * byte, or a cut anywhere, is refused; a newer version is refused naming
 * both versions; traj-emerge's version 1 (no run identities) is still
 * read. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/emerge.h"
#include "analysis/emerge_state.h"
#include "common/statefile.h"
#include "harness.h"

static FILE *text_file(const char *text, size_t n)
{
	return n ? fmemopen((void *)text, n, "r") : fopen("/dev/null", "r");
}

/* A file of the frame: two lines of the caller's and an end line. */
static int read_frame(const char *text, size_t n, struct traj_error *err)
{
	FILE *f = text_file(text, n);
	struct statefile_reader r;
	int64_t a;
	int rc = statefile_read_begin(&r, f, "st", "test-state", 3, "tester", err);
	if (rc == 0 && (statefile_next(&r) < 0 || r.nfield != 2 ||
			strcmp(r.field[0], "a") ||
			statefile_i64(r.field[1], 0, 100, &a) < 0 || a != 42 ||
			statefile_next(&r) < 0 || r.nfield != 1 ||
			statefile_next(&r) < 0 || !statefile_at_end(&r, 3) ||
			strcmp(r.field[1], "7")))
		rc = statefile_fail(&r, "damaged", err);
	statefile_read_free(&r);
	fclose(f);
	return rc;
}

static void test_frame_roundtrip_and_damage(void)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	struct statefile_writer w;
	struct traj_error err;
	statefile_write_begin(&w, f, "test-state", 3);
	statefile_printf(&w, "a\t%d\n", 42);
	statefile_printf(&w, "b\n");
	CHECK(statefile_write_end(&w, "7", &err) == 0);
	fclose(f);
	CHECK(strncmp(text, "test-state 3\na\t42\nb\nend\t7\t", 25) == 0);
	CHECK(read_frame(text, n, &err) == 0);
	int refused = 0;
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			text[i] ^= (char)(1 << bit);
			refused += read_frame(text, n, &err) < 0;
			text[i] ^= (char)(1 << bit);
		}
		refused += read_frame(text, i, &err) < 0;
	}
	CHECK(refused == 9 * (int)n);
	/* a byte more after the end */
	char *more = malloc(n + 1);
	memcpy(more, text, n);
	more[n] = '\n';
	CHECK(read_frame(more, n + 1, &err) < 0);
	free(more);
	CHECK(read_frame("test-state 4\n", 13, &err) < 0);
	CHECK(strcmp(err.msg, "st: state format version 4 is newer than this tester's (3)") == 0);
	CHECK(read_frame("test-statex 1\n", 14, &err) < 0);
	CHECK(strcmp(err.msg, "st: line 1: not a tester state file") == 0);
	CHECK(read_frame("test-state 0\n", 13, &err) < 0);
	CHECK(read_frame("", 0, &err) < 0 && err.status == TRAJ_EDATA);
	free(text);
}

static void test_fields(void)
{
	int64_t v = 5;
	int k = 5;
	uint64_t h = 0;
	double d = 0;
	CHECK(statefile_i64("-1", -1, 10, &v) == 0 && v == -1);
	CHECK(statefile_i64("11", -1, 10, &v) < 0 && v == -1);
	CHECK(statefile_i64("", 0, 10, &v) < 0 && statefile_i64("3x", 0, 10, &v) < 0);
	CHECK(statefile_int("7", 0, 7, &k) == 0 && k == 7);
	CHECK(statefile_int("8", 0, 7, &k) < 0 && k == 7);
	CHECK(statefile_hex("00000000000000ff", &h) == 0 && h == 255);
	CHECK(statefile_hex("00000000000000FF", &h) < 0);
	CHECK(statefile_hex("0x000000000000ff", &h) < 0);
	CHECK(statefile_hex("00000000000000ff0", &h) < 0 && h == 255);
	CHECK(statefile_double("0x1.8p+1", &d) == 0 && d == 3);
	CHECK(statefile_double("1.5 ", &d) < 0 && d == 3);
}

static int quiet(const struct emerge_event *ev, void *ctx)
{
	(void)ev;
	++*(int *)ctx;
	return 0;
}

static int last_kind(const struct emerge_event *ev, void *ctx)
{
	snprintf(ctx, 16, "%s", ev->kind);
	return 0;
}

static int load_text(const struct emerge_opts *o, const char *text, size_t n,
		     struct traj_error *err)
{
	struct emerge *e = emerge_new(o);
	FILE *f = text_file(text, n);
	int rc = emerge_state_load(e, f, "st", err);
	fclose(f);
	emerge_free(e);
	return rc;
}

/* traj-emerge -c --state's options (emerge_new borrows them) */
static void cron_opts(struct emerge_opts *o)
{
	emerge_opts_init(o);
	o->changepoint = 1;
	o->skip_seen = 1;
	o->early = 1;
}

/* Drops the last field of every series line; with flag, the field left
 * last (what was announced, 0-3) becomes version 3's flag (0 or 1). */
static void drop_last_field(char *text, int flag)
{
	char *at = text;
	while ((at = strstr(at, "\nseries\t"))) {
		at++;
		char *eol = strchr(at, '\n'), *tab = eol;
		while (tab[-1] != '\t')
			tab--;
		memmove(tab - 1, eol, strlen(eol) + 1);
		if (flag && tab[-2] != '0')
			tab[-2] = '1';
	}
}

/* Drops every series' blocks of a kind ("levels" or "held": "KIND\tN"
 * and N lines). */
static void drop_blocks(char *text, const char *kind)
{
	char *at, head[16];
	snprintf(head, sizeof head, "\n%s\t", kind);
	while ((at = strstr(text, head))) {
		int n = atoi(at + strlen(head));
		char *eol = at + 1;
		for (int i = 0; i <= n; i++)
			eol = strchr(eol, '\n') + 1;
		memmove(at + 1, eol, strlen(eol) + 1);
	}
}

/* A state made into an older one: version 4 has no early changes,
 * version 3 only an announced flag where version 4 has what was announced
 * and its STEP, version 2 not even that, version 1 no run identities; the
 * checksum made right. */
static void make_older(char *text, int version)
{
	char *v = text + strlen("traj-emerge-state ");
	if (*v == '5' && version < 5) {
		drop_blocks(text, "levels");
		drop_blocks(text, "held");
	}
	if (*v >= '4' && version < 4)
		drop_last_field(text, 1);
	if (*v >= '3' && version < 3)
		drop_last_field(text, 0);
	char *ident;
	while (version < 2 && (ident = strstr(text, "ident\t"))) {
		char *eol = strchr(ident, '\n');
		memmove(ident, eol + 1, strlen(eol + 1) + 1);
	}
	*v = (char)('0' + version);
	char *end = strstr(text, "\nend\t") + 1, *tab = strchr(end + 4, '\t');
	uint64_t sum = statefile_fnv(STATEFILE_FNV_START, text, (size_t)(end - text));
	snprintf(tab, 64, "\t%016" PRIx64 "\n", sum);
}

static void test_emerge_state(void)
{
	struct emerge_opts o;
	cron_opts(&o);
	struct emerge *e = emerge_new(&o);
	struct traj_error err;
	int events = 0;
	CHECK(emerge_run_identity(e, "r1", 0x1234, NULL, NULL, &err) == 0);
	for (int i = 0; i < 40; i++) {
		struct metric_line m = {"r1", 10 * i, "test/acc", i < 20 ? 0.1 : 0.9};
		struct metric_line m2 = {"r2", 10 * i, "loss", 1.0 / (i + 1)};
		/* r3 jumps at 300: a change under way at 390, announced */
		struct metric_line m3 = {"r3", 10 * i, "test/acc", i < 30 ? 0.1 : 0.9};
		CHECK(emerge_add(e, &m, quiet, &events, &err) == 0);
		CHECK(emerge_add(e, &m2, quiet, &events, &err) == 0);
		CHECK(emerge_add(e, &m3, quiet, &events, &err) == 0);
	}
	/* r1: announced, then over; r2 (a loss as 1 / t): announced, its fall
	 * held until its 96th point (emerge.h); r3: announced */
	CHECK(events == 4);
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	CHECK(emerge_state_save(e, f, &err) == 0);
	fclose(f);
	CHECK(strstr(text, "\nident\tr1\t0000000000001234\n") != NULL);
	CHECK(strstr(text, "\nseries\tr1\ttest/acc\t1\t390\t0x1.ccccccccccccdp-1\t-\t0\t0\n"));
	/* r3's change under way was announced as rising, at step 300 */
	CHECK(strstr(text, "\nseries\tr3\ttest/acc\t1\t390\t0x1.ccccccccccccdp-1\t-\t1\t300\n"));
	/* r1's rise is taken out of its noise (a step from 190 to 200);
	 * far out of it, it is not held */
	CHECK(strstr(text, "\nlevels\t1\n200\t190\t200\t0x1.999999999999bp-1\nheld\t0\n"));
	/* r2's fall is held, announced as falling (2) at step 20, found at
	 * 310 (its points from 0 on) */
	CHECK(strstr(text, "\nheld\t1\n1\t20\t"));
	CHECK(strstr(text, "\t2\t20\t0\t310\t0\t"));
	/* read back, it is the same state: saved again, the same bytes */
	struct emerge *back = emerge_new(&o);
	f = text_file(text, n);
	CHECK(emerge_state_load(back, f, "st", &err) == 0);
	fclose(f);
	char *again = NULL;
	size_t n2 = 0;
	f = open_memstream(&again, &n2);
	CHECK(emerge_state_save(back, f, &err) == 0);
	fclose(f);
	CHECK(n2 == n && memcmp(again, text, n) == 0);
	free(again);
	/* the identity came through: the same one changes nothing, another
	 * starts r1's series afresh */
	CHECK(emerge_run_identity(back, "r1", 0x1234, quiet, &events, &err) == 0);
	CHECK(emerge_run_identity(back, "r1", 0x5678, quiet, &events, &err) == 1);
	struct metric_line m = {"r1", 0, "test/acc", 0.1};
	int before = events;
	CHECK(emerge_add(back, &m, quiet, &events, &err) == 0 && events == before);
	/* r3's change under way was announced: another stream withdraws it */
	char kind[16] = "";
	CHECK(emerge_run_identity(back, "r3", 1, last_kind, kind, &err) == 0);
	CHECK(emerge_run_identity(back, "r3", 2, last_kind, kind, &err) == 1);
	CHECK(strcmp(kind, "retract") == 0);
	emerge_free(back);
	/* every flip of one bit, every cut: refused */
	int refused = 0;
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			text[i] ^= (char)(1 << bit);
			refused += load_text(&o, text, n, &err) < 0;
			text[i] ^= (char)(1 << bit);
		}
		refused += load_text(&o, text, i, &err) < 0;
	}
	CHECK(refused == 9 * (int)n);
	/* an announcement without a change under way is damage, and so is
	 * a STEP without an announcement */
	for (int k = 0; k < 2; k++) {
		char *bad = strdup(text);
		char *r1 = strstr(bad, "\t-\t0\t0\n");
		r1[k ? 5 : 3] = k ? '7' : '1';
		char *end = strstr(bad, "\nend\t") + 1, *tab = strchr(end + 4, '\t');
		snprintf(tab, 64, "\t%016" PRIx64 "\n",
			 statefile_fnv(STATEFILE_FNV_START, bad, (size_t)(end - bad)));
		CHECK(load_text(&o, bad, strlen(bad), &err) < 0);
		free(bad);
	}
	/* versions 4 to 1 are still read. Versions 4 and 3 knew r3's
	 * change was announced: its rise confirms it (no retraction, nothing
	 * announced again); versions 2 and 1 never announced it: it is
	 * announced at its next point */
	for (int version = 4; version >= 1; version--) {
		make_older(text, version);
		struct emerge *old = emerge_new(&o);
		f = text_file(text, strlen(text));
		CHECK(emerge_state_load(old, f, "st", &err) == 0);
		fclose(f);
		int lines = 0;
		for (int i = 40; i < 60; i++) {
			struct metric_line m3 = {"r3", 10 * i, "test/acc", 0.9};
			CHECK(emerge_add(old, &m3, quiet, &lines, &err) == 0);
			if (i == 40)
				CHECK(lines == (version >= 3 ? 0 : 1));
		}
		CHECK(lines == (version >= 3 ? 1 : 2)); /* and the rise */
		emerge_free(old);
	}
	free(text);
	emerge_free(e);
}

/* A metric line's run and metric have no length limit, nor has a state
 * line: a 5000-byte run id saves, loads and saves the same bytes (the
 * writer once dropped lines over 1023 bytes, leaving a state it could
 * not read back; found by fuzz_state). */
static void test_long_names(void)
{
	struct emerge_opts o;
	cron_opts(&o);
	struct emerge *e = emerge_new(&o);
	struct traj_error err;
	int events = 0;
	char *run = malloc(5001);
	memset(run, 'r', 5000);
	run[5000] = '\0';
	for (int i = 0; i < 12; i++) {
		struct metric_line m = {run, 10 * i, "test/acc", 0.1 * i};
		CHECK(emerge_add(e, &m, quiet, &events, &err) == 0);
	}
	char *text = NULL, *again = NULL;
	size_t n = 0, n2 = 0;
	FILE *f = open_memstream(&text, &n);
	CHECK(emerge_state_save(e, f, &err) == 0);
	fclose(f);
	CHECK(strstr(text, run) != NULL);
	struct emerge *back = emerge_new(&o);
	f = text_file(text, n);
	CHECK(emerge_state_load(back, f, "st", &err) == 0);
	fclose(f);
	f = open_memstream(&again, &n2);
	CHECK(emerge_state_save(back, f, &err) == 0);
	fclose(f);
	CHECK(n2 == n && memcmp(again, text, n) == 0);
	free(again);
	free(text);
	free(run);
	emerge_free(back);
	emerge_free(e);
}

int main(void)
{
	RUN(test_frame_roundtrip_and_damage);
	RUN(test_fields);
	RUN(test_emerge_state);
	RUN(test_long_names);
	return harness_done();
}
