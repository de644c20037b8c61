#include "run/runsource.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int fail_path(struct traj_error *err, const char *path)
{
	traj_error_prefix(err, path);
	return -1;
}

int run_source_open(struct run_source *s, const char *path, int64_t step,
		    const char *skip, struct traj_error *err)
{
	memset(s, 0, sizeof *s);
	s->path = path;
	int std = strcmp(path, "-") == 0;
	s->f = std ? stdin : fopen(path, "rb");
	if (!s->f)
		return traj_fail(err, TRAJ_ENOINPUT, -1, "cannot open '%s': %s",
				 path, strerror(errno));
	s->r = stream_reader_open(s->f, path, NULL, err);
	if (!s->r) {
		run_source_close(s);
		return fail_path(err, path);
	}
	if (skip)
		stream_reader_skip_prefix(s->r, skip);
	int rec, runs = 0, have = 0;
	int64_t first = -1, last = -1;
	while ((rec = stream_read_next(s->r, err)) > 0) {
		if (rec == TRAJ_REC_END)
			break;
		if (rec == TRAJ_REC_RUN) {
			if (runs++) {
				traj_fail(err, TRAJ_EDATA, -1, "several runs in "
					  "one stream; split it with traj snapshot");
				break;
			}
			s->run = stream_reader_run(s->r);
			if (run_from_json(s->run, &s->rc, err) < 0) {
				have = -1;
				break;
			}
			have = 1;
			continue;
		}
		const struct traj_ckpt *c = stream_reader_ckpt(s->r);
		first = first < 0 ? c->step : first;
		last = c->step;
		if (c->step == step) {
			s->c = c;
			return 0;
		}
	}
	if (rec < 0 || runs > 1 || have < 0) {
		run_source_close(s);
		return fail_path(err, path);
	}
	if (step < 0 && last >= 0) {
		s->c = stream_reader_last_ckpt(s->r);
		return 0;
	}
	run_source_close(s);
	if (last < 0)
		traj_fail(err, TRAJ_EDATA, -1, "no checkpoint");
	else
		traj_fail(err, TRAJ_EDATA, -1, "no checkpoint at step %lld "
			  "(steps %lld..%lld)", (long long)step,
			  (long long)first, (long long)last);
	return fail_path(err, path);
}

void run_source_close(struct run_source *s)
{
	stream_reader_free(s->r);
	if (s->f && s->f != stdin)
		fclose(s->f);
	run_config_free(&s->rc);
	memset(s, 0, sizeof *s);
}

int run_source_parse(const char *arg, char *path, size_t len, int64_t *step)
{
	const char *colon = strrchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	*step = -1;
	if (colon && colon[1]) {
		size_t d = strspn(colon + 1, "0123456789");
		if (colon[1 + d] != '\0' || d > 18)
			return -1;
		*step = strtoll(colon + 1, NULL, 10);
	}
	if (n == 0 || n >= len)
		return -1;
	memcpy(path, arg, n);
	path[n] = '\0';
	return 0;
}

static void value_text(const cJSON *v, char *buf, size_t len)
{
	char *t = v ? cJSON_PrintUnformatted(v) : NULL;
	snprintf(buf, len, "%s", v ? (t ? t : "?") : "absent");
	free(t);
}

static int report_diff(const char *what, const char *key, const cJSON *a,
		       const cJSON *b, char *buf, size_t len)
{
	char x[96], y[96];
	value_text(a, x, sizeof x);
	value_text(b, y, sizeof y);
	snprintf(buf, len, "%s%s%s is %s there, %s here", what, key ? "." : "",
		 key ? key : "", x, y);
	return 1;
}

int run_json_diff(const cJSON *a, const cJSON *b, const char *what,
		  char *buf, size_t len)
{
	if (!cJSON_IsObject(a) || !cJSON_IsObject(b))
		return cJSON_Compare(a, b, 1) ? 0 : report_diff(what, NULL, a, b,
								 buf, len);
	const cJSON *it;
	/* the kind first: every other field depends on it */
	const cJSON *ka = cJSON_GetObjectItemCaseSensitive(a, "kind");
	const cJSON *kb = cJSON_GetObjectItemCaseSensitive(b, "kind");
	if ((ka || kb) && !(ka && kb && cJSON_Compare(ka, kb, 1)))
		return report_diff(what, "kind", ka, kb, buf, len);
	cJSON_ArrayForEach(it, a) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(b, it->string);
		if (!o || !cJSON_Compare(it, o, 1))
			return report_diff(what, it->string, it, o, buf, len);
	}
	cJSON_ArrayForEach(it, b)
		if (!cJSON_GetObjectItemCaseSensitive(a, it->string))
			return report_diff(what, it->string, NULL, it, buf, len);
	return 0;
}
