/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A JSON writer (json.c), for ckpt show.  Each value is written at once
 * to @out: j_open() a container, then its members (with a key, in an
 * object) or elements (key NULL, in an array), then j_close().
 */
#ifndef CKPT_JSON_H
#define CKPT_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "names.h"

struct json {
	FILE *out;
	/* whether the container at each depth needs a comma first */
	int depth;
	bool comma[16];
};

/* Starts a member (key != NULL) of an object, or an element of an array. */
void j_key(struct json *s, const char *key);
/* A string (NULL: null); bytes that are not UTF-8 become U+FFFD. */
void j_strval(struct json *s, const char *str);
void j_str(struct json *s, const char *key, const char *val);
void j_u64(struct json *s, const char *key, unsigned long long v);
void j_s64(struct json *s, const char *key, long long v);
/* A number as a string "0x..." */
void j_hex(struct json *s, const char *key, unsigned long long v);
void j_bool(struct json *s, const char *key, bool v);
/* Opens ('{' or '[') and closes ('}' or ']') a container. */
void j_open(struct json *s, const char *key, char c);
void j_close(struct json *s, char c);
/* An empty array. */
void j_empty(struct json *s, const char *key);
/* A bit mask as an array of names; unknown bits as one hex string. */
void j_bits(struct json *s, const char *key, unsigned long long v,
	    const struct bitnames *b);

/* Length of the well-formed UTF-8 sequence at @p (not ASCII), or 0. */
unsigned int utf8_len(const unsigned char *p);

#endif /* CKPT_JSON_H */
