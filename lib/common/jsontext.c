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

/* Length of the UTF-8 sequence at t[0 .. n) (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0 when invalid. */
static size_t utf8_len(const unsigned char *t, size_t n)
{
	unsigned char c = t[0], lo = 0x80, hi = 0xbf;
	size_t k;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (n < k || t[1] < lo || t[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if (t[i] < 0x80 || t[i] > 0xbf)
			return 0;
	return k;
}

/* Checks the string literal starting at text[i] == '"': UTF-8, no raw
 * control byte, no \u0000 (a C string would end there: "f32\u0000"
 * would read as "f32"). Sets *n to its length, or to 0 when it does not
 * end within len (the parser reports that); *at to the offending byte. */
static const char *check_string(const char *text, size_t i, size_t len,
				size_t *n, size_t *at)
{
	const unsigned char *t = (const unsigned char *)text;
	*n = 0;
	for (size_t j = i + 1; j < len;) {
		size_t k = 1;
		*at = j;
		if (t[j] == '"') {
			*n = j + 1 - i;
			return NULL;
		}
		if (t[j] < 0x20)
			return "control byte in a string (JSON wants \\u00XX)";
		if (t[j] == '\\') {
			if (j + 5 < len && t[j + 1] == 'u' && memcmp(t + j + 2, "0000", 4) == 0)
				return "\\u0000 (NUL) in a string";
			k = 2;
		} else if (!(k = utf8_len(t + j, len - j))) {
			return "invalid UTF-8";
		}
		j += k;
	}
	return NULL;
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
		size_t at = i;
		if (c == '"') {
			bad = check_string(text, i, len, &n, &at);
			if (!bad && n == 0)
				return 0;
		} else if ((unsigned char)c >= 0x80) {
			bad = "invalid UTF-8 outside a string";
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
			*pos = at;
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
