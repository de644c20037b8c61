/* Checks on JSON text from outside input that cJSON does not make: it
 * turns 1e400 into inf and 9007199254740993 into 9007199254740992 without
 * a word, and nests as deep as 1000 levels (recursion). Run before
 * cJSON_Parse*: a text that passes has only finite numbers, integer
 * literals that a double holds exactly, bounded nesting, and strings of
 * UTF-8 (RFC 3629) without a raw control byte or \u0000, which cJSON
 * would end the C string at ("f32\u0000" read as "f32"). */
#ifndef TRAJ_JSONTEXT_H
#define TRAJ_JSONTEXT_H

#include <stddef.h>

#include <cJSON.h>

#define JSON_MAX_DEPTH 64

/* Returns 0 when the text passes, or -1 with *why (a static string) and
 * *pos (byte offset in text) set. Scans at most len bytes; anything not a
 * number, string or bracket is left for the JSON parser to judge. */
int json_text_check(const char *text, size_t len, int max_depth,
		    const char **why, size_t *pos);

/* A key that appears twice in one object anywhere in `item` (cJSON keeps
 * both and its lookups see only the first), or NULL; *enomem is set if
 * the check ran out of memory. */
const char *json_duplicate_key(const cJSON *item, int *enomem);

#endif
