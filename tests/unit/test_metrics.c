/* Metric lines, the checkpoint schedule and strict JSON accessors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "common/jsonutil.h"
#include "format/metrics.h"
#include "run/runmeta.h"
#include "run/schedule.h"

static void test_print_round_trips_a_float(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	float x = 0.1f + 1e-8f;
	metric_print(f, "r1", 42, "test/acc", x);
	fclose(f);
	CHECK(strcmp(buf, "r1\t42\ttest/acc\t0.100000009\n") == 0);
	struct metric_line m;
	const char *why;
	CHECK(metric_parse(buf, &m, &why) == 1);
	CHECK((float)m.value == x);
	CHECK(m.step == 42 && strcmp(m.metric, "test/acc") == 0);
	free(buf);
}

/* formats/metric-lines.md: `nan`, `inf`, `-inf`; never printf's "-nan". */
static void test_print_non_finite_as_the_spec_says(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	double neg_nan = copysign(NAN, -1.0), pos_nan = copysign(NAN, 1.0);
	CHECK(signbit(neg_nan) != 0);
	CHECK(metric_print(f, "r", 1, "m", neg_nan) == 0);
	CHECK(metric_print(f, "r", 1, "m", pos_nan) == 0);
	CHECK(metric_print(f, "r", 1, "m", INFINITY) == 0);
	CHECK(metric_print(f, "r", 1, "m", -INFINITY) == 0);
	CHECK(metric_print(f, "r", 1, "m", -0.0) == 0);
	fclose(f);
	CHECK(strcmp(buf, "r\t1\tm\tnan\nr\t1\tm\tnan\nr\t1\tm\tinf\n"
			  "r\t1\tm\t-inf\nr\t1\tm\t-0\n") == 0);
	free(buf);
}

static void test_parse_rejects_malformed_lines(void)
{
	struct metric_line m;
	const char *why;
	char comment[] = "# run\tstep\tmetric\tvalue\n", blank[] = "\n";
	char three[] = "r\t1\tm\n", five[] = "r\t1\tm\t2\t3\n";
	char step[] = "r\t-1\tm\t2\n", value[] = "r\t1\tm\tabc\n";
	char nan_ok[] = "r\t1\tm\tnan\n";
	char ctl_run[] = "r\x1b[2J\t1\tm\t2\n", space[] = "r\t1\ttest acc\t2\n";
	char cr_metric[] = "r\t1\tm\rx\t2\n", empty[] = "\t1\tm\t2\n";
	CHECK(metric_parse(ctl_run, &m, &why) == -1);
	CHECK(metric_parse(space, &m, &why) == -1);
	CHECK(metric_parse(cr_metric, &m, &why) == -1);
	CHECK(metric_parse(empty, &m, &why) == -1);
	CHECK(metric_parse(comment, &m, &why) == 0);
	CHECK(metric_parse(blank, &m, &why) == 0);
	CHECK(metric_parse(three, &m, &why) == -1);
	CHECK(metric_parse(five, &m, &why) == -1);
	CHECK(metric_parse(step, &m, &why) == -1);
	CHECK(metric_parse(value, &m, &why) == -1);
	CHECK(metric_parse(nan_ok, &m, &why) == 1 && isnan(m.value));
	/* strtod would read these as 16, inf, 0.5, inf, nan */
	const char *bad[] = {"0x10", "1e400", "-1e400", " 0.5", "0.5 ", "infinity",
			     "NaN", "-nan", "1e", ".", "", "1.5x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char l[64];
		snprintf(l, sizeof l, "r\t1\tm\t%s\n", bad[i]);
		if (metric_parse(l, &m, &why) != -1)
			printf("#   '%s' read as %g\n", bad[i], m.value);
		CHECK(metric_parse(l, &m, &why) == -1);
	}
	const char *good[] = {"0.5", "-2", "+3", "1e-05", "9.99999975e-06", ".5", "5.",
			      "inf", "-inf", "1E3"};
	const double want[] = {0.5, -2, 3, 1e-05, 9.99999975e-06, 0.5, 5, INFINITY,
			       -INFINITY, 1000};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char l[64];
		snprintf(l, sizeof l, "r\t1\tm\t%s\n", good[i]);
		CHECK(metric_parse(l, &m, &why) == 1 && m.value == want[i]);
	}
}

static void test_schedule(void)
{
	struct ckpt_schedule s = {.every = 10, .per_decade = 0, .last = 35};
	int want[] = {0, 10, 20, 30, 35}, n = 0;
	for (int64_t step = 0; step <= 35; step++)
		if (schedule_wants(&s, step))
			CHECK(n < 5 && want[n++] == step);
	CHECK(n == 5);
	struct ckpt_schedule logs = {.every = 0, .per_decade = 1, .last = 5000};
	int64_t log_want[] = {0, 1, 10, 100, 1000, 5000};
	n = 0;
	for (int64_t step = 0; step <= 5000; step++)
		if (schedule_wants(&logs, step))
			CHECK(n < 6 && log_want[n++] == step);
	CHECK(n == 6);
}

static void test_json_strictness(void)
{
	struct traj_error err;
	int64_t i;
	double d;
	cJSON *o = cJSON_Parse("{\"big\":9007199254740993,\"frac\":0.5,"
			       "\"half\":2.5,\"P\":3,\"s\":\"x\"}");
	CHECK(json_get_int(o, "t", "big", 0, INT64_MAX, &i, &err) < 0);
	CHECK(json_get_int(o, "t", "half", 0, 10, &i, &err) < 0);
	CHECK(strcmp(err.msg, "t.half: expected an integer") == 0);
	CHECK(json_get_int(o, "t", "p", 0, 10, &i, &err) < 0); /* case matters */
	CHECK(strcmp(err.msg, "t.p: missing") == 0);
	CHECK(json_get_number(o, "t", "frac", 0, 1, &d, &err) == 0 && d == 0.5);
	CHECK(json_get_number(o, "t", "s", 0, 1, &d, &err) < 0);
	i = 5;
	CHECK(json_opt_int(o, "t", "absent", 0, 10, &i, &err) == 0 && i == 5);
	cJSON_Delete(o);
}

static void test_run_ids(void)
{
	CHECK(run_id_valid("modadd-p97-s1"));
	CHECK(!run_id_valid(""));
	CHECK(!run_id_valid("a\tb"));
	CHECK(!run_id_valid("a b"));
	CHECK(!run_id_valid("../x/y"));
	CHECK(!run_id_valid("..") && !run_id_valid("."));
}

/* Last: a refusal stops all later metric output of the process. */
static void test_print_refuses_fields_that_forge_lines(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	CHECK(metric_refusal() == NULL);
	CHECK(metric_print(f, "ok", 1, "test/acc", 0.5) == 0);
	CHECK(metric_print(f, "x\t50\ttest/acc\t0.99\n", 1, "m", 1) == -1);
	CHECK(metric_refusal() != NULL);
	CHECK(metric_print(f, "ok", 2, "test/acc", 0.5) == -1);
	fclose(f);
	CHECK(strcmp(buf, "ok\t1\ttest/acc\t0.5\n") == 0);
	free(buf);
	CHECK(!metric_field_valid("a\x7f") && !metric_field_valid("a\rb") &&
	      !metric_field_valid("") && metric_field_valid("diff/W/l2"));
}

int main(void)
{
	RUN(test_print_round_trips_a_float);
	RUN(test_parse_rejects_malformed_lines);
	RUN(test_schedule);
	RUN(test_json_strictness);
	RUN(test_run_ids);
	RUN(test_print_non_finite_as_the_spec_says);
	RUN(test_print_refuses_fields_that_forge_lines);
	return harness_done();
}
