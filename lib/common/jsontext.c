#include "common/jsontext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: every integer up to it in magnitude is exact in a double. */
static const char max_exact[] = "9007199254740992";

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the string literal starting at text[i] == '"', or 0 when it
 * does not end within len (the parser reports that). */
static size_t string_len(const char *text, size_t i, size_t len)
{
	for (size_t j = i + 1; j < len; j++) {
		if (text[j] == '\\')
			j++;
		else if (text[j] == '"')
			return j + 1 - i;
	}
	return 0;
}

/* An integer literal (no fraction, no exponent) larger than 2^53 in
 * magnitude would be rounded by every double-based reader. */
static int integer_too_big(const char *digits, size_t n)
{
	while (n > 1 && *digits == '0') {
		digits++;
		n--;
	}
	size_t m = sizeof max_exact - 1;
	return n > m || (n == m && memcmp(digits, max_exact, m) > 0);
}

/* Checks the number token at text[i]; sets *n to its length. */
static const char *check_number(const char *text, size_t i, size_t len,
				size_t *n)
{
	size_t j = i, digits_at, ndigits;
	int plain = 1;
	if (j < len && text[j] == '-')
		j++;
	digits_at = j;
	while (j < len && is_digit(text[j]))
		j++;
	ndigits = j - digits_at;
	while (j < len && (is_digit(text[j]) || text[j] == '.' || text[j] == 'e' ||
			   text[j] == 'E' || text[j] == '+' || text[j] == '-')) {
		plain = 0;
		j++;
	}
	*n = j - i;
	if (plain && integer_too_big(text + digits_at, ndigits))
		return "integer beyond 2^53 (not exact in a double)";
	/* The token is bounded by a non-number byte or the end; strtod on a
	 * copy keeps it from reading past len. */
	char buf[128];
	if (*n >= sizeof buf)
		return plain ? NULL : "number literal too long";
	memcpy(buf, text + i, *n);
	buf[*n] = '\0';
	double v = strtod(buf, NULL);
	if (!isfinite(v))
		return "number out of the range of a double";
	return NULL;
}

int json_text_check(const char *text, size_t len, int max_depth,
		    const char **why, size_t *pos)
{
	int depth = 0;
	for (size_t i = 0; i < len;) {
		char c = text[i];
		size_t n = 1;
		const char *bad = NULL;
		if (c == '"') {
			n = string_len(text, i, len);
			if (n == 0)
				return 0;
		} else if (c == '-' || is_digit(c)) {
			bad = check_number(text, i, len, &n);
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				bad = "nested too deeply";
		} else if (c == ']' || c == '}') {
			depth--;
		}
		if (bad) {
			*why = bad;
			*pos = i;
			return -1;
		}
		i += n;
	}
	return 0;
}

static const char *duplicate_key_in(const cJSON *item, int *enomem);

/* Finds a key that appears twice in one object anywhere in `item`. */
const char *json_duplicate_key(const cJSON *item, int *enomem)
{
	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return NULL;
	for (const cJSON *c = item->child; c; c = c->next) {
		const char *dup = json_duplicate_key(c, enomem);
		if (dup || *enomem)
			return dup;
	}
	return cJSON_IsObject(item) ? duplicate_key_in(item, enomem) : NULL;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *duplicate_key_in(const cJSON *obj, int *enomem)
{
	size_t n = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		n++;
	if (n < 2)
		return NULL;
	const char **keys = malloc(n * sizeof *keys);
	if (!keys) {
		*enomem = 1;
		return NULL;
	}
	n = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		keys[n++] = c->string ? c->string : "";
	qsort(keys, n, sizeof *keys, by_string);
	const char *dup = NULL;
	for (size_t i = 1; i < n && !dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	free(keys);
	return dup;
}
