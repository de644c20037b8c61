/* The checkpoint stream's records as the reader checks them, on streams
 * made by hand one JSON header at a time: header fields and their types,
 * numbers JSON cannot carry exactly, duplicate keys and names, foreign
 * frames and unknown records skipped, records out of order, nesting and
 * size limits checked before anything is allocated; the header CRC-32. */
#include <zstd.h>

#include "stream_fixture.h"
#include "common/jsontext.h"
#include "format/names.h"

static void test_crc32_matches_zlib(void)
{
	/* The check value of CRC-32/ISO-HDLC, as zlib.crc32(b"123456789"). */
	CHECK(stream_crc32(0, "123456789", 9) == 0xCBF43926u);
	CHECK(stream_crc32(stream_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u);
}

/* ---- hand-made streams: one JSON header per record ---- */

static void put(FILE *f, const char *json)
{
	struct traj_error err;
	CHECK(stream_write_record(f, json, strlen(json), &err) == 0);
}

/* A tensor record for an f32 [2] tensor {1, 2}: `fmt` gets zbytes. */
static void put_tensor(FILE *f, const char *fmt)
{
	float x[2] = {1.0f, 2.0f};
	char z[128], json[512];
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	size_t zn = ZSTD_compress2(c, z, sizeof z, x, sizeof x);
	ZSTD_freeCCtx(c);
	snprintf(json, sizeof json, fmt, zn);
	put(f, json);
	fwrite(z, 1, zn, f);
}

#define RUN_REC "{\"type\":\"run\",\"version\":1}"

#define CKPT "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true}"

#define TENSOR "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2]," \
	       "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}"

#define END_CKPT "{\"type\":\"end-ckpt\",\"step\":3}"

struct crafted {
	const char *name;
	const char *ckpt;     /* the ckpt record */
	const char *tensor;   /* the tensor record format (gets zbytes) */
	const char *end;      /* the end-ckpt record */
	enum traj_status status;
	const char *text;
};

static void read_crafted(const struct crafted *c, struct seen *s)
{
	struct membuf m;
	mem_open(&m);
	put(m.f, RUN_REC);
	put(m.f, c->ckpt);
	if (c->tensor)
		put_tensor(m.f, c->tensor);
	put(m.f, c->end);
	mem_close(&m);
	read_buf(m.buf, m.len, s);
	free(m.buf);
}

static void test_header_validation(void)
{
	static const struct crafted v[] = {
		{"valid", CKPT, TENSOR, END_CKPT, TRAJ_OK, ""},
		{"extra fields ignored",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":[{}]}",
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"future\":1,\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 "{\"type\":\"end-ckpt\",\"step\":3,\"y\":null}", TRAJ_OK, ""},
		{"missing step", "{\"type\":\"ckpt\",\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "missing field 'step'"},
		{"keys are case-sensitive",
		 "{\"type\":\"ckpt\",\"Step\":3,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "missing field 'step'"},
		{"step not integer",
		 "{\"type\":\"ckpt\",\"step\":1.5,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'step' must be an integer"},
		{"step beyond 2^53",
		 "{\"type\":\"ckpt\",\"step\":9007199254740993e3,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'step' must be an integer"},
		{"step overflows to inf",
		 "{\"type\":\"ckpt\",\"step\":1e999,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "number out of the range of a double"},
		{"negative step",
		 "{\"type\":\"ckpt\",\"step\":-1,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'step'"},
		{"step as string",
		 "{\"type\":\"ckpt\",\"step\":\"3\",\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'step' must be a number"},
		{"key not bool", "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":1}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'key' must be true or false"},
		{"metric not number",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":\"b\"}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "metric 'a'"},
		{"nested duplicate key",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":1,\"a\":2}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "duplicate key 'a'"},
		{"too many tensors",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":65537,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'tensors'"},
		{"fewer tensors than announced",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":2,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "has 1 tensors, 2 announced"},
		{"more tensors than announced",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":0,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "more than the 0 tensors"},
		{"end-ckpt of another step", CKPT, TENSOR,
		 "{\"type\":\"end-ckpt\",\"step\":4}", TRAJ_EDATA,
		 "step 4 closes the checkpoint at step 3"},
		{"unknown dtype", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f8\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'dtype': unknown dtype 'f8'"},
		{"unknown encoding", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"lz4\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'encoding': unknown encoding 'lz4'"},
		{"invalid name", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"a b\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'name'"},
		{"bytes disagree with shape", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[3],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'bytes' is 8, shape and dtype give 12"},
		{"rank too high", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[1,1,1,1,1,1,1,1,2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "rank 9 exceeds 8"},
		{"negative dimension", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[-2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "dimension 0 must be an integer >= 0"},
		{"shape product overflows", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\","
		 "\"shape\":[4294967296,4294967296,4294967296],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "exceeds the limit"},
		{"2 GiB tensor", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"u8\",\"shape\":[2147483648],"
		 "\"encoding\":\"raw\",\"bytes\":2147483648,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "exceeds the limit of 1073741824 bytes"},
		{"zbytes beyond the bound", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":100000,\"n\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'zbytes'"},
		{"zbytes too small", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":10,\"n\":%zu}",
		 END_CKPT, TRAJ_EDATA, "tensor 'w'"},
		{"xor in a key checkpoint", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"xor\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "key checkpoint uses encoding 'xor'"},
		{"integer 2^53 is exact: accepted",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":9007199254740992}}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"an exponent that makes an integer: accepted",
		 "{\"type\":\"ckpt\",\"step\":0.3e1,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"2^53+1 would round: refused",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":9007199254740993}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "integer beyond 2^53"},
		{"-(2^53+1) refused",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":[-9007199254740993]}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "integer beyond 2^53"},
		{"1e400 in a metric refused",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":1e400}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "out of the range of a double"},
		{"-1e400 in an unknown field refused",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":-1e400}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "out of the range of a double"},
		{"numbers inside strings are text",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"1e400 \\\" 9007199254740993\"}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"metric name with a tab",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\\tb\":1}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "metric name"},
		{"empty metric name",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"\":1}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "metric name"},
		{"'Type' is not 'type'",
		 "{\"Type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'type' missing"},
		{"duplicate top-level key",
		 "{\"type\":\"ckpt\",\"step\":3,\"step\":4,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "duplicate key 'step'"},
		{"duplicate key, differing in case only, is two keys",
		 "{\"type\":\"ckpt\",\"step\":3,\"STEP\":4,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"control character in a tensor name", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\\u0001\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'name'"},
		{"dtype case matters", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"F32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "unknown dtype 'F32'"},
		{"a path as encoding is only an unknown name", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"/etc/passwd\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "unknown encoding '/etc/passwd'"},
		{"\\u0000 in a dtype: \"f32\\u0000\" is not f32", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\\u0000\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "\\u0000 (NUL) in a string"},
		{"\\u0000 in a name", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\\u0000x\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "\\u0000 (NUL) in a string"},
		{"\\u0000 in a key", "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\\u0000\":1}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "\\u0000 (NUL) in a string"},
		{"\\u0001 is a character, kept", "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"\\u0001\"}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"invalid UTF-8 in an unknown field",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"\xff\"}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "invalid UTF-8"},
		{"overlong UTF-8 (C0 AF for '/')",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"\xc0\xaf\"}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "invalid UTF-8"},
		{"a UTF-16 surrogate in UTF-8 (ED A0 80)",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"\xed\xa0\x80\"}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "invalid UTF-8"},
		{"UTF-8 past U+10FFFF (F4 90 80 80)",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"\xf4\x90\x80\x80\"}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "invalid UTF-8"},
		{"UTF-8 cut short (E2 82)",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"\xe2\x82\"}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "invalid UTF-8"},
		{"valid UTF-8 is text (U+00E9, U+20AC, U+1F600)",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"a raw control byte in a string",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"a\tb\"}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "control byte in a string"},
		{"a byte over 0x7f outside a string",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true}\xc3\xa9",
		 TENSOR, END_CKPT, TRAJ_EDATA, "invalid UTF-8 outside a string"},
		{"trailing garbage", "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true} x",
		 TENSOR, END_CKPT, TRAJ_EDATA, "invalid JSON header"},
		{"not an object", "[1,2]", TENSOR, END_CKPT, TRAJ_EDATA,
		 "header is not a JSON object"},
		{"duplicate tensor names",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":2,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "has 1 tensors"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct seen s;
		read_crafted(&v[i], &s);
		int ok = v[i].status == TRAJ_OK ?
			 s.rc == TRAJ_REC_EOF && s.nckpt == 1 :
			 s.rc == -1 && s.err.status == v[i].status &&
			 strstr(s.err.msg, v[i].text) && s.err.offset > 0;
		if (!ok)
			printf("#   %s: rc %d: %s\n", v[i].name, s.rc, s.err.msg);
		CHECK(ok);
		seen_free(&s);
	}
}

static void test_duplicate_tensor_names(void)
{
	struct membuf m;
	struct seen s;
	mem_open(&m);
	put(m.f, RUN_REC);
	put(m.f, "{\"type\":\"ckpt\",\"step\":3,\"tensors\":2,\"key\":true}");
	put_tensor(m.f, TENSOR);
	put_tensor(m.f, TENSOR);
	put(m.f, END_CKPT);
	mem_close(&m);
	read_buf(m.buf, m.len, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA);
	CHECK(has(&s.err, "duplicate tensor name 'w'"));
	seen_free(&s);
	free(m.buf);
}

static void test_foreign_frames_and_records_skipped(void)
{
	struct membuf m;
	struct seen s;
	mem_open(&m);
	put(m.f, RUN_REC);
	/* Another tool's skippable frame, and one of ours without the tag. */
	fwrite("\x50\x2a\x4d\x18\x03\x00\x00\x00" "abc", 1, 11, m.f);
	fwrite("\x5a\x2a\x4d\x18\x05\x00\x00\x00TRJ2x", 1, 13, m.f);
	put(m.f, "{\"type\":\"note\",\"text\":\"from the future\"}");
	put(m.f, CKPT);
	put_tensor(m.f, TENSOR);
	put(m.f, END_CKPT);
	put(m.f, "{\"type\":\"end\"}");
	mem_close(&m);
	read_buf(m.buf, m.len, &s);
	CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 1 && s.nend == 1);
	seen_free(&s);
	free(m.buf);
}

static void test_structure_errors(void)
{
	static const struct {
		const char *records[4];
		const char *text;
	} v[] = {
		{{"{\"type\":\"ckpt\",\"step\":0,\"tensors\":0,\"key\":true}"},
		 "not a traj stream"},
		{{"{\"type\":\"run\"}"}, "missing field 'version'"},
		{{RUN_REC, "{\"type\":\"end\"}", END_CKPT}, "record after the end of the run"},
		{{RUN_REC, END_CKPT}, "outside a checkpoint"},
		{{RUN_REC, "{\"type\":\"ckpt\",\"step\":0,\"tensors\":0,\"key\":true}", RUN_REC},
		 "checkpoint at step 0 (record at byte 42) not ended"},
		{{RUN_REC, "{\"type\":3}"}, "field 'type' missing or not a string"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct membuf m;
		struct seen s;
		mem_open(&m);
		for (int k = 0; k < 4 && v[i].records[k]; k++)
			put(m.f, v[i].records[k]);
		mem_close(&m);
		read_buf(m.buf, m.len, &s);
		CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA);
		CHECK(has(&s.err, v[i].text));
		seen_free(&s);
		free(m.buf);
	}
	struct seen s;
	read_buf("\x28\xb5\x2f\xfd\0\0\0\0\0\0", 10, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA && s.err.offset == 0);
	CHECK(has(&s.err, "not a traj stream"));
	seen_free(&s);
}

/* The run id becomes a metric line's first field and part of file names:
 * the reader refuses one that could forge a line or climb a directory. */
static void test_run_ids_checked(void)
{
	static const struct {
		const char *run;
		int ok;
	} v[] = {
		{"{\"type\":\"run\",\"version\":1,\"run\":\"modadd-p97_s1.a+b\"}", 1},
		{"{\"type\":\"run\",\"version\":1,\"id\":\"a\\tb\"}", 1},
		{"{\"type\":\"run\",\"version\":1,\"run\":\"r\\t50\\ttest/acc\\t0.99\\n\"}", 0},
		{"{\"type\":\"run\",\"version\":1,\"run\":\"a b\"}", 0},
		{"{\"type\":\"run\",\"version\":1,\"run\":\"\"}", 0},
		{"{\"type\":\"run\",\"version\":1,\"run\":\"..\"}", 0},
		{"{\"type\":\"run\",\"version\":1,\"run\":\"../x\"}", 0},
		{"{\"type\":\"run\",\"version\":1,\"run\":7}", 0},
		{"{\"type\":\"run\",\"version\":1,\"run\":\"\\u00e9\"}", 0},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct membuf m;
		struct seen s;
		mem_open(&m);
		put(m.f, v[i].run);
		put(m.f, CKPT);
		put_tensor(m.f, TENSOR);
		put(m.f, END_CKPT);
		mem_close(&m);
		read_buf(m.buf, m.len, &s);
		if (v[i].ok) {
			CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 1);
		} else {
			CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA &&
			      s.err.offset == 0 && s.nckpt == 0);
			CHECK(has(&s.err, "field 'run': not a run id"));
			CHECK(!strchr(s.err.msg, '\t') && !strchr(s.err.msg, '\n'));
		}
		seen_free(&s);
		free(m.buf);
	}
	char id[STREAM_RUN_ID_MAX + 1];
	memset(id, 'a', sizeof id);
	id[STREAM_RUN_ID_MAX - 1] = '\0';
	CHECK(stream_run_id_valid(id));
	id[STREAM_RUN_ID_MAX - 1] = 'a';
	id[STREAM_RUN_ID_MAX] = '\0';
	CHECK(!stream_run_id_valid(id));
	CHECK(!stream_run_id_valid(".") && stream_run_id_valid("..."));
}

static void test_limits_before_allocation(void)
{
	/* A record frame claiming a 2 GiB header, and nothing after it: the
	 * limit is reported (EDATA), not the missing bytes (ETRUNC). */
	struct seen s;
	read_buf("\x5a\x2a\x4d\x18\x00\x00\x00\x80TRJ1", 12, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA);
	CHECK(has(&s.err, "exceeds the limit"));
	seen_free(&s);
	/* Caller-set limits. */
	struct membuf m;
	mem_open(&m);
	put(m.f, RUN_REC);
	put(m.f, CKPT);
	put_tensor(m.f, TENSOR);
	put(m.f, END_CKPT);
	mem_close(&m);
	struct traj_read_limits lim;
	stream_read_limits_default(&lim);
	CHECK(lim.max_header == 1u << 20 && lim.max_tensor == 1 << 30 &&
	      lim.max_tensors == 65536);
	lim.max_tensor = 7;
	FILE *f = reader_file(m.buf, m.len);
	read_all(f, &lim, &s);
	fclose(f);
	CHECK(s.rc == -1 && has(&s.err, "exceeds the limit of 7 bytes"));
	seen_free(&s);
	stream_read_limits_default(&lim);
	lim.max_header = 40;
	f = reader_file(m.buf, m.len);
	read_all(f, &lim, &s);
	fclose(f);
	CHECK(s.rc == -1 && has(&s.err, "exceeds the limit of 40"));
	seen_free(&s);
	free(m.buf);
}

/* The header object counts as one level. */
#define JSON_NESTING_OK (JSON_MAX_DEPTH - 1)

/* A ckpt record with an unknown field nested `depth` arrays deep. */
static int read_nested(int depth, struct seen *s)
{
	char json[512];
	int n = snprintf(json, sizeof json,
			 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":");
	for (int i = 0; i < depth; i++)
		json[n++] = '[';
	for (int i = 0; i < depth; i++)
		json[n++] = ']';
	json[n++] = '}';
	json[n] = '\0';
	struct crafted c = {"nested", json, TENSOR, END_CKPT, TRAJ_OK, ""};
	read_crafted(&c, s);
	return s->rc;
}

static void test_json_nesting_limited(void)
{
	struct seen s;
	CHECK(read_nested(JSON_NESTING_OK, &s) == TRAJ_REC_EOF && s.nckpt == 1);
	seen_free(&s);
	CHECK(read_nested(JSON_NESTING_OK + 1, &s) == -1 &&
	      s.err.status == TRAJ_EDATA && has(&s.err, "nested too deeply"));
	seen_free(&s);
}

int main(void)
{
	RUN(test_crc32_matches_zlib);
	RUN(test_header_validation);
	RUN(test_duplicate_tensor_names);
	RUN(test_foreign_frames_and_records_skipped);
	RUN(test_structure_errors);
	RUN(test_run_ids_checked);
	RUN(test_limits_before_allocation);
	RUN(test_json_nesting_limited);
	return harness_done();
}
