/* The name rules (format/names.h): run ids by formats/run-header.md, and
 * tensor names that may become relative paths without leaving their
 * directory. */
#include <string.h>

#include "format/names.h"
#include "harness.h"

static void test_run_id(void)
{
	char longest[64], too_long[65];
	memset(longest, 'a', 63);
	longest[63] = 0;
	memset(too_long, 'a', 64);
	too_long[64] = 0;
	CHECK(stream_run_id_valid("p97-s1"));
	CHECK(stream_run_id_valid("a.b_c+d-E9"));
	CHECK(stream_run_id_valid(longest));
	CHECK(!stream_run_id_valid(too_long));
	CHECK(!stream_run_id_valid(""));
	CHECK(!stream_run_id_valid("../../x/escaped"));
	CHECK(!stream_run_id_valid("a/b"));
	CHECK(!stream_run_id_valid("a\tb"));
	CHECK(!stream_run_id_valid("a\nb"));
	CHECK(!stream_run_id_valid("a b"));
	CHECK(!stream_run_id_valid("\xc3\xa9"));
}

static void test_name_path(void)
{
	CHECK(stream_name_path_valid("embed.W_E"));
	CHECK(stream_name_path_valid("blocks.0.attn.W_Q"));
	CHECK(stream_name_path_valid("optim/m/layers.0.W"));
	CHECK(stream_name_path_valid("..a/b..c/.d"));
	CHECK(!stream_name_path_valid("../x/evil"));
	CHECK(!stream_name_path_valid("a/../../x/evil"));
	CHECK(!stream_name_path_valid("a/.."));
	CHECK(!stream_name_path_valid(".."));
	CHECK(!stream_name_path_valid("./a"));
	CHECK(!stream_name_path_valid("a/./b"));
	CHECK(!stream_name_path_valid("/tmp/evil"));
	CHECK(!stream_name_path_valid("a//b"));
	CHECK(!stream_name_path_valid("a/"));
	CHECK(!stream_name_path_valid(""));
	CHECK(!stream_name_path_valid("a b"));
	CHECK(!stream_name_path_valid("a\x01"));
}

int main(void)
{
	RUN(test_run_id);
	RUN(test_name_path);
	return harness_done();
}
