/* Sweep descriptions: parsing, checking, expansion and run ids. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/filebuf.h"
#include "common/rng.h"
#include "sweep/spec.h"

#define MAX_VALUES 100000
#define MAX_CONFIGS 1000000

/* The options traj sweep sets on every run: never an axis. */
static const char *const reserved[] = {
	"out", "resume", "run-id", "quiet", "force", "help", "version",
	"threads", "state", "no-state", NULL,
};

static int valid_value(const char *v)
{
	size_t n = strlen(v);
	return n > 0 && n < SWEEP_VALUE_MAX &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._+:-") == n;
}

int sweep_axis_is_seed(const char *name)
{
	return strcmp(name, "seed") == 0 || strcmp(name, "data-seed") == 0;
}

static void axis_free(struct sweep_axis *a)
{
	for (int i = 0; i < a->nvalues; i++)
		free(a->values[i]);
	free(a->values);
	a->values = NULL;
	a->nvalues = 0;
}

void sweep_spec_free(struct sweep_spec *s)
{
	for (int i = 0; i < s->naxes; i++)
		axis_free(&s->axes[i]);
	free(s->axes);
	memset(s, 0, sizeof *s);
}

static int push_value(struct sweep_axis *a, const char *v, size_t len,
		      struct traj_error *err)
{
	if (a->nvalues >= MAX_VALUES)
		return traj_fail(err, TRAJ_EUSAGE, -1, "axis '%s': more than %d values",
				 a->name, MAX_VALUES);
	char buf[SWEEP_VALUE_MAX];
	if (len == 0 || len >= sizeof buf)
		return traj_fail(err, TRAJ_EUSAGE, -1, "axis '%s': %s value",
				 a->name, len ? "too long a" : "an empty");
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (!valid_value(buf))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "axis '%s': value '%s' has a character other than "
				 "letters, digits and ._+:-", a->name, buf);
	for (int i = 0; i < a->nvalues; i++)
		if (strcmp(a->values[i], buf) == 0)
			return 0;
	char **nv = realloc(a->values, (size_t)(a->nvalues + 1) * sizeof *nv);
	if (!nv)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	a->values = nv;
	if (!(a->values[a->nvalues] = strdup(buf)))
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	a->nvalues++;
	return 0;
}

static int parse_num(const char *s, double *x)
{
	char *end;
	errno = 0;
	*x = strtod(s, &end);
	return s[0] && *end == '\0' && errno == 0 && isfinite(*x) ? 0 : -1;
}

/* "lin:LO:HI:N", "uniform:LO:HI", ...: the numbers after the kind. */
static int parse_range(const char *name, const char *rest, int want,
		       double *x, struct traj_error *err)
{
	char buf[256];
	if (strlen(rest) >= sizeof buf)
		return traj_fail(err, TRAJ_EUSAGE, -1, "axis '%s': range too long", name);
	strcpy(buf, rest);
	int n = 0;
	for (char *save, *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
		if (n == want || parse_num(t, &x[n]) < 0)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "axis '%s': '%s' is not %d numbers separated by ':'",
					 name, rest, want);
		n++;
	}
	if (n != want)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "axis '%s': '%s' is not %d numbers separated by ':'",
				 name, rest, want);
	return 0;
}

static int fmt_push(struct sweep_axis *a, double x, struct traj_error *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%.6g", x);
	return push_value(a, buf, (size_t)n, err);
}

static int parse_values(struct sweep_axis *a, const char *v, struct traj_error *err)
{
	double x[3];
	const char *colon = strchr(v, ':');
	size_t klen = colon ? (size_t)(colon - v) : 0;
	if (colon && (klen == 3 && (!strncmp(v, "lin", 3) || !strncmp(v, "log", 3)))) {
		if (parse_range(a->name, colon + 1, 3, x, err) < 0)
			return -1;
		int n = (int)x[2];
		if (x[2] != n || n < 1 || n > MAX_VALUES)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "axis '%s': the number of points must be 1..%d",
					 a->name, MAX_VALUES);
		int lg = v[1] == 'o';
		if (lg && (x[0] <= 0 || x[1] <= 0))
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "axis '%s': a log range needs positive ends", a->name);
		if (n == 1 && x[0] != x[1])
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "axis '%s': one point cannot span %g..%g",
					 a->name, x[0], x[1]);
		for (int i = 0; i < n; i++) {
			double t = n == 1 ? 0 : (double)i / (n - 1);
			double y = lg ? exp(log(x[0]) + t * (log(x[1]) - log(x[0])))
				      : x[0] + t * (x[1] - x[0]);
			if (fmt_push(a, y, err) < 0)
				return -1;
		}
		return 0;
	}
	if (colon && ((klen == 7 && !strncmp(v, "uniform", 7)) ||
		      (klen == 10 && !strncmp(v, "loguniform", 10)) ||
		      (klen == 7 && !strncmp(v, "randint", 7)))) {
		if (parse_range(a->name, colon + 1, 2, x, err) < 0)
			return -1;
		a->draw = v[0] == 'u' ? SWEEP_UNIFORM : v[0] == 'l' ? SWEEP_LOGUNIFORM
								     : SWEEP_RANDINT;
		if (!(x[0] < x[1]) || (a->draw == SWEEP_LOGUNIFORM && x[0] <= 0) ||
		    (a->draw == SWEEP_RANDINT && (x[0] != floor(x[0]) || x[1] != floor(x[1]))))
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "axis '%s': empty or invalid range '%s'", a->name, v);
		a->lo = x[0];
		a->hi = x[1];
		return 0;
	}
	const char *dots = strstr(v, "..");
	if (dots && !strchr(v, ',')) {
		char lo[32], *end;
		size_t n = (size_t)(dots - v);
		if (n == 0 || n >= sizeof lo)
			return traj_fail(err, TRAJ_EUSAGE, -1, "axis '%s': bad range '%s'",
					 a->name, v);
		memcpy(lo, v, n);
		lo[n] = '\0';
		long long a0 = strtoll(lo, &end, 10);
		int ok = *end == '\0';
		long long a1 = strtoll(dots + 2, &end, 10);
		ok = ok && dots[2] && *end == '\0';
		if (!ok)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "axis '%s': '%s' is not an integer range A..B", a->name, v);
		if (a1 < a0 || a1 - a0 >= MAX_VALUES)
			return traj_fail(err, TRAJ_EUSAGE, -1, "axis '%s': empty range '%s'",
					 a->name, v);
		for (long long i = a0; i <= a1; i++) {
			char buf[32];
			int m = snprintf(buf, sizeof buf, "%lld", i);
			if (push_value(a, buf, (size_t)m, err) < 0)
				return -1;
		}
		return 0;
	}
	for (const char *p = v;;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (push_value(a, p, n, err) < 0)
			return -1;
		if (!c)
			break;
		p = c + 1;
	}
	return 0;
}

static int parse_directive(struct sweep_spec *s, const char *name, const char *v,
			   struct traj_error *err)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (!v[0] || *end || errno || v[0] == '-')
		return traj_fail(err, TRAJ_EUSAGE, -1, "%s: '%s' is not a number", name, v);
	if (strcmp(name, "draws") == 0) {
		if (x < 1 || x > MAX_CONFIGS)
			return traj_fail(err, TRAJ_EUSAGE, -1, "draws: must be 1..%d",
					 MAX_CONFIGS);
		s->draws = (int)x;
	} else {
		s->draw_seed = x;
	}
	return 0;
}

int sweep_spec_add(struct sweep_spec *s, const char *arg, struct traj_error *err)
{
	const char *eq = strchr(arg, '=');
	char name[SWEEP_NAME_MAX];
	size_t n = eq ? (size_t)(eq - arg) : 0;
	while (n > 0 && isspace((unsigned char)arg[n - 1]))
		n--;
	size_t start = 0;
	while (start < n && (isspace((unsigned char)arg[start]) || arg[start] == '-'))
		start++;
	if (!eq || n <= start || n - start >= sizeof name)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "'%s' is not an axis NAME=VALUES", arg);
	memcpy(name, arg + start, n - start);
	name[n - start] = '\0';
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(name))
		return traj_fail(err, TRAJ_EUSAGE, -1, "axis '%s': not an option name", name);
	const char *v = eq + 1;
	while (isspace((unsigned char)*v))
		v++;
	char val[4096];
	size_t vl = strlen(v);
	while (vl > 0 && isspace((unsigned char)v[vl - 1]))
		vl--;
	if (vl >= sizeof val)
		return traj_fail(err, TRAJ_EUSAGE, -1, "axis '%s': values too long", name);
	memcpy(val, v, vl);
	val[vl] = '\0';
	if (vl == 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "axis '%s': no values", name);
	if (strcmp(name, "draws") == 0 || strcmp(name, "draw-seed") == 0)
		return parse_directive(s, name, val, err);

	struct sweep_axis a = {0};
	strcpy(a.name, name);
	snprintf(a.opt, sizeof a.opt, "--%s", name);
	if (parse_values(&a, val, err) < 0) {
		axis_free(&a);
		return -1;
	}
	for (int i = 0; i < s->naxes; i++)
		if (strcmp(s->axes[i].name, name) == 0) {
			axis_free(&s->axes[i]);
			s->axes[i] = a;
			return 0;
		}
	struct sweep_axis *na = realloc(s->axes, (size_t)(s->naxes + 1) * sizeof *na);
	if (!na) {
		axis_free(&a);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	s->axes = na;
	s->axes[s->naxes++] = a;
	return 0;
}

int sweep_spec_read(struct sweep_spec *s, const char *path, struct traj_error *err)
{
	char *text;
	size_t len;
	if (file_read_text(path, 1 << 20, &text, &len, err) < 0)
		return -1;
	int rc = 0, lineno = 0;
	for (char *save, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r") == strlen(line))
			continue;
		if (sweep_spec_add(s, line, err) < 0) {
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg);
			traj_fail(err, err->status == TRAJ_ENOMEM ? TRAJ_ENOMEM : TRAJ_EDATA,
				  -1, "line %d: %s", lineno, why);
			rc = -1;
			break;
		}
	}
	free(text);
	return rc;
}

int sweep_spec_check(struct sweep_spec *s, const char *const *trainer_opts,
		     int nopts, struct traj_error *err)
{
	for (int i = 0; i < s->naxes; i++) {
		struct sweep_axis *a = &s->axes[i];
		for (const char *const *r = reserved; *r; r++)
			if (strcmp(*r, a->name) == 0)
				return traj_fail(err, TRAJ_EUSAGE, -1,
						 "axis '%s': traj sweep sets --%s itself",
						 a->name, a->name);
		int found = 0;
		size_t n = strlen(a->name);
		for (int j = 0; j < nopts && !found; j++) {
			const char *o = trainer_opts[j];
			if (strncmp(o, a->name, n) == 0 && (o[n] == '\0' || (o[n] == '!' && !o[n + 1]))) {
				found = 1;
				a->flag = o[n] == '!';
			}
		}
		if (!found)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "axis '%s': traj train has no option --%s",
					 a->name, a->name);
		if (a->flag) {
			if (a->draw != SWEEP_GRID)
				return traj_fail(err, TRAJ_EUSAGE, -1,
						 "axis '%s': a flag takes yes or no", a->name);
			for (int k = 0; k < a->nvalues; k++)
				if (strcmp(a->values[k], "yes") && strcmp(a->values[k], "no"))
					return traj_fail(err, TRAJ_EUSAGE, -1,
							 "axis '%s': a flag takes yes or no, not '%s'",
							 a->name, a->values[k]);
		}
		if (a->draw != SWEEP_GRID && s->draws == 0)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "axis '%s': a random axis needs draws=N", a->name);
	}
	return 0;
}

static int cmp_axis(const void *x, const void *y)
{
	const struct sweep_axis *a = *(struct sweep_axis *const *)x;
	const struct sweep_axis *b = *(struct sweep_axis *const *)y;
	return strcmp(a->name, b->name);
}

/* Appends to a growing string; on failure frees it and returns NULL. */
static char *append(char *s, size_t *len, const char *t)
{
	size_t n = strlen(t);
	char *ns = realloc(s, *len + n + 1);
	if (!ns) {
		free(s);
		return NULL;
	}
	memcpy(ns + *len, t, n + 1);
	*len += n;
	return ns;
}

char *sweep_spec_text(const struct sweep_spec *s)
{
	const struct sweep_axis **order = malloc((size_t)(s->naxes + 1) * sizeof *order);
	if (!order)
		return NULL;
	for (int i = 0; i < s->naxes; i++)
		order[i] = &s->axes[i];
	qsort(order, (size_t)s->naxes, sizeof *order, cmp_axis);
	size_t len = 0;
	char *t = calloc(1, 1), buf[128];
	for (int i = 0; i < s->naxes && t; i++) {
		const struct sweep_axis *a = order[i];
		t = append(t, &len, a->name);
		t = t ? append(t, &len, "=") : NULL;
		if (a->draw != SWEEP_GRID) {
			static const char *const kind[] = {"", "uniform", "loguniform", "randint"};
			snprintf(buf, sizeof buf, "%s:%.17g:%.17g", kind[a->draw], a->lo, a->hi);
			t = t ? append(t, &len, buf) : NULL;
		}
		for (int k = 0; k < a->nvalues && t; k++) {
			t = append(t, &len, a->values[k]);
			if (t && k + 1 < a->nvalues)
				t = append(t, &len, ",");
		}
		t = t ? append(t, &len, "\n") : NULL;
	}
	if (t && s->draws) {
		snprintf(buf, sizeof buf, "draws=%d\ndraw-seed=%llu\n", s->draws,
			 (unsigned long long)s->draw_seed);
		t = append(t, &len, buf);
	}
	free(order);
	return t;
}

/* FNV-1a, 64 bits: stable across platforms and releases, which is all a
 * run id needs (it names directories, it is not a defence). */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The hash of name=value lines in name order, seeds left out or not. */
static uint64_t config_hash(const struct sweep_spec *s, char **values,
			    const int *order, int with_seeds)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int k = 0; k < s->naxes; k++) {
		int i = order[k];
		if (!with_seeds && sweep_axis_is_seed(s->axes[i].name))
			continue;
		h = fnv1a(h, s->axes[i].name);
		h = fnv1a(h, "=");
		h = fnv1a(h, values[i]);
		h = fnv1a(h, "\n");
	}
	return h;
}

static const struct sweep_spec *sort_spec;
static int cmp_index(const void *x, const void *y)
{
	return strcmp(sort_spec->axes[*(const int *)x].name,
		      sort_spec->axes[*(const int *)y].name);
}

/* The readable prefix: the axes that vary, name and value, in name
 * order (so that the order axes are given in does not matter), then
 * the hash. */
static void make_id(const struct sweep_spec *s, struct sweep_config *c,
		    const int *order)
{
	char prefix[64] = "";
	size_t len = 0;
	for (int k = 0; k < s->naxes; k++) {
		int i = order[k];
		const struct sweep_axis *a = &s->axes[i];
		if (a->draw == SWEEP_GRID && a->nvalues < 2)
			continue;
		char part[SWEEP_NAME_MAX + SWEEP_VALUE_MAX + 3];
		int n = snprintf(part, sizeof part, "%s%s%s%s", len ? "-" : "", a->name,
				 isalpha((unsigned char)c->values[i][0]) ? "_" : "",
				 c->values[i]);
		for (int j = 0; j < n; j++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789._-", part[j]))
				part[j] = '_';
		if (len + (size_t)n >= 48)
			break;
		memcpy(prefix + len, part, (size_t)n + 1);
		len += (size_t)n;
	}
	if (!len)
		strcpy(prefix, "run");
	snprintf(c->id, sizeof c->id, "%s-%012llx", prefix,
		 (unsigned long long)(config_hash(s, c->values, order, 1) >> 16));
	snprintf(c->group, sizeof c->group, "%016llx",
		 (unsigned long long)config_hash(s, c->values, order, 0));
}

void sweep_plan_free(struct sweep_plan *p)
{
	for (int i = 0; i < p->n; i++) {
		if (p->configs[i].values)
			for (int k = 0; k < p->spec->naxes; k++)
				free(p->configs[i].values[k]);
		free(p->configs[i].values);
	}
	free(p->configs);
	memset(p, 0, sizeof *p);
}

static char *draw_value(const struct sweep_axis *a, struct rng *r)
{
	char buf[32];
	double u = (double)(rng_next(r) >> 11) / 9007199254740992.0;
	if (a->draw == SWEEP_UNIFORM)
		snprintf(buf, sizeof buf, "%.4g", a->lo + u * (a->hi - a->lo));
	else if (a->draw == SWEEP_LOGUNIFORM)
		snprintf(buf, sizeof buf, "%.4g",
			 exp(log(a->lo) + u * (log(a->hi) - log(a->lo))));
	else
		snprintf(buf, sizeof buf, "%lld", (long long)a->lo +
			 (long long)rng_below(r, (uint64_t)(a->hi - a->lo) + 1));
	return strdup(buf);
}

int sweep_plan_init(struct sweep_plan *p, const struct sweep_spec *s,
		    struct traj_error *err)
{
	memset(p, 0, sizeof *p);
	p->spec = s;
	double total = s->draws ? s->draws : 1;
	for (int i = 0; i < s->naxes; i++)
		if (s->axes[i].draw == SWEEP_GRID)
			total *= s->axes[i].nvalues;
	if (total > MAX_CONFIGS)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "%.0f configurations, more than %d", total, MAX_CONFIGS);
	int n = (int)total;
	int *order = malloc((size_t)(s->naxes + 1) * sizeof *order);
	int *idx = calloc((size_t)s->naxes + 1, sizeof *idx);
	p->configs = calloc((size_t)n, sizeof *p->configs);
	if (!order || !idx || !p->configs) {
		free(order);
		free(idx);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	for (int i = 0; i < s->naxes; i++)
		order[i] = i;
	sort_spec = s;
	qsort(order, (size_t)s->naxes, sizeof *order, cmp_index);
	struct rng r;
	rng_seed(&r, s->draw_seed);
	int ndraw = s->draws ? s->draws : 1, rc = 0;
	/* The first axis varies slowest, like a nested loop written in
	 * the order the axes were given. */
	for (int k = 0; k < n && rc == 0; k++) {
		int rem = k / ndraw;
		for (int i = s->naxes - 1; i >= 0; i--) {
			const struct sweep_axis *a = &s->axes[i];
			if (a->draw != SWEEP_GRID)
				continue;
			idx[i] = rem % a->nvalues;
			rem /= a->nvalues;
		}
		struct sweep_config *c = &p->configs[p->n];
		if (!(c->values = calloc((size_t)s->naxes + 1, sizeof *c->values))) {
			rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
			break;
		}
		p->n++;
		for (int i = 0; i < s->naxes && rc == 0; i++) {
			const struct sweep_axis *a = &s->axes[i];
			c->values[i] = a->draw == SWEEP_GRID ? strdup(a->values[idx[i]])
							     : draw_value(a, &r);
			if (!c->values[i])
				rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		}
		if (rc)
			break;
		make_id(s, c, order);
		for (int j = 0; j < p->n - 1; j++)
			if (strcmp(p->configs[j].id, c->id) == 0) {
				for (int i = 0; i < s->naxes; i++)
					free(c->values[i]);
				free(c->values);
				c->values = NULL;
				p->n--;
				break;
			}
	}
	free(order);
	free(idx);
	if (rc)
		sweep_plan_free(p);
	return rc;
}

int sweep_config_argv(const struct sweep_spec *s, const struct sweep_config *c,
		      const char **argv)
{
	int n = 0;
	for (int i = 0; i < s->naxes; i++) {
		const struct sweep_axis *a = &s->axes[i];
		if (a->flag && strcmp(c->values[i], "no") == 0)
			continue;
		argv[n++] = a->opt;
		if (!a->flag)
			argv[n++] = c->values[i];
	}
	argv[n] = NULL;
	return n;
}

int sweep_trainer_options(const char *help, char ***opts, int *n,
			  struct traj_error *err)
{
	*opts = NULL;
	*n = 0;
	for (const char *p = help; (p = strstr(p, "--")) != NULL;) {
		p += 2;
		size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (len == 0 || (p - 2 > help && (p[-3] == '-' || isalnum((unsigned char)p[-3]))))
			continue;
		/* "--name ARG" takes a value; "--name   help" is a flag. */
		int flag = !(p[len] == ' ' && p[len + 1] && p[len + 1] != ' ' &&
			     p[len + 1] != '\n');
		if (p[len] == '=' || p[len] == '[')
			flag = 0;
		char name[SWEEP_NAME_MAX + 2];
		if (len >= SWEEP_NAME_MAX) {
			p += len;
			continue;
		}
		snprintf(name, sizeof name, "%.*s%s", (int)len, p, flag ? "!" : "");
		int seen = 0;
		for (int i = 0; i < *n && !seen; i++)
			if (strncmp((*opts)[i], p, len) == 0 &&
			    ((*opts)[i][len] == '\0' || (*opts)[i][len] == '!')) {
				seen = 1;
				if (!flag && (*opts)[i][len] == '!')
					(*opts)[i][len] = '\0';
			}
		p += len;
		if (seen)
			continue;
		char **no = realloc(*opts, (size_t)(*n + 1) * sizeof *no);
		if (!no || !(no[*n] = strdup(name))) {
			if (no)
				*opts = no;
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		}
		*opts = no;
		(*n)++;
	}
	return 0;
}
