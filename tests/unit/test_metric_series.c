/* Metric lines into series (format/metric_series.h) and gnuplot's quoting
 * (format/gnuplot.h). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "format/gnuplot.h"
#include "format/metric_series.h"

static FILE *text(const char *s)
{
	return fmemopen((void *)s, strlen(s), "r");
}

static void test_series_grouped_filtered_sorted(void)
{
	struct metric_series_set set = {0};
	struct traj_error err;
	char *globs[] = {"*/acc"};
	FILE *f = text("# run\tstep\tmetric\tvalue\n"
		       "r\t20\ttest/acc\t0.5\n"
		       "r\t20\ttest/loss\t2\n"
		       "q\t0\ttest/acc\t0.1\n"
		       "r\t10\ttest/acc\t0.25\n"
		       "r\t10\ttest/acc\t0.3\n"
		       "\n"
		       "r\t0\ttest/acc\tnan\n");
	CHECK(metric_series_read(&set, f, "in", globs, 1, &err) == 0);
	fclose(f);
	CHECK(metric_series_sort(&set, &err) == 0);
	CHECK(set.n == 2);
	CHECK(metric_series_runs(&set) == 2);
	CHECK(strcmp(set.s[0].run, "r") == 0 && strcmp(set.s[0].metric, "test/acc") == 0);
	CHECK(set.s[0].n == 4);
	CHECK(set.s[0].pts[0].step == 0 && isnan(set.s[0].pts[0].value));
	/* equal steps keep their order */
	CHECK(set.s[0].pts[1].step == 10 && set.s[0].pts[1].value == 0.25);
	CHECK(set.s[0].pts[2].step == 10 && set.s[0].pts[2].value == 0.3);
	CHECK(set.s[0].pts[3].step == 20);
	CHECK(strcmp(set.s[1].run, "q") == 0 && set.s[1].n == 1);
	metric_series_free(&set);
}

static void test_series_many_and_reversed(void)
{
	/* enough series to grow the index, each given in falling steps */
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	for (int step = 99; step >= 0; step--)
		for (int m = 0; m < 300; m++)
			len += snprintf(buf + len, cap - len, "run\t%d\tm%d\t%d\n", step, m, step + m);
	struct metric_series_set set = {0};
	struct traj_error err;
	FILE *f = fmemopen(buf, len, "r");
	CHECK(metric_series_read(&set, f, "in", NULL, 0, &err) == 0);
	fclose(f);
	CHECK(metric_series_sort(&set, &err) == 0);
	CHECK(set.n == 300);
	int ok = 1;
	for (size_t k = 0; k < set.n; k++)
		for (size_t i = 0; i < set.s[k].n; i++)
			ok &= set.s[k].pts[i].step == (int64_t)i &&
			      set.s[k].pts[i].value == (double)(i + k);
	CHECK(ok);
	metric_series_free(&set);
	free(buf);
}

static void test_series_malformed_line_named(void)
{
	struct metric_series_set set = {0};
	struct traj_error err;
	FILE *f = text("r\t1\ta\t1\nr\tx\ta\t1\n");
	CHECK(metric_series_read(&set, f, "m.tsv", NULL, 0, &err) == -1);
	fclose(f);
	CHECK(err.status == TRAJ_EDATA);
	CHECK(strcmp(err.msg, "m.tsv: line 2: step: expected a non-negative integer") == 0);
	metric_series_free(&set);
}

static void test_gnuplot_quote(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	gnuplot_quote(f, "it's\n`x` @y\r");
	fclose(f);
	CHECK(strcmp(out, "'it''s `x` @y '") == 0);
	free(out);
}

static void test_gnuplot_events(void)
{
	struct gnuplot_events evs = {0};
	struct traj_error err;
	FILE *f = text("r\t100\ttest/acc\trise\t0.1\t0.9\t50\t150\tchangepoint\n"
		       "not an event\n"
		       "r\tx\ttest/acc\trise\t0.1\t0.9\t50\t150\tchangepoint\n"
		       "r\t7\ttrain/acc\tcross\t0.1\t0.9\t5\t7\ttrain/acc>=0.5\n");
	CHECK(gnuplot_read_events(&evs, f, "ev", &err) == 0);
	fclose(f);
	CHECK(evs.n == 2);
	CHECK(evs.ev[0].step == 100 && strcmp(evs.ev[0].label, "test/acc rise") == 0);
	CHECK(evs.ev[1].step == 7 && strcmp(evs.ev[1].label, "train/acc cross") == 0);
	gnuplot_events_free(&evs);
}

int main(void)
{
	RUN(test_series_grouped_filtered_sorted);
	RUN(test_series_many_and_reversed);
	RUN(test_series_malformed_line_named);
	RUN(test_gnuplot_quote);
	RUN(test_gnuplot_events);
	return harness_done();
}
