// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON writer of ckpt show: members and elements one a line, indented
 * two spaces a level, written to a FILE.  See json.h.
 */
#include <stdbool.h>
#include <stdio.h>

#include "json.h"

static void j_indent(struct json *s)
{
	int i;

	for (i = 0; i < s->depth; i++)
		fputs("  ", s->out);
}

/* Starts a member (key != NULL) of an object, or an element of an array. */
void j_key(struct json *s, const char *key)
{
	if (s->comma[s->depth])
		fputc(',', s->out);
	fputc('\n', s->out);
	s->comma[s->depth] = true;
	j_indent(s);
	if (key)
		fprintf(s->out, "\"%s\": ", key);
}

/* Length of the well-formed UTF-8 sequence at @p (not ASCII), or 0. */
unsigned int utf8_len(const unsigned char *p)
{
	unsigned int n, i, cp;

	if (*p >= 0xc2 && *p <= 0xdf) {
		n = 1;
		cp = *p & 0x1f;
	} else if (*p >= 0xe0 && *p <= 0xef) {
		n = 2;
		cp = *p & 0x0f;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 3;
		cp = *p & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

/* A JSON string: escapes, and bytes that are not UTF-8 become U+FFFD. */
void j_strval(struct json *s, const char *str)
{
	const unsigned char *p = (const unsigned char *)str;
	unsigned int n;

	fputc('"', s->out);
	while (*p) {
		if (*p == '"' || *p == '\\') {
			fprintf(s->out, "\\%c", *p++);
		} else if (*p < 0x20) {
			switch (*p) {
			case '\n': fputs("\\n", s->out); break;
			case '\t': fputs("\\t", s->out); break;
			case '\r': fputs("\\r", s->out); break;
			case '\b': fputs("\\b", s->out); break;
			case '\f': fputs("\\f", s->out); break;
			default: fprintf(s->out, "\\u%04x", *p);
			}
			p++;
		} else if (*p < 0x80) {
			fputc(*p++, s->out);
		} else if ((n = utf8_len(p))) {
			fwrite(p, 1, n, s->out);
			p += n;
		} else {
			fputs("\\ufffd", s->out);
			p++;
		}
	}
	fputc('"', s->out);
}

void j_str(struct json *s, const char *key, const char *val)
{
	j_key(s, key);
	if (val)
		j_strval(s, val);
	else
		fputs("null", s->out);
}

void j_u64(struct json *s, const char *key, unsigned long long v)
{
	j_key(s, key);
	fprintf(s->out, "%llu", v);
}

void j_s64(struct json *s, const char *key, long long v)
{
	j_key(s, key);
	fprintf(s->out, "%lld", v);
}

void j_hex(struct json *s, const char *key, unsigned long long v)
{
	j_key(s, key);
	fprintf(s->out, "\"0x%llx\"", v);
}

void j_bool(struct json *s, const char *key, bool v)
{
	j_key(s, key);
	fputs(v ? "true" : "false", s->out);
}

void j_open(struct json *s, const char *key, char c)
{
	j_key(s, key);
	fputc(c, s->out);
	s->depth++;
	s->comma[s->depth] = false;
}

void j_close(struct json *s, char c)
{
	bool empty = !s->comma[s->depth];

	s->depth--;
	if (!empty) {
		fputc('\n', s->out);
		j_indent(s);
	}
	fputc(c, s->out);
}

void j_empty(struct json *s, const char *key)
{
	j_open(s, key, '[');
	j_close(s, ']');
}

/* A bit mask as an array of names; unknown bits as one hex string. */
void j_bits(struct json *s, const char *key, unsigned long long v,
	    const struct bitnames *b)
{
	size_t i;

	j_open(s, key, '[');
	for (i = 0; i < b->n; i++) {
		if (v & b->v[i].bit) {
			j_str(s, NULL, b->v[i].name);
			v &= ~b->v[i].bit;
		}
	}
	if (v) {
		j_key(s, NULL);
		fprintf(s->out, "\"0x%llx\"", v);
	}
	j_close(s, ']');
}
